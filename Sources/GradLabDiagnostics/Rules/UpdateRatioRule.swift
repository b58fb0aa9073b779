import Foundation
import GradLab

/// Rule 7, update/weight ratio, per layer with ‖W‖ > 0 and a finite ratio ‖ΔW_l‖/‖W_l‖ (the
/// update the optimizer actually made):
/// - too large: above `updateRatioHigh` in any layer at this step (those layers are named);
/// - too small: below `updateRatioLow` in every measured layer, on each of the `window` + 1
///   checks steps[i−window...i] (healthy ≈ 1e-3).
///
/// Thresholds: `updateRatioHigh` = 1, `updateRatioLow` = 1e-6, `window` = 5.
///
/// Source: TheDeepChecker/TFCheck (log₁₀ ratio outside [−4, −1], hard limits > 10 or < 10⁻⁸);
/// SageMaker Debugger's WeightUpdateRatio; DeepDiagnosis (reference notes, §2 rule 7).
package struct UpdateRatioRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .updateRatio }
    package var priority: Int { 100 }
    package var family: Set<Verdict.Kind> { PlateauRule.stalled }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.updateRatio(context.steps, upTo: context.i, context.thresholds).map { [$0] } ?? []
    }

    /// Adam, then the learning rate ×10, then ÷10.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [.adam, .lrUp, .lrDown]
    }

    static func updateRatio(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        let s = steps[i]
        let measured = s.layers.filter { $0.updateRatio.isFinite && $0.weightNorm > 0 }
        guard !measured.isEmpty else { return nil }
        if let big = measured.filter({ $0.updateRatio > t.updateRatioHigh }).max(by: { $0.updateRatio < $1.updateRatio }) {
            return Verdict(kind: .updateRatio, layers: measured.filter { $0.updateRatio > t.updateRatioHigh }.map(\.layer), firstStep: s.step, predicted: false,
                           evidence: String(format: "‖ΔW‖/‖W‖ = %.2g in layer %d: one step moved the weights by more than their size", big.updateRatio, big.layer),
                           explanation: "updates larger than the weights overwrite what the layer knew; training cannot settle.",
                           remedies: [])
        }
        guard i >= t.window else { return nil }
        let window = steps[(i - t.window)...i]
        let small = window.allSatisfy { st in
            let m = st.layers.filter { $0.updateRatio.isFinite && $0.weightNorm > 0 }
            return !m.isEmpty && m.allSatisfy { $0.updateRatio < t.updateRatioLow }
        }
        guard small else { return nil }
        let top = measured.map(\.updateRatio).max() ?? 0
        return Verdict(kind: .updateRatio, layers: measured.map(\.layer), firstStep: s.step, predicted: false,
                       evidence: String(format: "‖ΔW‖/‖W‖ ≤ %.1e in every layer for %d checks (healthy ≈ 1e-3)", top, t.window + 1),
                       explanation: "each step changes the weights by a negligible fraction: at this rate training will take forever.",
                       remedies: [])
    }
}
