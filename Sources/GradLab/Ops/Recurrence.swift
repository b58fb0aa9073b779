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
        let trace = RecurrenceTrace<S>()
        let out = recurrenceForward(cell, x: value.scalars, wih: weightIH.value.scalars, whh: weightHH.value.scalars,
                                    bih: biasIH.value.scalars, bhh: biasHH.value.scalars, B: B, T: T, I: I, H: H, trace: trace)
        if let f = observers.forward { f(recurrenceStats(cell, trace: trace, B: B, T: T, H: H)) }
        if let f = observers.finalCellState, cell == .lstm { f(trace.cs[(T * B * H)...].map { Double($0) }) }
        let inputs = [self, weightIH, weightHH, biasIH, biasHH]
        return tape.record(Tensor(shape: [B, T, H], scalars: out), inputs: inputs) { g, put in
            let grads = recurrenceBackward(cell, dOut: g.scalars, wih: weightIH.value.scalars, whh: weightHH.value.scalars,
                                           B: B, T: T, I: I, H: H, truncation: truncation, trace: trace)
            observers.timeGradients?(grads.timeNorms)
            let t = self.tape
            if t.needsGrad(self) { put(self.id, Tensor(shape: [B, T, I], scalars: grads.dx)) }
            if t.needsGrad(weightIH) { put(weightIH.id, Tensor(shape: [G, I], scalars: grads.dwih)) }
            if t.needsGrad(weightHH) { put(weightHH.id, Tensor(shape: [G, H], scalars: grads.dwhh)) }
            if t.needsGrad(biasIH) { put(biasIH.id, Tensor(shape: [G], scalars: grads.dbih)) }
            if t.needsGrad(biasHH) { put(biasHH.id, Tensor(shape: [G], scalars: grads.dbhh)) }
        }
    }
}

/// Copies a [B, T, F] buffer into [T, B, F] or back (`toTimeMajor: false`).
func swapBatchAndTime<S>(_ x: [S], B: Int, T: Int, F: Int, toTimeMajor: Bool) -> [S] {
    var y = x
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        for b in 0..<B { for t in 0..<T {
            let bt = (b * T + t) * F, tb = (t * B + b) * F
            let (src, dst) = toTimeMajor ? (bt, tb) : (tb, bt)
            for f in 0..<F { yp[dst + f] = xp[src + f] }
        } }
    } }
    return y
}

