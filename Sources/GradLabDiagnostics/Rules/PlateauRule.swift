import Foundation
import GradLab

/// Rule 12, loss not decreasing: once the stream spans `plateauSteps` steps, with j the last
/// probed step at least `plateauSteps` before i, the relative decrease (L_j − L_i)/L_j is below
/// `plateauDecrease` while L_i is still above `plateauLossFraction` of the starting loss (it
/// never learned). L is the fixed-batch loss when every probed step so far carries one (no
/// mini-batch noise), else the training loss smoothed over 5 checks.
///
/// Thresholds: `plateauDecrease` = 1e-3, `plateauSteps` = 100, `plateauLossFraction` = 0.9.
///
/// Source: SageMaker Debugger's LossNotDecreasing (< 0.1% decrease); TheDeepChecker (reference
/// notes, §2 rule 12).
package struct PlateauRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .notDecreasing }
    package var role: VerdictRole { .consequence }
    package var priority: Int { 120 }
    package var family: Set<Verdict.Kind> { Self.stalled }

    /// A stalled loss, updates too small, unchanged weights and slow progress count as one problem.
    static let stalled: Set<Verdict.Kind> = [.notDecreasing, .updateRatio, .unchanged, .slowConvergence]

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.plateau(context.steps, upTo: context.i, context.thresholds).map { [$0] } ?? []
    }

    /// Adam, then the learning rate ×10, then ÷10.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [.adam, .lrUp, .lrDown]
    }

    static func plateau(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let span = steps[i].step - steps[0].step
        guard span >= t.plateauSteps, let j = steps.lastIndex(where: { $0.step <= steps[i].step - t.plateauSteps }) else { return nil }
        let fixed = steps[...i].allSatisfy { $0.fixedLoss != nil }
        let now: Double, then: Double, start: Double
        if fixed {
            (now, then, start) = (steps[i].fixedLoss!, steps[j].fixedLoss!, steps[0].fixedLoss!)
        } else {
            (now, then, start) = (LossSeries.smoothed(steps, upTo: i), LossSeries.smoothed(steps, upTo: j), LossSeries.smoothed(steps, upTo: Swift.min(4, i)))
        }
        guard now.isFinite, then.isFinite, then > 0, now > t.plateauLossFraction * start else { return nil }
        let decrease = (then - now) / then
        guard decrease < t.plateauDecrease else { return nil }
        return Verdict(kind: .notDecreasing, layers: [], firstStep: steps[i].step, predicted: false,
                       evidence: String(format: "the %@ loss %@ over %d steps, still %.0f%% of its start", fixed ? "fixed-batch" : "smoothed",
                                        Number.change(from: then, to: now), steps[i].step - steps[j].step, now / start * 100),
                       explanation: "the loss has stopped falling long before the model fits the data.",
                       remedies: [])
    }
}
