import Foundation
import GradLab

/// Rule 9, saturation: in some sigmoid/tanh layer more than `saturatedFraction` of the inputs
/// (pre-activations over the batch) have |z| > 5, where the derivative is ≈ 0. The layers past
/// the threshold are named; the evidence quotes the worst.
///
/// Thresholds: `saturatedFraction` = 0.5 (the bound |z| > 5 is the probe's).
///
/// Source: DeepDiagnosis; SageMaker Debugger's SaturatedActivation; TheDeepChecker (saturation
/// ratio > 0.85) (reference notes, §2 rule 9). Also predicted at step 0.
package struct SaturationRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .saturation }
    package var priority: Int { 60 }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.saturated(context.step.layers, context.thresholds, step: context.step.step).map { [$0] } ?? []
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.saturated(step0.layers, thresholds, step: step0.step).map { [$0] } ?? []
    }

    /// Standardize the inputs, the matched init, a ReLU swap, batch normalization.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [RepairCandidate.standardize, .initFix(config), .relu, .batchNorm].compactMap { $0 }
    }

    static func saturated(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        let sat = layers.filter { ($0.saturatedFraction ?? 0) > t.saturatedFraction }
        guard let worst = sat.max(by: { ($0.saturatedFraction ?? 0) < ($1.saturatedFraction ?? 0) }) else { return nil }
        return Verdict(kind: .saturation, layers: sat.map(\.layer), firstStep: step, predicted: false,
                       evidence: String(format: "%.0f%% of layer %d's %@ inputs have |z| > 5", (worst.saturatedFraction ?? 0) * 100, worst.layer, worst.activation ?? "?"),
                       explanation: "a saturated sigmoid/tanh unit has derivative ≈ 0, so it passes (almost) no gradient back.",
                       remedies: [])
    }
}
