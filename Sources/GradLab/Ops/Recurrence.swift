/// Fused recurrence over a whole sequence: one tape node per recurrent layer, forward and
/// back-propagation through time (BPTT) written out by hand, as PyTorch's fused `nn.LSTM` does.
/// The readable per-step composition of ordinary ops in `Reference/RecurrentReference.swift`
/// is the test oracle for this fast path.
///
/// Shapes: x [batch B, time T, features I] (batch-first), output [B, T, H]; the initial state is
/// zero. Weights use PyTorch's layout and gate order: weightIH [G·H, I], weightHH [G·H, H],
/// biases [G·H], gates (i, f, g, o) for LSTM and (r, z, n) for GRU. Internally the sequence is
/// time-major so each step's rows are contiguous for the GEMMs.
public enum RecurrentCell: String, CaseIterable, Sendable, Codable {
    /// h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (Elman 1990).
    case rnnTanh = "rnn-tanh"
    /// h' = relu(W_ih x + b_ih + W_hh h + b_hh); with W_hh = I this is the IRNN (Le et al. 2015).
    case rnnRelu = "rnn-relu"
    /// c' = f⊙c + i⊙g, h' = o⊙tanh(c') (Hochreiter & Schmidhuber 1997; forget gate, Gers et al. 2000).
    case lstm
    /// h' = (1−z)⊙n + z⊙h, n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)) (Cho et al. 2014).
    case gru

    public var gates: Int {
        switch self { case .rnnTanh, .rnnRelu: return 1; case .lstm: return 4; case .gru: return 3 }
    }
}

/// Forward statistics of one recurrent layer on one batch, for the probe.
public struct RecurrentForwardStats: Sendable, Equatable {
    /// LSTM forget gate / GRU update gate: fraction of values below 0.05 and above 0.95 (a gate
    /// stuck open or shut); vanilla RNN: 0.
    public var gateNearZero: Double
    public var gateNearOne: Double
    /// Fraction of hidden values saturated (|h| > 0.99 for tanh-bounded cells) or dead (relu: 0).
    public var hiddenSaturated: Double
}

/// Hooks of a fused recurrence: through-time gradient norms and forward statistics.
public struct RecurrenceObservers {
    /// ‖∂L/∂h_t‖ for t = 0..<T (the full gradient reaching each step's hidden state, summed over
    /// the batch), called once per backward pass.
    public var timeGradients: (([Double]) -> Void)?
    public var forward: ((RecurrentForwardStats) -> Void)?
    /// The final LSTM cell state c_T [B, H] (row-major), for checks against other implementations.
    public var finalCellState: (([Double]) -> Void)?
    public init(timeGradients: (([Double]) -> Void)? = nil, forward: ((RecurrentForwardStats) -> Void)? = nil,
                finalCellState: (([Double]) -> Void)? = nil) {
        self.timeGradients = timeGradients; self.forward = forward; self.finalCellState = finalCellState
    }
}

/// What the forward pass keeps for BPTT (time-major).
final class RecurrenceTrace<S: Scalar> {
    var xT: [S] = []      // [T·B, I]
    var hs: [S] = []      // [(T+1)·B, H]; block 0 is h_{-1} = 0
    var cs: [S] = []      // LSTM cell states, like hs
    var acts: [S] = []    // [T·B, G] activated gates (RNN: h itself)
    var tanhC: [S] = []   // LSTM tanh(c_t)
    var hn: [S] = []      // GRU W_hn h + b_hn, [T·B, H]
}

