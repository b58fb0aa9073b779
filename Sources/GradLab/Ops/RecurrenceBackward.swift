import Foundation

/// Back-propagation through time for the fused recurrence (`Recurrence.swift`): the reverse time
/// loop over every cell, summing weight and bias gradients in a fixed row order.
struct RecurrenceGradients<S: Scalar> {
    var dx: [S], dwih: [S], dwhh: [S], dbih: [S], dbhh: [S], timeNorms: [Double]
}

@_specialize(where S == Float)
func recurrenceBackward<S: Scalar>(_ cell: RecurrentCell, dOut: [S], wih: [S], whh: [S], B: Int, T: Int, I: Int, H: Int,
                                   truncation: Int?, inputGradient: Bool, trace: RecurrenceTrace<S>) -> RecurrenceGradients<S> {
    let G = cell.gates * H, BH = B * H
    // Bias gradients (and dW_ih for a narrow input) are summed over time per batch row inside the
    // time loop, while each step's dG rows are in cache, then over rows in order below: the same
    // numbers on any thread count, no serial pass over [T·B, G] afterwards.
    let fuseInput = I <= fusedInputWidth
    var biasRows = [S](repeating: 0, count: B * G), hiddenBiasRows = [S](repeating: 0, count: cell == .gru ? B * G : 0)
    var inputRows = [S](repeating: 0, count: fuseInput ? B * I * G : 0)    // per row: I × G, i.e. dW_ihᵀ
    var dGX: [S] = uninitialized(T * B * G)
    var dGH: [S] = cell == .gru ? uninitialized(T * B * G) : []   // GRU: the hidden side differs in the n gate
    var dh = [S](repeating: 0, count: BH), dhNext = dh, dcNext = dh
    var rowSquares = [Double](repeating: 0, count: T * B)
    var out = RecurrenceGradients<S>(dx: [], dwih: [S](repeating: 0, count: G * I), dwhh: [S](repeating: 0, count: G * H),
                                     dbih: [S](repeating: 0, count: G), dbhh: [S](repeating: 0, count: G), timeNorms: [])
    dOut.withUnsafeBufferPointer { gp in whh.withUnsafeBufferPointer { wh in
    trace.acts.withUnsafeBufferPointer { ap in trace.hs.withUnsafeBufferPointer { hp in
    trace.cs.withUnsafeBufferPointer { cp in trace.tanhC.withUnsafeBufferPointer { tc in trace.hn.withUnsafeBufferPointer { hnp in
    dGX.withUnsafeMutableBufferPointer { dxp in dGH.withUnsafeMutableBufferPointer { dhp in
    dh.withUnsafeMutableBufferPointer { d in dhNext.withUnsafeMutableBufferPointer { dn in dcNext.withUnsafeMutableBufferPointer { dc in
    biasRows.withUnsafeMutableBufferPointer { brp in hiddenBiasRows.withUnsafeMutableBufferPointer { hbp in
    inputRows.withUnsafeMutableBufferPointer { irp in trace.xT.withUnsafeBufferPointer { xp in
        let recurrent = FixedOperand(wh.baseAddress!, transposed: false, k: G, n: H, ldb: H)       // dG_t·W_hh
        batchParallel(B) { b0, b1 in
            let nb = b1 - b0
            for t in stride(from: T - 1, through: 0, by: -1) {
                let db0 = d.baseAddress! + b0 * H, dn0 = dn.baseAddress! + b0 * H
                for b in 0..<nb {      // ∂L/∂h_t: from the output [B, T, H] plus from step t+1
                    let g = gp.baseAddress! + ((b0 + b) * T + t) * H, d = db0 + b * H, n = dn0 + b * H
                    for j in 0..<H { d[j] = g[j] + n[j] }
                }
                for b in b0..<b1 {     // per-row sums, merged in a fixed order below: same norms on any thread count
                    rowSquares[t * B + b] = sumOfSquares(d.baseAddress! + b * H, H)
                }
                let at = ap.baseAddress! + (t * B + b0) * G, gx = dxp.baseAddress! + (t * B + b0) * G
                let detach = t == 0 || (truncation.map { t % $0 == 0 } ?? false)
                switch cell {
                case .rnnTanh:
                    for k in 0..<(nb * H) { let y = at[k]; gx[k] = db0[k] * (1 - y * y) }
                case .rnnRelu:
                    for k in 0..<(nb * H) { gx[k] = at[k] > 0 ? db0[k] : 0 }
                case .lstm:
                    let cPrev = cp.baseAddress! + t * BH + b0 * H, tct = tc.baseAddress! + t * BH + b0 * H
                    let keep: S = detach ? 0 : 1
                    for b in 0..<nb {
                        let i = at + b * G, f = i + H, g = f + H, o = g + H
                        let di = gx + b * G, df = di + H, dg = df + H, dO = dg + H
                        let tcb = tct + b * H, cp = cPrev + b * H, dcb = dc.baseAddress! + (b0 + b) * H, db = db0 + b * H
                        // One short loop per output (few arrays each, so each vectorizes); dcb
                        // holds ∂L/∂c_t in between, then ∂L/∂c_{t−1}.
                        for j in 0..<H { dcb[j] = dcb[j] + db[j] * o[j] * (1 - tcb[j] * tcb[j]) }
                        for j in 0..<H { di[j] = dcb[j] * g[j] * i[j] * (1 - i[j]) }
                        for j in 0..<H { df[j] = dcb[j] * cp[j] * f[j] * (1 - f[j]) }
                        for j in 0..<H { dg[j] = dcb[j] * i[j] * (1 - g[j] * g[j]) }
                        for j in 0..<H { dO[j] = db[j] * tcb[j] * o[j] * (1 - o[j]) }
                        for j in 0..<H { dcb[j] = keep * dcb[j] * f[j] }
                    }
                case .gru:
                    let hPrev = hp.baseAddress! + t * BH + b0 * H, hnt = hnp.baseAddress! + t * BH + b0 * H
                    let gh = dhp.baseAddress! + (t * B + b0) * G
                    for b in 0..<nb {
                        let r = at + b * G, z = r + H, n = z + H, hp = hPrev + b * H, hn = hnt + b * H
                        let dr = gx + b * G, dz = dr + H, dnx = dz + H, hr = gh + b * G, hz = hr + H, hnn = hz + H
                        let db = db0 + b * H, direct = dn0 + b * H
                        for j in 0..<H {
                            let dnPre = db[j] * (1 - z[j]) * (1 - n[j] * n[j])
                            let dzj = db[j] * (hp[j] - n[j]) * z[j] * (1 - z[j])
                            let drj = dnPre * hn[j] * r[j] * (1 - r[j])
                            dr[j] = drj; dz[j] = dzj; dnx[j] = dnPre
                            hr[j] = drj; hz[j] = dzj; hnn[j] = dnPre * r[j]
                            direct[j] = db[j] * z[j]       // the direct path h_{t−1} → h_t
                        }
                    }
                }
                for b in b0..<b1 {
                    let g = gx + (b - b0) * G, sum = brp.baseAddress! + b * G
                    for j in 0..<G { sum[j] += g[j] }
                    if cell == .gru {
                        let h = dhp.baseAddress! + (t * B + b) * G, hs = hbp.baseAddress! + b * G
                        for j in 0..<G { hs[j] += h[j] }
                    }
                    if fuseInput {
                        let x = xp.baseAddress! + (t * B + b) * I
                        for i in 0..<I {
                            let xi = x[i], w = irp.baseAddress! + (b * I + i) * G
                            for j in 0..<G { w[j] = w[j].plusProduct(g[j], xi) }
                        }
                    }
                }
                if detach {
                    for k in 0..<(nb * H) { dn0[k] = 0 }
                } else {
                    let src = cell == .gru ? UnsafePointer(dhp.baseAddress! + (t * B + b0) * G) : UnsafePointer(gx)
                    recurrent.multiply(m: nb, a: src, lda: G, beta: cell == .gru ? 1 : 0, c: dn0, ldc: H)
                }
            }
        }
    } } } } } } } } } } } } } } } }
    for b in 0..<B {
        for j in 0..<G { out.dbih[j] += biasRows[b * G + j] }
        if cell == .gru { for j in 0..<G { out.dbhh[j] += hiddenBiasRows[b * G + j] } }
        if fuseInput { for i in 0..<I { for j in 0..<G { out.dwih[j * I + i] += inputRows[(b * I + i) * G + j] } } }
    }
    if cell != .gru { out.dbhh = out.dbih }     // both biases enter the same sum
    out.timeNorms = (0..<T).map { t in rowSquares[(t * B)..<(t * B + B)].reduce(0, +).squareRoot() }
    let dHidden = cell == .gru ? dGH : dGX
    // Weight gradients for all steps at once: dW_ih = Σ_t dG_tᵀ·x_t, dW_hh = Σ_t dG_tᵀ·h_{t−1}.
    dGX.withUnsafeBufferPointer { gx in dHidden.withUnsafeBufferPointer { gh in
    trace.xT.withUnsafeBufferPointer { xp in trace.hs.withUnsafeBufferPointer { hp in wih.withUnsafeBufferPointer { wi in
        if !fuseInput {
            out.dwih.withUnsafeMutableBufferPointer { dw in
                S.gemm(transA: true, transB: false, m: G, n: I, k: T * B, alpha: 1, a: gx.baseAddress!, lda: G,
                       b: xp.baseAddress!, ldb: I, beta: 0, c: dw.baseAddress!, ldc: I)
            }
        }
        out.dwhh.withUnsafeMutableBufferPointer { dw in
            S.gemm(transA: true, transB: false, m: G, n: H, k: T * B, alpha: 1, a: gh.baseAddress!, lda: G,
                   b: hp.baseAddress!, ldb: H, beta: 0, c: dw.baseAddress!, ldc: H)
        }
        guard inputGradient else { return }
        var dxT = [S](repeating: 0, count: T * B * I)
        dxT.withUnsafeMutableBufferPointer { dp in
            S.gemm(transA: false, transB: false, m: T * B, n: I, k: G, alpha: 1, a: gx.baseAddress!, lda: G,
                   b: wi.baseAddress!, ldb: I, beta: 0, c: dp.baseAddress!, ldc: I)
        }
        out.dx = swapBatchAndTime(dxT, B: B, T: T, F: I, toTimeMajor: false)
    } } } } }
    return out
}

/// Widest input whose dW_ih is summed inside the backward time loop (I FMAs per gate element
/// and step, on rows in cache) rather than by a GEMM over all steps afterwards.
let fusedInputWidth = 8
