import Foundation
import GradLab

/// Rule 14, slow convergence, judged at the end of the run on the fixed-batch losses (start L₀ at
/// the first point, now L_i at the last probed step i), once they span `slowSteps` steps: the loss is still above
/// `slowLossFraction`·L₀; it is still falling, by at least `plateauDecrease` relative to the
/// last point `slowSteps` or more steps back (otherwise it is rule 12's plateau); and the best
/// relative improvement (L_a − L_b)/L_a over any span of at least `slowWindow` steps (b − a, the
/// shortest such span ending at each point) is below `slowImprovement`. The evidence estimates
/// the steps needed to halve the loss at that rate.
///
/// Thresholds: `slowSteps` = 100, `slowLossFraction` = 0.5, `plateauDecrease` = 1e-3,
/// `slowWindow` = 25, `slowImprovement` = 0.1.
///
/// Source: AUTOTRAINER δ (best per-epoch accuracy gain < 0.01 while below target), here on the
/// loss (reference notes, §2 rule 14). AUTOTRAINER's slow-convergence repairs: the optimizer
/// decided 147 of 160, the learning rate the rest.
package struct SlowConvergenceRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .slowConvergence }
    package var priority: Int { 110 }
    package var family: Set<Verdict.Kind> { PlateauRule.stalled }
    package var role: VerdictRole { .consequence }
    /// Slow is a judgement on the whole budget: a run that starts slowly and then learns is not.
    package var judgesOutcome: Bool { true }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.slowConvergence(context.steps, upTo: context.i, context.thresholds).map { [$0] } ?? []
    }

    /// Adam, then the learning rate ×10, then ÷10.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [.adam, .lrUp, .lrDown]
    }

    // AUTOTRAINER's slow-convergence repairs: the optimizer decided 147 of 160, the learning rate the rest.
    static func slowConvergence(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let points = LossSeries.fixedLosses(steps, upTo: i)
        guard let start = points.first, let now = points.last, now.step == steps[i].step,
              now.step - start.step >= t.slowSteps, start.loss.isFinite, start.loss > 0,
              points.allSatisfy({ $0.loss.isFinite }) else { return nil }
        // Slow, but converging: below where it started, and not yet halfway.
        guard now.loss < start.loss, now.loss > t.slowLossFraction * start.loss else { return nil }
        // Still falling: over the last `slowSteps` steps, by more than the plateau threshold.
        guard let back = points.last(where: { $0.step <= now.step - t.slowSteps }), back.loss > 0,
              (back.loss - now.loss) / back.loss >= t.plateauDecrease else { return nil }
        // Best improvement over any window of `slowWindow` steps.
        var best = -Double.infinity, j = 0
        for k in points.indices {
            while j < k && points[j + 1].step <= points[k].step - t.slowWindow { j += 1 }
            guard points[k].step - points[j].step >= t.slowWindow, points[j].loss > 0 else { continue }
            best = Swift.max(best, (points[j].loss - points[k].loss) / points[j].loss)
        }
        guard best.isFinite, best < t.slowImprovement else { return nil }
        let perStep = Foundation.log(1 - Swift.max(best, 1e-12)) / Double(t.slowWindow)
        let toHalve = perStep < 0 ? Foundation.log(0.5) / perStep : .infinity
        let s = steps[i]
        return Verdict(kind: .slowConvergence, layers: [], firstStep: s.step, predicted: false,
                       evidence: String(format: "the fixed-batch loss %@ in %d steps (still %.0f%% of its start); its best improvement over %d steps was %.1f%% (below %.0f%%): at that rate, halving it takes %@ steps",
                                        Number.change(from: start.loss, to: now.loss), now.step - start.step, now.loss / start.loss * 100, t.slowWindow, best * 100, t.slowImprovement * 100,
                                        toHalve.isFinite ? String(format: "%.0f", toHalve) : "forever"),
                       explanation: "the loss is moving in the right direction, but each step covers only a sliver of the way: the steps are too small for this landscape (learning rate too low for the optimizer, or badly scaled inputs).",
                       remedies: [])
    }
}