extension Var {
    /// Runs `cell` over the sequence self [B, T, I]. `truncation` k > 0 detaches the state every
    /// k steps (truncated BPTT in chunks of k: gradients do not cross chunk boundaries, one
    /// update per sequence).
    @_specialize(where S == Float)
    public func recurrence(_ cell: RecurrentCell, weightIH: Var, weightHH: Var, biasIH: Var, biasHH: Var,
                           truncation: Int? = nil, observers: RecurrenceObservers = .init()) -> Var {
        precondition(value.rank == 3, "recurrent layers take [batch, time, features], got \(shape)")
        let (B, T, I) = (shape[0], shape[1], shape[2]), H = weightHH.shape[1], G = cell.gates * H
        precondition(weightIH.shape == [G, I] && weightHH.shape == [G, H] && biasIH.shape == [G] && biasHH.shape == [G],
                     "\(cell.rawValue): weights must be [\(G), \(I)], [\(G), \(H)] and biases [\(G)]")
        let trace = RecurrenceTrace<S>(), inputGradient = tape.needsGrad(self)
        let out = recurrenceForward(cell, x: value.scalars, wih: weightIH.value.scalars, whh: weightHH.value.scalars,
                                    bih: biasIH.value.scalars, bhh: biasHH.value.scalars, B: B, T: T, I: I, H: H, trace: trace)
        if let f = observers.forward { f(recurrenceStats(cell, trace: trace, B: B, T: T, H: H)) }
        if let f = observers.finalCellState, cell == .lstm { f(trace.cs[(T * B * H)...].map { Double($0) }) }
        let inputs = [self, weightIH, weightHH, biasIH, biasHH]
        return tape.record(Tensor(shape: [B, T, H], scalars: out), inputs: inputs) { g, put in
            let grads = recurrenceBackward(cell, dOut: g.scalars, wih: weightIH.value.scalars, whh: weightHH.value.scalars,
                                           B: B, T: T, I: I, H: H, truncation: truncation, inputGradient: inputGradient, trace: trace)
            observers.timeGradients?(grads.timeNorms)
            let t = self.tape
            if inputGradient { put(self.id, Tensor(shape: [B, T, I], scalars: grads.dx)) }
            if t.needsGrad(weightIH) { put(weightIH.id, Tensor(shape: [G, I], scalars: grads.dwih)) }
            if t.needsGrad(weightHH) { put(weightHH.id, Tensor(shape: [G, H], scalars: grads.dwhh)) }
            if t.needsGrad(biasIH) { put(biasIH.id, Tensor(shape: [G], scalars: grads.dbih)) }
            if t.needsGrad(biasHH) { put(biasHH.id, Tensor(shape: [G], scalars: grads.dbhh)) }
        }
    }
}

/// Copies a [B, T, F] buffer into [T, B, F] or back (`toTimeMajor: false`), one row at a time.
func swapBatchAndTime<S>(_ x: [S], B: Int, T: Int, F: Int, toTimeMajor: Bool) -> [S] {
    [S](unsafeUninitializedCapacity: x.count) { yp, count in
        x.withUnsafeBufferPointer { xp in
            for b in 0..<B { for t in 0..<T {
                let bt = (b &* T &+ t) &* F, tb = (t &* B &+ b) &* F
                let (src, dst) = toTimeMajor ? (bt, tb) : (tb, bt)
                (yp.baseAddress! + dst).initialize(from: xp.baseAddress! + src, count: F)
            } }
        }
        count = x.count
    }
}

