import Foundation
import GradLab

/// Not learning, judged on the outcome at the end of the run: over its second half (at least
/// `stuckMinSteps` steps of training, two probed points), the mean fixed-batch accuracy is within
/// `stuckAccuracyMargin` of chance, or the mean fixed-batch loss is above `stuckLossFraction` of
/// the task's baseline (`TaskBaseline`: the loss of the best constant
/// answer). A run can fall from a bad start to the baseline and stay there (a chaotic net starts
/// far above it): its own starting loss is no yardstick, the constant answer is.
///
/// The verdict names the most likely cause with its numbers, checked in this order on the probed
/// layers: the back-propagated signal growing (‖δ₁‖/‖δ_L‖ > `stuckSignalRatio`) or shrinking
/// (< 1/`stuckSignalRatio`) toward the input, at the first probed step (where the initialization
/// decides it) or else the last; units dead or saturated on half the batch; steps
/// far too small (median ‖ΔW‖/‖W‖ < `stuckUpdateRatioLow`) or too large (> `updateRatioHigh`/10);
/// when the gradients look healthy, the data or labels. `Repair.ladder` takes its remedies from
/// the cause's rule (none for the data).
///
/// Thresholds: `stuckMinSteps` = 100, `stuckAccuracyMargin` = 0.05, `stuckLossFraction` = 0.98,
/// `stuckSignalRatio` = 10, `stuckUpdateRatioLow` = 1e-5.
package struct NotLearningRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .notLearning }
    package var priority: Int { 105 }
    package var family: Set<Verdict.Kind> { [.notLearning, .notDecreasing] }
    package var role: VerdictRole { .consequence }
    package var judgesOutcome: Bool { true }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        guard let baseline = context.baseline else { return [] }
        return Self.notLearning(context.steps, upTo: context.i, baseline, context.thresholds).map { [$0] } ?? []
    }

    static func notLearning(_ steps: [ProbeStep], upTo i: Int, _ baseline: TaskBaseline, _ t: DiagnosisThresholds) -> Verdict? {
        let end = steps[i].step, start = steps[0].step
        guard end - start >= t.stuckMinSteps else { return nil }
        let tail = steps[...i].filter { $0.step >= start + (end - start) / 2 }
        let losses = tail.map { $0.fixedLoss ?? $0.loss }
        guard tail.count >= 2, losses.allSatisfy(\.isFinite) else { return nil }
        let accuracies = tail.compactMap { $0.fixedAccuracy ?? $0.accuracy }
        // Means over the half: one lucky batch neither rescues a stuck run nor sinks a slow one.
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(Swift.max(xs.count, 1)) }
        let atChance = baseline.accuracy.map { chance in
            accuracies.count == tail.count && mean(accuracies) <= chance + t.stuckAccuracyMargin
        } ?? false
        let atBaseline = mean(losses) >= t.stuckLossFraction * baseline.loss
        guard atChance || atBaseline else { return nil }

        let fixed = tail.allSatisfy { $0.fixedLoss != nil }
        var evidence = String(format: "over steps %d–%d the %@ loss stayed at %@ (the constant answer's is %@)",
                              tail[0].step, end, fixed ? "fixed-batch" : "training", Number.range(losses), Number.short(baseline.loss))
        if let chance = baseline.accuracy, !accuracies.isEmpty {
            evidence += String(format: " and the accuracy at %@ (chance %@)", Number.percentRange(accuracies), Number.percent(chance))
        }
        let (cause, why) = likelyCause(steps, upTo: i, t)
        var v = Verdict(kind: .notLearning, layers: [], firstStep: tail[0].step, predicted: false,
                        evidence: evidence + "; most likely cause: " + why,
                        explanation: "the model answers no better than a constant guess: whatever it learned does not transfer to the task.",
                        remedies: [])
        v.cause = cause
        return v
    }

    /// The most likely reason a run learned nothing, from the probed layers: the cause's kind (nil
    /// for the data) and the evidence in words.
    static func likelyCause(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> (Verdict.Kind?, String) {
        let probed = steps[...i].filter { $0.layers.count >= 2 }
        guard let first = probed.first, let last = probed.last else { return (nil, "no layer statistics were probed") }
        // The signal ratio at the start, before training reshaped the weights (what the init
        // decided), else now.
        let ratios = [first, last].compactMap { s -> (ProbeStep, Double)? in
            guard let r = s.layers.first?.gainProduct, r.isFinite, r > 0 else { return nil }
            return (s, r)
        }
        let L = first.layers.count
        if let (s, r) = ratios.first(where: { $0.1 > t.stuckSignalRatio || $0.1 < 1 / t.stuckSignalRatio }) {
            let grows = r > 1
            let perLayer = Foundation.pow(r, 1 / Double(Swift.max(L - 1, 1)))
            let text = String(format: "at step %d ‖δ₁‖/‖δ_%d‖ = %@: the back-propagated signal %@ ×%.2f per layer toward the input",
                              s.step, L, Number.short(r), grows ? "grows" : "shrinks", perLayer)
            return grows
                ? (.exploding, text + " (the chaotic phase: nearby inputs are driven apart layer after layer, so the output no longer depends smoothly on the input)")
                : (.vanishing, text + ", so the first layers barely move")
        }
        if let dead = last.layers.filter({ ($0.deadFraction ?? 0) >= t.deadFraction }).max(by: { ($0.deadFraction ?? 0) < ($1.deadFraction ?? 0) }) {
            return (.deadReLU, String(format: "%.0f%% of %@'s units output 0 for every sample", (dead.deadFraction ?? 0) * 100, dead.label.prose))
        }
        if let sat = last.layers.filter({ ($0.saturatedFraction ?? 0) >= t.saturatedFraction }).max(by: { ($0.saturatedFraction ?? 0) < ($1.saturatedFraction ?? 0) }) {
            return (.saturation, String(format: "%.0f%% of %@'s inputs are saturated (|z| > 5)", (sat.saturatedFraction ?? 0) * 100, sat.label.prose))
        }
        let updates = last.layers.map(\.updateRatio).filter(\.isFinite).sorted()
        if !updates.isEmpty {
            let median = updates[updates.count / 2]
            if median < t.stuckUpdateRatioLow {
                return (.slowConvergence, "each step moves the weights by \(Number.short(median)) of their size (median ‖ΔW‖/‖W‖; healthy ≈ 1e-3): the learning rate is far too small")
            }
            if median > t.updateRatioHigh / 10 {
                return (.oscillation, "each step moves the weights by \(Number.short(median)) of their size (median ‖ΔW‖/‖W‖; healthy ≈ 1e-3): the learning rate is far too large")
            }
        }
        let r = last.layers.first?.gainProduct ?? .nan
        return (nil, "none in the gradients (‖δ₁‖/‖δ_\(L)‖ = \(Number.short(r)), no dead or saturated layer, updates of a healthy size): check the data — labels shuffled or misaligned with their rows, or features that carry no information about them")
    }
}
