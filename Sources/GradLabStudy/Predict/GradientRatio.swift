import Foundation

/// The quantity every outcome and magnitude question is about, and the one rule that turns it
/// into a label, shared by the theory's call and the measurement so the two are judged alike.
///
/// ρ is the ratio of the back-propagated gradient's norm at the input end to its norm at the top,
/// over the fixed probe batch at step 0 (one forward/backward, nothing updated):
///   MLP        ρ = ‖δ₁‖/‖δ_L‖, δ_l = ∂L/∂z_l at the pre-activation of hidden layer l, L = the
///              last hidden layer (the read-out layer is outside the mean-field theory);
///   recurrent  ρ = ‖∂L/∂h₁‖/‖∂L/∂h_T‖ through time (`TimeStats.firstToLast`).
/// This is the chain-rule product itself. The weight gradients ∇W_l = δ_l·x_{l−1}ᵀ mix in the
/// forward signal x_{l−1}, which in a ReLU net without bias grows or shrinks by exactly the factor
/// δ loses: ‖∇W₁‖/‖∇W_L‖ stays near 1 there while δ vanishes, so it is shown beside ρ, not used.
///
/// Labels: vanishing ρ < 10⁻¹, exploding ρ > 10¹, healthy in between (inclusive): the gradient
/// at the input end is more than ten times smaller, or larger, than at the top. A ρ of 0 is
/// vanishing, a non-finite one exploding. Magnitude: the decade round(log₁₀ ρ), clamped to
/// ±`decadeLimit` (the options' ends read "or less", "or more").
public enum GradientRatio {
    public static let vanishingBelow = 0.1
    public static let explodingAbove = 10.0
    public static let decadeLimit = 8

    public static func outcome(_ rho: Double) -> GradientOutcome {
        if !rho.isFinite { return .exploding }
        if rho < vanishingBelow { return .vanishing }
        return rho > explodingAbove ? .exploding : .healthy
    }

    public static func decade(_ rho: Double) -> Int {
        if !rho.isFinite { return decadeLimit }
        guard rho > 0 else { return -decadeLimit }
        return Swift.min(decadeLimit, Swift.max(-decadeLimit, Int(Foundation.log10(rho).rounded())))
    }

    /// The decades a learner chooses from, −limit … +limit.
    public static var decades: [Int] { Array(-decadeLimit...decadeLimit) }

    /// "10^-3", with the clamped ends as "≤ 10^-8" and "≥ 10^8".
    public static func decadeText(_ k: Int) -> String {
        (k <= -decadeLimit ? "≤ " : k >= decadeLimit ? "≥ " : "") + "10^\(k)"
    }

    /// The symbol of ρ for a setting, as prompts and results print it.
    public static func symbol(_ setting: PredictionSetting) -> String {
        switch setting {
        case .feedForward(let s): return "‖δ₁‖/‖δ_\(s.depth)‖"
        case .recurrent(let s): return "‖∂L/∂h₁‖/‖∂L/∂h_\(s.steps)‖"
        }
    }
}
