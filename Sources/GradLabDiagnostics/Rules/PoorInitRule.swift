import Foundation
import GradLab

/// Rule 10, poor initialization (symmetric weights): some layer's weights all have the same
/// value, standard deviation 0 (a constant or zero init). Identical units get identical
/// gradients and can never become different. Those layers are named.
///
/// Thresholds: none (an exact test on `LayerStats.weightStd`).
///
/// Source: SageMaker Debugger's PoorWeightInitialization; TheDeepChecker; NeuraLint flags
/// constant init statically (reference notes, §2 rule 10 and §5 case 10). Also predicted at
/// step 0.
package struct PoorInitRule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .poorInit }
    package var priority: Int { 70 }
    /// Symmetric weights that never move also show as unchanged.
    package var family: Set<Verdict.Kind> { [.poorInit, .unchanged] }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.symmetric(context.step.layers, step: context.step.step).map { [$0] } ?? []
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.symmetric(step0.layers, step: step0.step).map { [$0] } ?? []
    }

    /// A random init (the one matched to the activation, else Glorot uniform), then Adam.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        return [RepairCandidate.initFix(config) ?? .glorotUniform, .adam]
    }

    static func symmetric(_ layers: [LayerStats], step: Int) -> Verdict? {
        let flat = layers.filter { ($0.weightStd ?? 1) == 0 }
        guard !flat.isEmpty else { return nil }
        return Verdict(kind: .poorInit, layers: flat.map(\.layer), firstStep: step, predicted: false,
                       evidence: "every weight of layer\(flat.count > 1 ? "s" : "") \(Verdict.ranges(flat.map(\.layer))) has the same value (standard deviation 0)",
                       explanation: "identical weights give identical units and identical gradients: the units can never become different (broken symmetry is needed).",
                       remedies: [])
    }
}
