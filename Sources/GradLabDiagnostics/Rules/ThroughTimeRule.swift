import Foundation
import GradLab

/// Vanishing and exploding through time, in recurrent layers: the same product of factors as
/// rules 3 and 5, one per time step instead of one per layer. For each recurrent layer,
/// r = ‖∂L/∂h_1‖/‖∂L/∂h_T‖ (`TimeStats.firstToLast`) is vanishing when r < `vanishingTimeRatio`
/// and exploding when r > `explodingTimeRatio`, on each of the last `window` probed steps. A
/// gated cell (LSTM, GRU) whose carry gates are open (fewer than `shutGateFraction` of them
/// below 0.05) can still learn to carry, so its decay must hold `window`·`gatedWindows` steps.
/// At step 0 (the prediction) one measurement decides, and a decay in an open gated cell is not
/// predicted at all. Reports `.vanishing` or `.exploding`, whose owners (`VanishingRule`,
/// `ExplodingRule`) set the priority and the ladder; the evidence gives the factor per step,
/// the recurrent weights' spectral radius and σ_max, and the gates' or hidden units' state.
///
/// Thresholds: `vanishingTimeRatio` = 1e-4, `explodingTimeRatio` = 1e4, `window` = 5,
/// `shutGateFraction` = 0.5, `gatedWindows` = 4.
///
/// Source: Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013 (the reference notes'
/// §3 for the recurrent ladder: norm clipping first for explosions, then orthogonal or identity
/// recurrence, then gating). The detection through time and its step-0 prediction are GradLab's.
package struct ThroughTimeRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .vanishing }
    /// Its predictions come after the per-layer rules' (a per-layer ratio verdict is kept over a
    /// through-time one of the same kind).
    package var predictionPhase: Int { 1 }
    package var priority: Int { VanishingRule().priority }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.throughTime(context.steps, upTo: context.i, context.thresholds)
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.throughTime([step0], upTo: 0, thresholds, prediction: true)
    }

    /// The ladder of the verdict's kind: `ExplodingRule`'s for an explosion, else `VanishingRule`'s.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        verdict.kind == .exploding
            ? ExplodingRule().candidates(for: verdict, config: config, predicted: predicted)
            : VanishingRule().candidates(for: verdict, config: config, predicted: predicted)
    }

    static func throughTime(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds, prediction: Bool = false) -> [Verdict] {
        let s = steps[i]
        // In training the decay must persist over a full window: step 0 alone is the prediction's
        // call. A gated cell whose gates are open can still learn to carry, so its decay must
        // persist `gatedWindows` times as long (and is not predicted at all).
        func holds(_ r: TimeStats, over checks: Int, _ test: (Double) -> Bool) -> Bool {
            guard prediction || i + 1 >= checks else { return false }
            return steps[Swift.max(0, i - checks + 1)...i].allSatisfy { step in step.time.first { $0.name == r.name }.map { test($0.firstToLast) } ?? false }
        }
        return s.time.compactMap { r -> Verdict? in
            let gated = r.cell == "lstm" || r.cell == "gru"
            let open = gated && r.gateNearZero < t.shutGateFraction
            let vanishing = !(prediction && open) && holds(r, over: open ? t.window * t.gatedWindows : t.window) { $0 < t.vanishingTimeRatio }
            let exploding = holds(r, over: t.window) { $0 > t.explodingTimeRatio }
            guard vanishing || exploding, r.firstToLast.isFinite else { return nil }
            let T = r.gradNormByTime.count
            let perStep = Foundation.pow(r.firstToLast, 1 / Double(Swift.max(T - 1, 1)))
            var evidence = String(format: "in %@ (%@) the gradient at step 1 is %.1e of the gradient at step %d: ×%.3f per step back over %d steps",
                                  r.name, r.cell, r.firstToLast, T, perStep, T - 1)
            if let rho = r.spectralRadius, let sigma = r.sigmaMax {
                evidence += String(format: "; recurrent weights: spectral radius %.2f, σ_max %.2f", rho, sigma)
            }
            if gated {
                evidence += String(format: "; %.0f%% of %@ gates below 0.05", r.gateNearZero * 100, r.cell == "lstm" ? "forget" : "update")
            } else if r.hiddenSaturated > 0.05 {
                evidence += String(format: "; %.0f%% of hidden units %@", r.hiddenSaturated * 100, r.cell == "rnn-relu" ? "at 0" : "saturated")
            }
            return Verdict(kind: vanishing ? .vanishing : .exploding, layers: [], firstStep: s.step, predicted: false, evidence: evidence,
                           explanation: vanishing
                            ? "back-propagation through time multiplies one Jacobian per step; below 1 on average, their product wipes out what early steps could learn, so long-range dependencies are never learned."
                            : "one Jacobian per step, above 1 on average, multiplies into a huge gradient for early steps; updates overshoot unless clipped.",
                           remedies: [])
        }
    }

}
