import Foundation
import GradLab
import GradLabTheory

/// What the data contributes to the theory: the input width and ‖x‖²/N per input element (for
/// a sequence, per element of one step's input). A property of the data set, not of any net.
public struct InputStatistics: Hashable, Sendable, Codable {
    public var features: Int
    public var meanSquare: Double
    public init(features: Int, meanSquare: Double) { self.features = features; self.meanSquare = meanSquare }
}

/// The theory's call on a setting, made before anything runs: ρ predicted by mean-field signal
/// propagation (`SignalPropagation`, Poole et al. 2016; Schoenholz et al. 2017), with the
/// quantities behind it, or the stated reason it makes none.
///
///   MLP       ρ² = R(1) = Π_{k=1}^{L−1} χ₁(q^k) along the forward length trajectory from the
///             data's ‖x‖²/N (`gradientSquaredRatio`), the input layer at its own σ_w².
///   tanh RNN  the same maps with W_hh as every layer's weights (Chen, Pennington & Schoenholz
///             2018): σ_w² = radius² (an orthogonal W_hh of spectral radius r has the Gaussian
///             wide-limit maps at σ_w² = r²), σ_b² = the input's contribution F·E[x²]/(3H) from
///             W_ih ~ U(±1/√H), h₀ = 0, one factor χ₁(q_t) per step back over T steps.
///   LSTM, GRU no prediction: the step factor is set by the gates (the forget gate f_t, the
///             update gate z_t), for which the theory module has no map.
public struct TheoryCall: Sendable {
    /// ρ predicted, or why there is none.
    public let ratio: Prediction
    /// χ₁ at the fixed point and what it means at this depth (T for a recurrent net).
    public let chi1: Double?
    public let phase: GradientPhase?
    /// q*, and ξ_∇ = 1/|ln χ₁| (the depth over which E‖δ‖² changes by e).
    public let qStar: Prediction?
    public let xiGradient: Prediction?
    /// σ_w², σ_b² the maps used.
    public let sigmaW2: Double?, sigmaB2: Double?

    public var outcome: GradientOutcome? { ratio.value.map(GradientRatio.outcome) }
    public var decade: Int? { ratio.value.map(GradientRatio.decade) }

    static func none(_ reason: String) -> TheoryCall {
        TheoryCall(ratio: .undefined(because: reason), chi1: nil, phase: nil, qStar: nil, xiGradient: nil, sigmaW2: nil, sigmaB2: nil)
    }

    /// The call for `setting` on inputs with `input` statistics.
    public static func call(_ setting: PredictionSetting, input: InputStatistics) -> TheoryCall {
        switch setting {
        case .feedForward(let s):
            guard s.initializer.sigmaW2(configured: s.sigmaW2) != nil else {
                return .none("init \(s.initializer.rawValue) is not Gaussian-like, so mean-field theory has no σ_w² for it")
            }
            let sp = SignalPropagation(activation: s.activation, sigmaW2: s.hiddenSigmaW2, sigmaB2: s.drawnSigmaB2)
            let r = sp.gradientSquaredRatio(depth: s.depth, inputVariance: input.meanSquare,
                                            firstLayerSigmaW2: s.firstLayerSigmaW2(inputs: input.features))
            return make(sp, depth: s.depth, r: r[0])
        case .recurrent(let s):
            guard s.cell == .rnnTanh, let radius = s.radius else {
                return .none("the gradient through a \(s.cell.rawValue) cell is carried by its gates (LSTM: the forget gate f_t; GRU: the update gate z_t), and GradLab's mean-field theory has maps for plain tanh/ReLU layers only, not for gated cells")
            }
            let inputB2 = Double(input.features) * input.meanSquare / (3 * Double(s.hidden))
            let sp = SignalPropagation(activation: .tanh, sigmaW2: radius * radius, sigmaB2: inputB2)
            let r = sp.gradientSquaredRatio(depth: s.steps, inputVariance: 0, firstLayerSigmaW2: 0)
            return make(sp, depth: s.steps, r: r[0])
        }
    }

    private static func make(_ sp: SignalPropagation, depth: Int, r: Double) -> TheoryCall {
        TheoryCall(ratio: Prediction(r.squareRoot(), because: "the predicted product of per-layer factors leaves Double's range"),
                   chi1: sp.chi1AtFixedPoint, phase: sp.phase(depth: depth), qStar: sp.qStar, xiGradient: sp.xiGradient,
                   sigmaW2: sp.sigmaW2, sigmaB2: sp.sigmaB2)
    }
}