@_specialize(where S == Float)
func recurrenceForward<S: Scalar>(_ cell: RecurrentCell, x: [S], wih: [S], whh: [S], bih: [S], bhh: [S],
                                  B: Int, T: Int, I: Int, H: Int, trace: RecurrenceTrace<S>) -> [S] {
    let G = cell.gates * H, BH = B * H
    trace.xT = swapBatchAndTime(x, B: B, T: T, F: I, toTimeMajor: true)
    trace.hs = [S](repeating: 0, count: (T + 1) * BH)
    trace.acts = [S](repeating: 0, count: T * B * G)
    if cell == .lstm { trace.cs = [S](repeating: 0, count: (T + 1) * BH); trace.tanhC = [S](repeating: 0, count: T * BH) }
    var rec = [S]()
    if cell == .gru { trace.hn = [S](repeating: 0, count: T * BH); rec = [S](repeating: 0, count: B * G) }
    trace.xT.withUnsafeBufferPointer { xp in wih.withUnsafeBufferPointer { wi in whh.withUnsafeBufferPointer { wh in
    trace.acts.withUnsafeMutableBufferPointer { ap in trace.hs.withUnsafeMutableBufferPointer { hp in
    trace.cs.withUnsafeMutableBufferPointer { cp in trace.tanhC.withUnsafeMutableBufferPointer { tc in
    trace.hn.withUnsafeMutableBufferPointer { hnp in rec.withUnsafeMutableBufferPointer { rp in
        let a = ap.baseAddress!, h = hp.baseAddress!
        // Input projections for every step in one GEMM, biases folded in (GRU keeps b_hn apart:
        // it sits inside r⊙(·)).
        for r in 0..<(T * B) { for j in 0..<G { a[r * G + j] = bih[j] + (cell == .gru && j >= 2 * H ? 0 : bhh[j]) } }
        S.gemm(transA: false, transB: true, m: T * B, n: G, k: I, alpha: 1, a: xp.baseAddress!, lda: I,
               b: wi.baseAddress!, ldb: I, beta: 1, c: a, ldc: G)
        for t in 0..<T {
            let at = a + t * B * G, hPrev = h + t * BH, hNew = h + (t + 1) * BH
            func act(_ kind: ActivationKind, _ p: UnsafeMutablePointer<S>, _ n: Int) {
                S.activate(kind, UnsafeBufferPointer(start: p, count: n), UnsafeMutableBufferPointer(start: p, count: n))
            }
            switch cell {
            case .rnnTanh, .rnnRelu:
                S.gemm(transA: false, transB: true, m: B, n: H, k: H, alpha: 1, a: hPrev, lda: H,
                       b: wh.baseAddress!, ldb: H, beta: 1, c: at, ldc: G)
                act(cell == .rnnTanh ? .tanh : .relu, at, BH)
                hNew.update(from: at, count: BH)
            case .lstm:
                S.gemm(transA: false, transB: true, m: B, n: G, k: H, alpha: 1, a: hPrev, lda: H,
                       b: wh.baseAddress!, ldb: H, beta: 1, c: at, ldc: G)
                let cPrev = cp.baseAddress! + t * BH, cNew = cp.baseAddress! + (t + 1) * BH, tct = tc.baseAddress! + t * BH
                for b in 0..<B {
                    let row = at + b * G
                    act(.sigmoid, row, 2 * H); act(.tanh, row + 2 * H, H); act(.sigmoid, row + 3 * H, H)
                    for j in 0..<H { cNew[b * H + j] = row[H + j] * cPrev[b * H + j] + row[j] * row[2 * H + j] }
                }
                tct.update(from: cNew, count: BH)
                act(.tanh, tct, BH)
                for b in 0..<B { for j in 0..<H { hNew[b * H + j] = at[b * G + 3 * H + j] * tct[b * H + j] } }
            case .gru:
                S.gemm(transA: false, transB: true, m: B, n: G, k: H, alpha: 1, a: hPrev, lda: H,
                       b: wh.baseAddress!, ldb: H, beta: 0, c: rp.baseAddress!, ldc: G)
                let hnt = hnp.baseAddress! + t * BH
                for b in 0..<B {
                    let row = at + b * G, rr = rp.baseAddress! + b * G
                    for j in 0..<(2 * H) { row[j] += rr[j] }
                    act(.sigmoid, row, 2 * H)
                    for j in 0..<H {
                        hnt[b * H + j] = rr[2 * H + j] + bhh[2 * H + j]
                        row[2 * H + j] += row[j] * hnt[b * H + j]
                    }
                    act(.tanh, row + 2 * H, H)
                    for j in 0..<H {
                        let z = row[H + j]
                        hNew[b * H + j] = (1 - z) * row[2 * H + j] + z * hPrev[b * H + j]
                    }
                }
            }
        }
    } } } } } } } } }
    return swapBatchAndTime(Array(trace.hs[BH...]), B: B, T: T, F: H, toTimeMajor: false)
}

struct RecurrenceGradients<S: Scalar> {
    var dx: [S], dwih: [S], dwhh: [S], dbih: [S], dbhh: [S], timeNorms: [Double]
}

