import Foundation
import GradLab

/// Rule 11, unchanged weights: a layer whose update satisfies ‖ΔW_l‖ ≤ `unchangedAbsolute` +
/// `unchangedRelative`·‖W_l‖ (finite) on each of the `window` + 1 checks steps[i−window...i].
/// Those layers are named.
///
/// Thresholds: `unchangedAbsolute` = 1e-8, `unchangedRelative` = 1e-7, `window` = 5.
///
/// Source: SageMaker Debugger's UnchangedTensor (rtol 10⁻⁵, atol 10⁻⁸); DeepLocalize and
/// DeepDiagnosis (5 checks); TFCheck (reference notes, §2 rule 11).
package struct UnchangedRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .unchanged }
    package var role: VerdictRole { .consequence }
    package var priority: Int { 80 }
    /// Weights that never move are the symmetric init's symptom too.
    package var family: Set<Verdict.Kind> { [.poorInit, .unchanged] }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.unchanged(context.steps, upTo: context.i, context.thresholds).map { [$0] } ?? []
    }

    /// A random init (the one matched to the activation, else Glorot uniform), then Adam.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [RepairCandidate.initFix(config) ?? .glorotUniform, .adam]
    }

    static func unchanged(_ steps: [ProbeStep], upTo i: Int, _ t: DiagnosisThresholds) -> Verdict? {
        guard i >= t.window else { return nil }
        let window = steps[(i - t.window)...i]
        let layers = steps[i].layers
        let still = layers.filter { l in
            window.allSatisfy { st in
                let x = st.layers[l.layer - 1]
                return x.updateNorm.isFinite && x.updateNorm <= t.unchangedAbsolute + t.unchangedRelative * x.weightNorm
            }
        }
        guard !still.isEmpty else { return nil }
        return Verdict(kind: .unchanged, layers: still.map(\.layer), firstStep: steps[i].step, predicted: false,
                       evidence: "the weights of layer\(still.count > 1 ? "s" : "") \(Verdict.ranges(still.map(\.layer))) did not change (‖ΔW‖ ≤ 1e-7‖W‖) over \(t.window + 1) checks",
                       explanation: "no gradient reaches these weights (or the step is zero), so they never learn.",
                       remedies: [])
    }
}
