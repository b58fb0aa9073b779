import Foundation
import GradLab

/// Rule 3, vanishing (ratio), on two ratios, like rule 5: the weight gradients'
/// ‖∇W₁‖/‖∇W_L‖ < `vanishingRatio` together with ‖∇W₁‖ < `vanishingAbsolute` (AUTOTRAINER); or,
/// with ‖∇W₁‖ as small, the back-propagated signal's ‖δ₁‖/‖δ_L‖ = ∏_k gain_k < `vanishingRatio`.
/// Needs at least 3 layers, finite gradients in the first and last, and ‖∇W_L‖ > 0. In the
/// ordered phase the second catches what the first misses: the forward activations die out
/// toward the output as δ dies out toward the input, so ∇W_l = δ_l·x_{l−1}ᵀ is tiny in every
/// layer and looks flat. The verdict names the layers where the decay has set in (their ratio to
/// the top below `vanishingRatio`; applied to every layer, as the notes suggest, to find where
/// it starts).
///
/// Thresholds: `vanishingRatio` = 1e-3, `vanishingAbsolute` = 1e-4.
///
/// Source: AUTOTRAINER β1, β2 (reference notes, §2 rule 3); the ‖δ‖ ratio is GradLab's. Also
/// predicted at step 0, from the architecture and initialization alone (a GradLab addition).
package struct VanishingRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .vanishing }
    /// After dead units (they zero the gradient themselves), before saturation.
    package var priority: Int { 50 }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.vanishing(context.step.layers, context.thresholds, step: context.step.step).map { [$0] } ?? []
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.vanishing(step0.layers, thresholds, step: step0.step).map { [$0] } ?? []
    }

    /// Feed-forward: the init matched to the activation, then swap the activation (SELU + LeCun,
    /// ReLU + He), normalize, the swap at a smaller rate, residual connections, and Adam last.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [RepairCandidate.initFix(config), .selu, .relu, .batchNorm, .reluSlow, .residual, .adam].compactMap { $0 }
    }

    static func vanishing(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        guard layers.count >= 3, let first = layers.first, let last = layers.last, last.gradNorm > 0,
              first.gradNonFinite == 0, last.gradNonFinite == 0, first.gradNorm < t.vanishingAbsolute else { return nil }
        let ratio = first.gradNorm / last.gradNorm, signal = first.gainProduct
        let factors = layers.count - 1
        let gains = layers.compactMap(\.gain).filter { $0.isFinite && $0 > 0 }
        let sat = layers.compactMap(\.saturatedFraction)
        let satText = sat.max().map { $0 > 0.05 ? String(format: "; up to %.0f%% of units saturated", $0 * 100) : "" } ?? ""
        if ratio < t.vanishingRatio {
            // Where the decay starts: layers whose gradient is below 1e-3 of the top layer's.
            let weak = layers.dropLast().filter { $0.gradNorm / last.gradNorm < t.vanishingRatio }.map(\.layer)
            let perLayer = Foundation.pow(ratio, 1 / Double(factors))
            let meanGain = gains.isEmpty ? perLayer : Foundation.exp(gains.map { Foundation.log($0) }.reduce(0, +) / Double(gains.count))
            let evidence = String(format: "‖∇W₁‖/‖∇W_%d‖ = %@, ‖∇W₁‖ = %@; the back-propagated signal shrinks %@ per layer, %d factors multiply to %@",
                                  last.layer, Number.short(ratio), Number.short(first.gradNorm), Number.factor(meanGain), factors, Number.short(first.gainProduct)) + satText
            return Verdict(kind: .vanishing, layers: weak.isEmpty ? [first.layer] : weak, firstStep: step, predicted: false,
                           evidence: evidence,
                           explanation: "every layer multiplies the gradient by a factor below 1 (σ'·‖W‖), so the early layers get almost nothing and barely learn.",
                           remedies: [])
        }
        guard signal.isFinite, signal > 0, signal < t.vanishingRatio else { return nil }
        let weak = layers.dropLast().filter { $0.gainProduct < t.vanishingRatio }.map(\.layer)
        let evidence = String(format: "‖δ₁‖/‖δ_%d‖ = %@: the back-propagated signal shrinks %@ per layer over %d layers, and ‖∇W₁‖ = %@ (the weight gradients look flat, ‖∇W_%d‖ = %@, because the forward activations die out toward the output by the same factor)",
                              last.layer, Number.short(signal), Number.factor(Foundation.pow(signal, 1 / Double(factors))), factors, Number.short(first.gradNorm), last.layer, Number.short(last.gradNorm)) + satText
        return Verdict(kind: .vanishing, layers: weak.isEmpty ? [first.layer] : weak, firstStep: step, predicted: false,
                       evidence: evidence,
                       explanation: "each layer's factor W_kᵀ·diag(φ') is below 1 (the ordered phase), so both the signal going forward and the gradient coming back fade geometrically with depth: no layer learns much.",
                       remedies: [])
    }
}

/// Rule 4, vanishing (absolute): mean |∇W_l| < `vanishingMeanAbs` in a layer l below the top,
/// with finite gradients, while the top layer's mean |∇W_L| is positive and at least
/// `vanishingMeanAbsTopFactor` times larger. A converged or dead-output net has tiny gradients
/// everywhere: that is no vanishing. The verdict names every layer below the top that is this
/// small. Reports `.vanishing`, whose priority, family and ladder are `VanishingRule`'s.
///
/// Thresholds: `vanishingMeanAbs` = 1e-7, `vanishingMeanAbsTopFactor` = 100.
///
/// Source: SageMaker Debugger and DeepDiagnosis (10⁻⁷; TheDeepChecker uses 10⁻⁶) (reference notes,
/// §2 rule 4); the comparison with the top layer is GradLab's. Not predicted: at step 0 rule 3
/// speaks for the architecture.
package struct VanishingMeanRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .vanishing }
    package var priority: Int { VanishingRule().priority }
    package var family: Set<Verdict.Kind> { VanishingRule().family }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        let t = context.thresholds, s = context.step, layers = s.layers
        let topMeanAbs = layers.last?.gradMeanAbs ?? 0
        func tinyBelowTop(_ l: LayerStats) -> Bool {
            l.gradMeanAbs < t.vanishingMeanAbs && l.layer < layers.count && topMeanAbs > 0 && topMeanAbs >= t.vanishingMeanAbsTopFactor * l.gradMeanAbs
        }
        guard let v = layers.first(where: { tinyBelowTop($0) && $0.gradNonFinite == 0 }) else { return [] }
        let tiny = layers.filter(tinyBelowTop).map(\.layer)
        return [Verdict(kind: .vanishing, layers: tiny, firstStep: s.step, predicted: false,
                        evidence: String(format: "mean |∇W| = %.1e in layer %d (below %.0e) while the top layer's is %.1e", v.gradMeanAbs, v.layer, t.vanishingMeanAbs, topMeanAbs),
                        explanation: "these layers receive almost no gradient, so their weights stay where they were initialized.",
                        remedies: [])]
    }

    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        VanishingRule().candidates(for: verdict, config: config, predicted: predicted)
    }
}