@_specialize(where S == Float)
func recurrenceForward<S: Scalar>(_ cell: RecurrentCell, x: [S], wih: [S], whh: [S], bih: [S], bhh: [S],
                                  B: Int, T: Int, I: Int, H: Int, trace: RecurrenceTrace<S>) -> [S] {
    let G = cell.gates * H, BH = B * H
    trace.xT = swapBatchAndTime(x, B: B, T: T, F: I, toTimeMajor: true)
    // Large buffers every step writes in full start uninitialized (zero-filling them was ~5% of
    // a W3 step); only the initial states h_{−1} = c_{−1} = 0 are set.
    trace.hs = uninitialized((T + 1) * BH, zeroPrefix: BH)
    trace.acts = uninitialized(T * B * G)
    if cell == .lstm { trace.cs = uninitialized((T + 1) * BH, zeroPrefix: BH); trace.tanhC = uninitialized(T * BH) }
    var rec = [S]()
    if cell == .gru { trace.hn = uninitialized(T * BH) }
    if cell == .gru || cell == .lstm { rec = uninitialized(B * G) }     // each step's h_{t−1}·W_hhᵀ
    // A narrow input (the sequence tasks have 1–2 features) is projected inside the time loop,
    // into rows in cache, instead of by a GEMM that writes all T·B·G gate rows beforehand.
    let fuseInput = I <= fusedInputWidth
    var wihT = [S](repeating: 0, count: fuseInput ? I * G : 0)     // W_ihᵀ [I, G]
    if fuseInput { for g in 0..<G { for i in 0..<I { wihT[i * G + g] = wih[g * I + i] } } }
    var out: [S] = uninitialized(B * T * H)      // [B, T, H], written row by row as steps finish
    trace.xT.withUnsafeBufferPointer { xp in wih.withUnsafeBufferPointer { wi in whh.withUnsafeBufferPointer { wh in
    wihT.withUnsafeBufferPointer { wT in out.withUnsafeMutableBufferPointer { op in
    trace.acts.withUnsafeMutableBufferPointer { ap in trace.hs.withUnsafeMutableBufferPointer { hp in
    trace.cs.withUnsafeMutableBufferPointer { cp in trace.tanhC.withUnsafeMutableBufferPointer { tc in
    trace.hn.withUnsafeMutableBufferPointer { hnp in rec.withUnsafeMutableBufferPointer { rp in
        let a = ap.baseAddress!, h = hp.baseAddress!
        // Biases folded into the input projection (GRU keeps b_hn apart: it sits inside r⊙(·); the
        // LSTM cell adds them itself, saving a pass over the gate rows). A wide input's projections
        // for every step are one GEMM.
        let bias = (0..<G).map { bih[$0] + (cell == .gru && $0 >= 2 * H ? 0 : bhh[$0]) }
        if !fuseInput {
            if cell != .lstm { for r in 0..<(T * B) { (a + r * G).update(from: bias, count: G) } }
            S.gemm(transA: false, transB: true, m: T * B, n: G, k: I, alpha: 1, a: xp.baseAddress!, lda: I,
                   b: wi.baseAddress!, ldb: I, beta: cell == .lstm ? 0 : 1, c: a, ldc: G)
        }
        let recurrent = FixedOperand(wh.baseAddress!, transposed: true, k: H, n: G, ldb: H)       // h_{t−1}·W_hhᵀ
        func act(_ kind: ActivationKind, _ p: UnsafeMutablePointer<S>, _ n: Int) {
            S.activate(kind, UnsafeBufferPointer(start: p, count: n), UnsafeMutableBufferPointer(start: p, count: n))
        }
        // Rows of the batch are independent sequences: each thread runs the whole time loop on
        // its own rows, with no synchronization per step.
        batchParallel(B) { b0, b1 in
            let nb = b1 - b0
            for t in 0..<T {
                let at = a + (t * B + b0) * G, hPrev = h + t * BH + b0 * H, hNew = h + (t + 1) * BH + b0 * H
                if fuseInput {
                    for b in 0..<nb {
                        let z = at + b * G, x = xp.baseAddress! + (t * B + b0 + b) * I
                        if cell == .lstm { z.update(repeating: 0, count: G) } else { z.update(from: bias, count: G) }
                        for i in 0..<I {
                            let xi = x[i], w = wT.baseAddress! + i * G
                            for j in 0..<G { z[j] = z[j].plusProduct(w[j], xi) }
                        }
                    }
                }
                switch cell {
                case .rnnTanh, .rnnRelu:
                    recurrent.multiply(m: nb, a: hPrev, lda: H, beta: 1, c: at, ldc: G)
                    act(cell == .rnnTanh ? .tanh : .relu, at, nb * H)
                    hNew.update(from: at, count: nb * H)
                case .lstm:
                    let rows = rp.baseAddress! + b0 * G
                    recurrent.multiply(m: nb, a: hPrev, lda: H, beta: 0, c: rows, ldc: G)
                    let cPrev = cp.baseAddress! + t * BH + b0 * H, cNew = cPrev + BH, tct = tc.baseAddress! + t * BH + b0 * H
                    for b in 0..<nb {
                        lstmCell(at + b * G, rows + b * G, bias, cPrev + b * H, cNew + b * H, tct + b * H, hNew + b * H, H)
                    }
                case .gru:
                    let rows = rp.baseAddress! + b0 * G
                    recurrent.multiply(m: nb, a: hPrev, lda: H, beta: 0, c: rows, ldc: G)
                    let hnt = hnp.baseAddress! + t * BH + b0 * H
                    bhh.withUnsafeBufferPointer { bp in
                        let bn = bp.baseAddress! + 2 * H
                        for b in 0..<nb {
                            let r = at + b * G, z = r + H, n = z + H, rr = rows + b * G, rn = rr + 2 * H
                            let hn = hnt + b * H, h = hNew + b * H, hp = hPrev + b * H
                            for j in 0..<(2 * H) { r[j] += rr[j] }
                            act(.sigmoid, r, 2 * H)
                            for j in 0..<H { hn[j] = rn[j] + bn[j]; n[j] += r[j] * hn[j] }
                            act(.tanh, n, H)
                            for j in 0..<H { h[j] = n[j] + z[j] * (hp[j] - n[j]) }
                        }
                    }
                }
                for b in 0..<nb { (op.baseAddress! + ((b0 + b) * T + t) * H).update(from: hNew + b * H, count: H) }
            }
        }
    } } } } } } } } } } }
    return out
}

