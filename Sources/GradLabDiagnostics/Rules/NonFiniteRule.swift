import Foundation
import GradLab

/// Rule 1, non-finite values: NaN or Inf in the loss or in any layer's activations, δ or weight
/// gradient at this step, located where it entered — the first layer (forward order) whose
/// activations are non-finite, else the top-most whose δ or gradient is (`ProbeStep.firstNonFinite`),
/// else "in the loss".
///
/// Thresholds: none; one non-finite value is enough.
///
/// Source: AUTOTRAINER's NaN check; DeepLocalize; SageMaker Debugger's ExplodingTensor;
/// TensorFlow's check-numerics and torch's anomaly mode (reference notes, §2 rule 1).
/// Also predicted at step 0 from the look before training. Once NaN/Inf has appeared the other
/// rules stop looking (the run is lost); this one and the loss blow-up keep going.
package struct NonFiniteRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .nonFinite }
    package var priority: Int { 10 }
    package var family: Set<Verdict.Kind> { ExplodingRule.overshoot }
    package var evaluatesAfterNonFinite: Bool { true }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.nonFinite(context.step).map { [$0] } ?? []
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.nonFinite(step0).map { [$0] } ?? []
    }

    /// The ladder of the exploding family (`ExplodingRule.ladder`).
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return ExplodingRule.ladder(config, predicted: predicted)
    }

    static func nonFinite(_ s: ProbeStep) -> Verdict? {
        let lossBad = !s.loss.isFinite
        guard let first = s.firstNonFinite ?? (lossBad ? (0, "loss") : nil) else { return nil }
        let bad = s.layers.filter { $0.activationNonFinite + $0.deltaNonFinite + $0.gradNonFinite > 0 }.map(\.layer)
        let whereText = first.layer == 0 ? "in the loss" : "first in layer \(first.layer) (\(first.pass) pass)"
        return Verdict(kind: .nonFinite, layers: bad, firstStep: s.step, predicted: false,
                       evidence: "NaN/Inf \(whereText); loss \(Number.short(s.loss)), gradient norm \(Number.short(s.gradNorm))",
                       explanation: "a value overflowed; from there NaN spreads through every later operation and the weights are lost.",
                       remedies: [])
    }
}
