import Foundation
import GradLabDiagnostics

/// The names a claim may measure: numbers the probe, the trainer, the diagnosis rules and the
/// mean-field theory already produce. Each is taken from one run of the experiment (the first
/// argument names it; it may be left out when the experiment has a single run).
///
/// Layers are the model's linear (Dense) maps counted from the input, as the probe counts them:
/// `layer 1` is the input layer, `layer last` the output layer; an MLP of depth D has D + 1.
/// Per-layer numbers are measured at step 0 (one forward/backward on the fixed probe batch, the
/// first 256 training rows, before any update) unless said otherwise.
public enum Quantity: String, CaseIterable, Sendable {
    /// ‖∂L/∂W_k‖ (Frobenius) of layer k's weight at step 0.
    case gradNorm = "grad_norm"
    /// ‖δ_k‖ = ‖∂L/∂z_k‖, the back-propagated signal at layer k's pre-activation, at step 0.
    case deltaNorm = "delta_norm"
    /// ‖δ_k‖/‖δ_{k+1}‖: the factor layer k+1 multiplies into the gradient going down, at step 0.
    case gain
    /// Fraction of layer k's ReLU units that are ≤ 0 for every row of the probe batch, at step 0.
    case deadFraction = "dead_fraction"
    /// Fraction of layer k's pre-activations with |z| > 5 (sigmoid/tanh-like layers), at step 0.
    case saturatedFraction = "saturated_fraction"
    /// Standard deviation of layer k's output activations at step 0.
    case activationStd = "activation_std"
    /// ‖ΔW_k‖/‖W_k‖, averaged over the run's probed training steps (needs steps ≥ 1).
    case updateRatio = "update_ratio"
    /// Loss on the probe batch at step 0.
    case initialLoss = "initial_loss"
    /// Loss on the same probe batch after the last training step (needs steps ≥ 1).
    case finalLoss = "final_loss"
    /// Accuracy and loss on the test split after training (untrained when steps = 0).
    case testAccuracy = "test_accuracy"
    case testLoss = "test_loss"
    /// ‖∂L/∂h_1‖/‖∂L/∂h_T‖ through time in the first recurrent layer at step 0 (recurrent models).
    case timeRatio = "time_ratio"
    /// χ₁ = σ_w²·E[φ'(√q* z)²], the mean-field factor per layer on E‖δ‖², and the fixed point q*
    /// of the length map (Poole et al. 2016; Schoenholz et al. 2017), for the run's activation,
    /// σ_w² and σ_b² (MLP and residual MLP with a σ_w² the initializer defines).
    case chi1
    case qStar = "q_star"
    /// 1 if GradLab's diagnosis (step-0 prediction and the verdicts of training) names the kind,
    /// else 0: `verdict(bad, vanishing) > 0`. Kinds are written with "_" for "-" (`dead_relu`).
    case verdict
    /// The number of linear layers the probe sees.
    case layers

    /// Whether the quantity needs `layer k`.
    public var isPerLayer: Bool {
        switch self {
        case .gradNorm, .deltaNorm, .gain, .deadFraction, .saturatedFraction, .activationStd, .updateRatio: return true
        default: return false
        }
    }

    /// Whether it is only measured by training (steps ≥ 1).
    public var needsTraining: Bool { self == .updateRatio || self == .finalLoss }

    public static var names: [String] { allCases.map(\.rawValue) }

    /// The closest known name to a misspelt one (edit distance ≤ 2 for names up to 4 letters, else ≤ 3), for "did you mean".
    static func nearest(_ name: String, among names: [String]) -> String? {
        names.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
            .filter { $0.1 <= (name.count <= 4 ? 2 : 3) }
            .min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...Swift.max(a.count, 1) where !a.isEmpty {
            var prev = row[0]; row[0] = i
            for j in 1...Swift.max(b.count, 1) where !b.isEmpty {
                let old = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = old
            }
        }
        return row[b.count]
    }

    /// Verdict kinds as claims spell them (`dead_relu`).
    static var verdictNames: [String] { Verdict.Kind.allCases.map { $0.rawValue.replacingOccurrences(of: "-", with: "_") } }
}