@_specialize(where S == Float)
func recurrenceBackward<S: Scalar>(_ cell: RecurrentCell, dOut: [S], wih: [S], whh: [S], B: Int, T: Int, I: Int, H: Int,
                                   truncation: Int?, trace: RecurrenceTrace<S>) -> RecurrenceGradients<S> {
    let G = cell.gates * H, BH = B * H
    let gT = swapBatchAndTime(dOut, B: B, T: T, F: H, toTimeMajor: true)
    var dGX = [S](repeating: 0, count: T * B * G)
    var dGH = cell == .gru ? dGX : []                 // GRU: the hidden side differs in the n gate
    var dh = [S](repeating: 0, count: BH), dhNext = dh, dcNext = dh
    var norms = [Double](repeating: 0, count: T)
    var out = RecurrenceGradients<S>(dx: [], dwih: [S](repeating: 0, count: G * I), dwhh: [S](repeating: 0, count: G * H),
                                     dbih: [S](repeating: 0, count: G), dbhh: [S](repeating: 0, count: G), timeNorms: [])
    gT.withUnsafeBufferPointer { gp in whh.withUnsafeBufferPointer { wh in
    trace.acts.withUnsafeBufferPointer { ap in trace.hs.withUnsafeBufferPointer { hp in
    trace.cs.withUnsafeBufferPointer { cp in trace.tanhC.withUnsafeBufferPointer { tc in trace.hn.withUnsafeBufferPointer { hnp in
    dGX.withUnsafeMutableBufferPointer { dxp in dGH.withUnsafeMutableBufferPointer { dhp in
    dh.withUnsafeMutableBufferPointer { d in dhNext.withUnsafeMutableBufferPointer { dn in dcNext.withUnsafeMutableBufferPointer { dc in
        for t in stride(from: T - 1, through: 0, by: -1) {
            var sq = 0.0
            for k in 0..<BH { let v = gp[t * BH + k] + dn[k]; d[k] = v; sq += Double(v) * Double(v) }
            norms[t] = sq.squareRoot()
            let at = ap.baseAddress! + t * B * G, gx = dxp.baseAddress! + t * B * G
            let detach = t == 0 || (truncation.map { t % $0 == 0 } ?? false)
            switch cell {
            case .rnnTanh:
                for k in 0..<BH { let y = at[k]; gx[k] = d[k] * (1 - y * y) }
            case .rnnRelu:
                for k in 0..<BH { gx[k] = at[k] > 0 ? d[k] : 0 }
            case .lstm:
                let cPrev = cp.baseAddress! + t * BH, tct = tc.baseAddress! + t * BH
                for b in 0..<B {
                    let row = at + b * G, grow = gx + b * G
                    for j in 0..<H {
                        let k = b * H + j
                        let (i, f, g, o) = (row[j], row[H + j], row[2 * H + j], row[3 * H + j])
                        let c = dc[k] + d[k] * o * (1 - tct[k] * tct[k])
                        grow[j] = c * g * i * (1 - i)
                        grow[H + j] = c * cPrev[k] * f * (1 - f)
                        grow[2 * H + j] = c * i * (1 - g * g)
                        grow[3 * H + j] = d[k] * tct[k] * o * (1 - o)
                        dc[k] = detach ? 0 : c * f
                    }
                }
            case .gru:
                let hPrev = hp.baseAddress! + t * BH, hnt = hnp.baseAddress! + t * BH, gh = dhp.baseAddress! + t * B * G
                for b in 0..<B {
                    let row = at + b * G, grow = gx + b * G, hrow = gh + b * G
                    for j in 0..<H {
                        let k = b * H + j
                        let (r, z, n) = (row[j], row[H + j], row[2 * H + j])
                        let dnPre = d[k] * (1 - z) * (1 - n * n)
                        let dz = d[k] * (hPrev[k] - n) * z * (1 - z)
                        let dr = dnPre * hnt[k] * r * (1 - r)
                        grow[j] = dr; grow[H + j] = dz; grow[2 * H + j] = dnPre
                        hrow[j] = dr; hrow[H + j] = dz; hrow[2 * H + j] = dnPre * r
                        dn[k] = d[k] * z       // the direct path h_{t−1} → h_t
                    }
                }
            }
            if detach {
                for k in 0..<BH { dn[k] = 0 }
            } else {
                let src = cell == .gru ? UnsafePointer(dhp.baseAddress! + t * B * G) : UnsafePointer(gx)
                S.gemm(transA: false, transB: false, m: B, n: H, k: G, alpha: 1, a: src, lda: G,
                       b: wh.baseAddress!, ldb: H, beta: cell == .gru ? 1 : 0, c: dn.baseAddress!, ldc: H)
            }
        }
    } } } } } } } } } } } }
    out.timeNorms = norms
    let dHidden = cell == .gru ? dGH : dGX
    // Weight gradients for all steps at once: dW_ih = Σ_t dG_tᵀ·x_t, dW_hh = Σ_t dG_tᵀ·h_{t−1}.
    dGX.withUnsafeBufferPointer { gx in dHidden.withUnsafeBufferPointer { gh in
    trace.xT.withUnsafeBufferPointer { xp in trace.hs.withUnsafeBufferPointer { hp in wih.withUnsafeBufferPointer { wi in
        out.dwih.withUnsafeMutableBufferPointer { dw in
            S.gemm(transA: true, transB: false, m: G, n: I, k: T * B, alpha: 1, a: gx.baseAddress!, lda: G,
                   b: xp.baseAddress!, ldb: I, beta: 0, c: dw.baseAddress!, ldc: I)
        }
        out.dwhh.withUnsafeMutableBufferPointer { dw in
            S.gemm(transA: true, transB: false, m: G, n: H, k: T * B, alpha: 1, a: gh.baseAddress!, lda: G,
                   b: hp.baseAddress!, ldb: H, beta: 0, c: dw.baseAddress!, ldc: H)
        }
        for r in 0..<(T * B) { for j in 0..<G { out.dbih[j] += gx[r * G + j]; out.dbhh[j] += gh[r * G + j] } }
        var dxT = [S](repeating: 0, count: T * B * I)
        dxT.withUnsafeMutableBufferPointer { dp in
            S.gemm(transA: false, transB: false, m: T * B, n: I, k: G, alpha: 1, a: gx.baseAddress!, lda: G,
                   b: wi.baseAddress!, ldb: I, beta: 0, c: dp.baseAddress!, ldc: I)
        }
        out.dx = swapBatchAndTime(dxT, B: B, T: T, F: I, toTimeMajor: false)
    } } } } }
    return out
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
