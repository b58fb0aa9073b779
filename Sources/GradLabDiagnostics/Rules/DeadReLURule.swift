import Foundation
import GradLab

/// Rule 8, dying ReLU: some layer has more than `deadFraction` of its ReLU units that output 0
/// for every sample of the batch, confirmed either model-wide — the mean over layers of the
/// fraction of exactly-zero weight-gradient entries is at least `zeroGradientFraction` — or by a
/// layer at least `deadLayerFraction` dead. Narrow healthy ReLU nets have a few dead units by
/// chance; the confirmation keeps them quiet. The layers past `deadFraction` are named.
///
/// Thresholds: `deadFraction` = 0.5, `deadLayerFraction` = 0.9, `zeroGradientFraction` = 0.7.
///
/// Source: AUTOTRAINER γ = 0.7 (good range 60–90%); SageMaker Debugger's DeadRelu;
/// TheDeepChecker; DeepDiagnosis (reference notes, §2 rule 8). Also predicted at step 0.
package struct DeadReLURule: DiagnosisRule {
    package init() {}
    package var kind: Verdict.Kind { .deadReLU }
    /// Before vanishing: dead units zero the gradient themselves.
    package var priority: Int { 40 }

    package func evaluate(_ context: RuleContext) -> [Verdict] {
        Self.dead(context.step.layers, context.thresholds, step: context.step.step).map { [$0] } ?? []
    }

    package func predict(_ step0: ProbeStep, thresholds: DiagnosisThresholds) -> [Verdict] {
        Self.dead(step0.layers, thresholds, step: step0.step).map { [$0] } ?? []
    }

    /// Zero bias and standardized inputs, leaky ReLU, SELU, batch normalization, the matched
    /// init; units that die only during training were pushed there by too large a step, so then
    /// the learning rate ÷10 comes first.
    package func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        let structural = [RepairCandidate.zeroBias, .leaky, .selu, .batchNorm, .initFix(config)].compactMap { $0 }
        return predicted ? structural : [.lrDown] + structural
    }

    static func dead(_ layers: [LayerStats], _ t: DiagnosisThresholds, step: Int) -> Verdict? {
        let deadLayers = layers.filter { ($0.deadFraction ?? 0) > t.deadFraction }
        let zeros = layers.map(\.gradZeroFraction)
        let meanZero = zeros.reduce(0, +) / Double(Swift.max(zeros.count, 1))
        // Narrow healthy ReLU nets have a few dead units by chance: require the model-wide
        // zero-gradient share (AUTOTRAINER's γ) or a layer that is (almost) entirely dead.
        let wholeLayer = layers.contains { ($0.deadFraction ?? 0) >= t.deadLayerFraction }
        guard !deadLayers.isEmpty, meanZero >= t.zeroGradientFraction || wholeLayer else { return nil }
        let worst = deadLayers.max { ($0.deadFraction ?? 0) < ($1.deadFraction ?? 0) }
        let evidence = worst.map { String(format: "%.0f%% of layer %d's ReLU units output 0 for every sample; %.0f%% of weight-gradient entries are exactly 0",
                                          ($0.deadFraction ?? 0) * 100, $0.layer, meanZero * 100) }
            ?? String(format: "%.0f%% of weight-gradient entries are exactly 0", meanZero * 100)
        return Verdict(kind: .deadReLU, layers: deadLayers.map(\.layer), firstStep: step, predicted: false, evidence: evidence,
                       explanation: "a ReLU whose input is negative for every sample passes no gradient, so it can never recover: those units are dead.",
                       remedies: [])
    }
}
