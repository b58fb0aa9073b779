import Foundation
import GradLab

/// Rule 13, oscillation, on the last n = `oscillationWindow` fixed-batch losses w (the probed
/// steps that carry one; n ≥ 4, and the first fixed-batch loss L₀ finite and positive), with
/// d_k = w_{k+1} − w_k and the moves those d_k with |d_k| > `oscillationDeadband`·mean(w),
/// at least n/2 of them. It fires when all of:
/// - flips: the direction changes between consecutive moves on more than `oscillationFlips` of them;
/// - swing: median|d| ≥ `oscillationSwing`·median(w) (a median, so that a few isolated spikes
///   in a settled run do not count);
/// - no overall progress: Σ max(d, 0) ≥ `oscillationRiseFall`·Σ max(−d, 0);
/// - far from fitted: mean(w) ≥ `oscillationMinLevel`·L₀ (jitter around a fitted solution is no
///   oscillation).
/// Mini-batch losses are not used: at small batch sizes their noise alone flips direction.
///
/// Thresholds: `oscillationWindow` = 30, `oscillationFlips` = 0.5, `oscillationDeadband` = 1e-3,
/// `oscillationSwing` = 0.15, `oscillationRiseFall` = 0.5, `oscillationMinLevel` = 0.1.
///
/// Source: AUTOTRAINER ζ, η; TheDeepChecker (derivative sign flips in > 50% of the last points)
/// (reference notes, §2 rule 13). AUTOTRAINER's oscillation repairs were won by the optimizer
/// (20) and the learning rate (10).
package struct OscillationRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .oscillation }
    package var priority: Int { 90 }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.oscillation(context.steps, upTo: context.i, context.thresholds).map { [$0] } ?? []
    }

    /// The learning rate ÷10, Adam, a larger batch, the learning rate ÷30.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [.lrDown, .adam, .biggerBatch, .lrDownFar]
    }

    // AUTOTRAINER's oscillation repairs were decided by the optimizer (20) and the
    // learning rate (10); the rate comes first here because it applies whatever the
    // optimizer (an Adam run at too large a rate bounces too), then batch size and momentum.
    static func oscillation(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let points = LossSeries.fixedLosses(steps, upTo: i)
        let n = t.oscillationWindow
        guard n >= 4, points.count >= n, let first = points.first?.loss, first.isFinite, first > 0 else { return nil }
        let w = points.suffix(n).map(\.loss)
        guard w.allSatisfy({ $0.isFinite }) else { return nil }
        let level = w.reduce(0, +) / Double(n)
        guard level > 0, level >= t.oscillationMinLevel * first else { return nil }
        let d = zip(w, w.dropFirst()).map { $1 - $0 }
        let moves = d.filter { abs($0) > t.oscillationDeadband * level }
        // Too few real moves to speak of a direction (a flat, stuck loss is rule 12's case).
        guard moves.count >= n / 2 else { return nil }
        let flips = Double(zip(moves, moves.dropFirst()).filter { ($0 > 0) != ($1 > 0) }.count) / Double(moves.count - 1)
        let swing = median(d.map { abs($0) }) / median(w)
        let rises = d.reduce(0) { $0 + Swift.max($1, 0) }, falls = d.reduce(0) { $0 + Swift.max(-$1, 0) }
        guard flips > t.oscillationFlips, swing >= t.oscillationSwing, rises >= t.oscillationRiseFall * falls else { return nil }
        let s = steps[i]
        let lr = s.learningRate > 0 ? String(format: " at learning rate %.3g", s.learningRate) : ""
        return Verdict(kind: .oscillation, layers: [], firstStep: s.step, predicted: false,
                       evidence: String(format: "over the last %d probed steps%@ the fixed-batch loss changed direction on %.0f%% of its moves (above %.0f%%), typically by %.0f%% of its level %.3g per step (range %.3g–%.3g), and climbed back %.0f%% of what it fell",
                                        n, lr, flips * 100, t.oscillationFlips * 100, swing * 100, median(w), w.min() ?? 0, w.max() ?? 0, falls > 0 ? rises / falls * 100 : 100),
                       explanation: "the steps overshoot the valley floor along its steepest directions, so each update undoes much of the last one: the loss bounces instead of settling.",
                       remedies: [])
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
