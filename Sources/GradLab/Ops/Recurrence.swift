import Foundation

// Fused recurrence over a whole sequence: one tape node per recurrent layer, forward and
// back-propagation through time (BPTT) written out by hand, as PyTorch's fused `nn.LSTM` does.
// The readable per-step composition of ordinary ops in `Reference/RecurrentReference.swift`
// is the test oracle for this fast path.
//
// Shapes: x [batch B, time T, features I] (batch-first), output [B, T, H]; the initial state is
// zero. Weights use PyTorch's layout and gate order: weightIH [G·H, I], weightHH [G·H, H],
// biases [G·H], gates (i, f, g, o) for LSTM and (r, z, n) for GRU. Internally the sequence is
// time-major so each step's rows are contiguous for the GEMMs.
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
    /// update per sequence). With a `layer` identity, the tape's observers are told what the
    /// forward and backward passes measured (`RecurrenceEvent`).
    @_specialize(where S == Float)
    public func recurrence(_ cell: RecurrentCell, weightIH: Var, weightHH: Var, biasIH: Var, biasHH: Var,
                           truncation: Int? = nil, layer: ObjectIdentifier? = nil) -> Var {
        precondition(value.rank == 3, "recurrent layers take [batch, time, features], got \(shape)")
        let (B, T, I) = (shape[0], shape[1], shape[2]), H = weightHH.shape[1], G = cell.gates * H
        precondition(weightIH.shape == [G, I] && weightHH.shape == [G, H] && biasIH.shape == [G] && biasHH.shape == [G],
                     "\(cell.rawValue): weights must be [\(G), \(I)], [\(G), \(H)] and biases [\(G)]")
        let trace = RecurrenceTrace<S>(), inputGradient = tape.needsGrad(self)
        let out = recurrenceForward(cell, x: value.scalars, wih: weightIH.value.scalars, whh: weightHH.value.scalars,
                                    bih: biasIH.value.scalars, bhh: biasHH.value.scalars, B: B, T: T, I: I, H: H, trace: trace)
        let observers = layer.map { l in tape.observers.filter { $0.wantsRecurrenceEvents(layer: l) } } ?? []
        if let layer, !observers.isEmpty {
            let stats = recurrenceStats(cell, trace: trace, B: B, T: T, H: H)
            for o in observers { o.recurrence(.forward(stats), layer: layer) }
            if cell == .lstm {
                let c = trace.cs[(T * B * H)...].map { Double($0) }
                for o in observers { o.recurrence(.finalCellState(c), layer: layer) }
            }
        }
        let inputs = [self, weightIH, weightHH, biasIH, biasHH]
        return tape.record(Tensor(shape: [B, T, H], scalars: out), inputs: inputs) { g, put in
            let grads = recurrenceBackward(cell, dOut: g.scalars, wih: weightIH.value.scalars, whh: weightHH.value.scalars,
                                           B: B, T: T, I: I, H: H, truncation: truncation, inputGradient: inputGradient, trace: trace)
            if let layer { for o in observers { o.recurrence(.timeGradients(grads.timeNorms), layer: layer) } }
            let t = self.tape
            if inputGradient { put(self.id, Tensor(shape: [B, T, I], scalars: grads.dx)) }
            if t.needsGrad(weightIH) { put(weightIH.id, Tensor(shape: [G, I], scalars: grads.dwih)) }
            if t.needsGrad(weightHH) { put(weightHH.id, Tensor(shape: [G, H], scalars: grads.dwhh)) }
            if t.needsGrad(biasIH) { put(biasIH.id, Tensor(shape: [G], scalars: grads.dbih)) }
            if t.needsGrad(biasHH) { put(biasHH.id, Tensor(shape: [G], scalars: grads.dbhh)) }
        }
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
