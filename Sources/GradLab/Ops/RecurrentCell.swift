import Foundation

// The recurrent cells of the fused recurrence (`Ops/Recurrence.swift`), what its forward pass
// measures for the probe (`RecurrenceEvent` carries it to observers).

/// A recurrent cell: the update that maps (x_t, h_{t−1}) to h_t.
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

    /// The H×H block of W_hh [G·H, H] that carries the state from step to step: the whole matrix
    /// for vanilla RNNs, the cell-candidate block g for the LSTM, the candidate n for the GRU.
    public func stateBlock<S: Scalar>(_ weightHH: Tensor<S>) -> [Double] {
        let H = weightHH.shape[1], start = (self == .lstm || self == .gru ? 2 : 0) * H * H
        return weightHH.scalars[start..<(start + H * H)].map { Double($0) }
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
