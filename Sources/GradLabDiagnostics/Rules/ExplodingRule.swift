import Foundation
import GradLab

/// Rules 5 and 6, exploding, checked in this order at each step:
/// - absolute: mean |∇W_l| > `explodingMeanAbs` in any layer (those layers are named);
/// - ratio, only when confirmed (by a loss blow-up at this step, non-finite values, a layer
///   above the absolute threshold, or the growing trend): with at least 3 layers and
///   ‖∇W_L‖ > 0, the weight gradients' ‖∇W₁‖/‖∇W_L‖ > `explodingRatio` (AUTOTRAINER; layers
///   whose ratio to the top exceeds 10 are named), else the back-propagated signal's
///   ‖δ₁‖/‖δ_L‖ = ∏_k gain_k > `explodingRatio`. In ReLU nets the second catches what the first
///   misses: δ grows toward the input while the forward activations shrink toward it, so
///   ∇W_l = δ_l·x_{l−1}ᵀ looks flat even as the signal explodes;
/// - trend: the gradient norm more than doubled on each of the last `window` checks, while the
///   loss did not fall over them.
///
/// Thresholds: `explodingMeanAbs` = 1e6, `explodingRatio` = 70, `window` = 5; at step 0 (no
/// training evidence to gate on yet) the ratio test runs ungated at `explodingRatioAtStep0` = 100.
///
/// Source: AUTOTRAINER β3 (ratio 70, clean range 40–100, gated), TheDeepChecker (mean |∇W| > 10⁶,
/// doubling per check over 5 checks) (reference notes, §2 rules 5 and 6). The gate keeps the
/// ungated ratio's late false alarms on healthy nets away; the ‖δ‖ ratio and the step-0
/// prediction are GradLab's.
package struct ExplodingRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .exploding }
    package var priority: Int { 30 }
    package var family: Set<Verdict.Kind> { Self.overshoot }

    /// Non-finite values, a loss blow-up and an explosion count as one problem.
    static let overshoot: Set<Verdict.Kind> = [.nonFinite, .lossBlowUp, .exploding]

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        let steps = context.steps, i = context.i, t = context.thresholds
        let s = context.step, layers = s.layers
        // Exploding: absolute, trend, or ratio confirmed by a blow-up or non-finite values.
        let big = layers.filter { $0.gradMeanAbs > t.explodingMeanAbs }
        let confirmed = context.lossBlewUp || s.firstNonFinite != nil || !big.isEmpty || Self.growing(steps, upTo: i, t)
        if !big.isEmpty {
            return [Verdict(kind: .exploding, layers: big.map(\.layer), firstStep: s.step, predicted: false,
                            evidence: String(format: "mean |∇W| = %.1e in layer %d (above %.0e)", big[0].gradMeanAbs, big[0].layer, t.explodingMeanAbs),
                            explanation: "gradients this large throw the weights far from any useful value in one step.",
                            remedies: [])]
        } else if confirmed, let v = Self.explodingRatio(layers, t.explodingRatio, step: s.step) {
            return [v]
        } else if Self.growing(steps, upTo: i, t) {
            return [Verdict(kind: .exploding, layers: layers.map(\.layer), firstStep: s.step, predicted: false,
                            evidence: "the gradient norm more than doubled on each of the last \(t.window) checks while the loss did not fall",
                            explanation: "a growing gradient feeds larger updates, which make the gradient larger still.",
                            remedies: [])]
        }
        return []
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.explodingRatio(step0.layers, thresholds.explodingRatioAtStep0, step: step0.step).map { [$0] } ?? []
    }

    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return Self.ladder(config, predicted: predicted)
    }

    /// The feed-forward ladder of the exploding family. Predicted at step 0: the architecture or
    /// init is at fault, so the structural fixes (scaled residual branches, the matched init,
    /// SELU, batch normalization) come first; otherwise the optimizer (learning rate ÷10, in-run
    /// clipping). Badly scaled or shifted inputs are standardized first either way.
    static func ladder(_ config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        let residualScale = config.model == .resmlp && config.branchScale == .one ? [RepairCandidate.branchScale] : []
        let structural = residualScale + [RepairCandidate.initFix(config), .selu, .batchNorm].compactMap { $0 }
        let inputs = config.inputScale != 1 || config.inputShift != 0 ? [RepairCandidate.standardize] : []
        return predicted ? inputs + structural + [.lrDown, .clipInRun] : inputs + [.lrDown, .clipInRun] + structural
    }

    /// Rule 5 on two ratios: the weight gradients' ‖∇W₁‖/‖∇W_L‖ (AUTOTRAINER) and the
    /// back-propagated signal's ‖δ₁‖/‖δ_L‖.
    static func explodingRatio(_ layers: [LayerStats], _ threshold: Double, step: Int) -> Verdict? {
        guard layers.count >= 3, let first = layers.first, let last = layers.last, last.gradNorm > 0 else { return nil }
        let ratio = first.gradNorm / last.gradNorm, signal = first.gainProduct
        let factors = Double(layers.count - 1)
        if ratio.isFinite, ratio > threshold {
            return Verdict(kind: .exploding, layers: layers.dropLast().filter { $0.gradNorm / last.gradNorm > 10 }.map(\.layer), firstStep: step, predicted: false,
                           evidence: String(format: "‖∇W₁‖/‖∇W_%d‖ = %@: the gradient grows %@ per layer toward the input", last.layer, Number.short(ratio), Number.factor(Foundation.pow(ratio, 1 / factors))),
                           explanation: "every layer multiplies the gradient by a factor above 1, so the early layers get huge updates.",
                           remedies: [])
        }
        if signal.isFinite, signal > threshold {
            return Verdict(kind: .exploding, layers: layers.dropLast().filter { $0.gainProduct > 10 }.map(\.layer), firstStep: step, predicted: false,
                           evidence: String(format: "‖δ₁‖/‖δ_%d‖ = %@: the back-propagated signal grows %@ per layer over %.0f layers (weight gradients look flat because the forward activations shrink by the same factor toward the input)",
                                            last.layer, Number.short(signal), Number.factor(Foundation.pow(signal, 1 / factors)), factors),
                           explanation: "each layer's factor W_kᵀ·diag(φ') is above 1, so the signal and the activations grow geometrically with depth and the first steps overshoot.",
                           remedies: [])
        }
        return nil
    }

    /// Rule 6's trend: over steps[i−window...i] the gradient norm more than doubles at every
    /// check, and the last loss is not below the first.
    static func growing(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Bool {
        guard i >= t.window else { return false }
        let w = steps[(i - t.window)...i]
        let norms = w.map(\.gradNorm)
        guard norms.allSatisfy({ $0.isFinite && $0 > 0 }) else { return false }
        let doubling = zip(norms, norms.dropFirst()).allSatisfy { $1 > 2 * $0 }
        return doubling && w.last!.loss >= w.first!.loss
    }
}