/// One LSTM row: gates z (the input projection, [i f g o] × H) plus biases plus the recurrent
/// product r are activated in place, then c = f⊙c_prev + i⊙g, tanh(c) and h = o⊙tanh(c).
/// Short loops over two or three arrays each, which the compiler vectorizes (one loop over all
/// eight would need more run-time overlap checks than it makes, and stay scalar).
@inline(__always)
func lstmCell<S: Scalar>(_ z: UnsafeMutablePointer<S>, _ r: UnsafePointer<S>, _ bias: UnsafePointer<S>, _ cPrev: UnsafePointer<S>,
                         _ c: UnsafeMutablePointer<S>, _ tanhC: UnsafeMutablePointer<S>, _ h: UnsafeMutablePointer<S>, _ H: Int) {
    for j in 0..<(2 * H) { z[j] = S.sigmoidElement((bias[j] + z[j]) + r[j]) }                      // i, f
    let g = z + 2 * H, rg = r + 2 * H, bg = bias + 2 * H
    for j in 0..<H { g[j] = S.tanhElement((bg[j] + g[j]) + rg[j]) }
    let o = z + 3 * H, ro = r + 3 * H, bo = bias + 3 * H
    for j in 0..<H { o[j] = S.sigmoidElement((bo[j] + o[j]) + ro[j]) }
    let f = z + H
    for j in 0..<H { c[j] = f[j] * cPrev[j] + z[j] * g[j] }
    for j in 0..<H { tanhC[j] = S.tanhElement(c[j]) }
    for j in 0..<H { h[j] = o[j] * tanhC[j] }
}

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

/// Products with one fixed right operand op(B) [k, n] (B row-major, op(B) = Bᵀ when
/// `transposed`), repeated at every step of a sequence: on the Swift backend a Float op(B) is
/// packed once; otherwise each product is a GEMM.
final class FixedOperand<S: Scalar> {
    let b: UnsafePointer<S>, transposed: Bool, k: Int, n: Int, ldb: Int
    let packed: PackedGemm.PackedB?

    init(_ b: UnsafePointer<S>, transposed: Bool, k: Int, n: Int, ldb: Int) {
        self.b = b; self.transposed = transposed; self.k = k; self.n = n; self.ldb = ldb
        packed = S.self == Float.self && Backend.current.kind == .swift
            ? PackedGemm.PackedB(transB: transposed, k: k, n: n, b: UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: ldb) : nil
    }

    /// C[m×n] = A[m×k]·op(B) + β·C.
    func multiply(m: Int, a: UnsafePointer<S>, lda: Int, beta: S, c: UnsafeMutablePointer<S>, ldc: Int) {
        if let packed {
            PackedGemm.sgemm(transA: false, m: m, a: UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: lda, packed: packed,
                             alpha: 1, beta: Float(beta), c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc)
        } else {
            S.gemm(transA: false, transB: transposed, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

/// Widest input whose dW_ih is summed inside the backward time loop (I FMAs per gate element
/// and step, on rows in cache) rather than by a GEMM over all steps afterwards.
let fusedInputWidth = 8

/// Σ x² in Double with four interleaved partial sums (a single running sum is one long chain of
/// dependent adds); a fixed order, so the same on any thread count.
@inline(__always)
func sumOfSquares<S: Scalar>(_ x: UnsafePointer<S>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var j = 0
    while j + 4 <= n {
        let a = Double(x[j]), b = Double(x[j + 1]), c = Double(x[j + 2]), d = Double(x[j + 3])
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
        j += 4
    }
    while j < n { let a = Double(x[j]); s0 += a * a; j += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// A buffer whose every element the caller writes before reading (trivial scalars only), with
/// its first `zeroPrefix` elements zero.
func uninitialized<S: Scalar>(_ count: Int, zeroPrefix: Int = 0) -> [S] {
    [S](unsafeUninitializedCapacity: count) { p, n in
        p.baseAddress?.initialize(repeating: 0, count: zeroPrefix)
        n = count
    }
}

/// Runs `body` on contiguous slices of the batch rows 0..<B, one per thread (slices of at least
/// 8 rows, so each keeps a full GEMM strip).
func batchParallel(_ B: Int, _ body: (Int, Int) -> Void) {
    let parts = Swift.max(1, Swift.min(WorkerPool.shared.threads, B / 8))
    WorkerPool.shared.run(parts: parts) { p in body(B * p / parts, B * (p + 1) / parts) }
}

func recurrenceStats<S: Scalar>(_ cell: RecurrentCell, trace: RecurrenceTrace<S>, B: Int, T: Int, H: Int) -> RecurrentForwardStats {
    let G = cell.gates * H
    var near0 = 0, near1 = 0, saturated = 0
    if cell == .lstm || cell == .gru {
        for r in 0..<(T * B) { for j in H..<(2 * H) { let v = trace.acts[r * G + j]; if v < 0.05 { near0 += 1 } else if v > 0.95 { near1 += 1 } } }
    }
    for v in trace.hs[(B * H)...] { if cell == .rnnRelu ? v == 0 : Swift.abs(v) > 0.99 { saturated += 1 } }
    let n = Double(Swift.max(T * B * H, 1))
    return RecurrentForwardStats(gateNearZero: Double(near0) / n, gateNearOne: Double(near1) / n, hiddenSaturated: Double(saturated) / n)
}
