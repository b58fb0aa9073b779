import Foundation
import GradLab

/// Rule 2, loss blow-up: the training loss L_i ≥ `lossBlowUp` (default 10³); or, from the 11th
/// probed step on, the loss smoothed over 5 checks, L̄_i, is above its start L̄_4, at least
/// `lossBlowUpFactor` (default 2) times its minimum min_{4≤j≤i} L̄_j, and more than 0.1 above it.
///
/// Thresholds: `lossBlowUp` = 1e3, `lossBlowUpFactor` = 2.
///
/// Source: AUTOTRAINER (loss ≥ 10³); TheDeepChecker (≥ 2× the minimum reached so far) (reference
/// notes, §2 rule 2). It still looks after NaN/Inf has appeared, and a blow-up at a step
/// confirms the exploding rule's ratio test there.
package struct LossBlowUpRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .lossBlowUp }
    package var priority: Int { 20 }
    package var family: Set<Verdict.Kind> { ExplodingRule.overshoot }
    package var evaluatesAfterNonFinite: Bool { true }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.lossBlowUp(context.steps, upTo: context.i, context.thresholds).map { [$0] } ?? []
    }

    /// The ladder of the exploding family (`ExplodingRule.ladder`).
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return ExplodingRule.ladder(config, predicted: predicted)
    }

    static func lossBlowUp(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let s = steps[i]
        if s.loss.isFinite && s.loss >= t.lossBlowUp {
            return Verdict(kind: .lossBlowUp, layers: [], firstStep: s.step, predicted: false,
                           evidence: String(format: "loss %@ ≥ %.0e%@", Number.short(s.loss), t.lossBlowUp, i == 0 ? " before training had moved the weights" : ""),
                           explanation: i == 0
                               ? "the loss is already enormous at the start: the initialization or the input scale puts the outputs orders of magnitude off."
                               : "the loss has grown by orders of magnitude: the updates are overshooting.",
                           remedies: [])
        }
        guard i >= 10 else { return nil }
        let smooth = LossSeries.smoothed(steps, upTo: i)
        let start = LossSeries.smoothed(steps, upTo: Swift.min(4, i))
        let minimum = (4...i).map { LossSeries.smoothed(steps, upTo: $0) }.min() ?? smooth
        guard smooth.isFinite, smooth > start, smooth >= t.lossBlowUpFactor * minimum, smooth > minimum + 0.1 else { return nil }
        return Verdict(kind: .lossBlowUp, layers: [], firstStep: s.step, predicted: false,
                       evidence: String(format: "smoothed loss %@, %.1f× its minimum %@ and above its start %@", Number.short(smooth), smooth / minimum, Number.short(minimum), Number.short(start)),
                       explanation: "training made the loss worse than where it started: the steps are too large for this landscape.",
                       remedies: [])
    }
}
