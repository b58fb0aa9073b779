import Foundation
import GradLab
import GradLabTheory

/// The probe's measured ‖δ_l‖/‖δ_L‖ at step 0 beside the mean-field prediction √R(l), for MLPs
/// whose initializer has a known σ_w² (hidden layers only; the output layer is not part of the theory).
/// The input layer's fan-in is the data's, not the width, so its σ_w² (weight variance × fan-in)
/// is taken from its drawn weights, ‖W₁‖_F²/fan_out: 2·fan_in/(fan_in + fan_out) under Glorot
/// rather than the hidden layers' 1, gain²·min(1, fan_in/fan_out) for orthogonal weights.
public struct PredictedOverlay: Sendable {
    public struct Row: Sendable { public var layer: Int; public var measured: Double; public var predicted: Double; public var deviation: Double }
    public let rows: [Row]
    /// σ_w² of the hidden layers, and of the input layer.
    public let sigmaW2: Double, firstLayerSigmaW2: Double

    /// - Parameter inputVariance: ‖x‖²/N of the run's inputs, as recorded with the run.
    public init?(config: RunConfig, step0: ProbeStep, inputVariance: Double) {
        guard config.depth >= 2, let w2 = config.initializer.sigmaW2(configured: config.sigmaW2) else { return nil }
        let act = config.activation
        let hidden = Array(step0.layers.prefix(config.depth))
        guard hidden.count == config.depth, let top = hidden.last?.deltaNorm, top > 0 else { return nil }
        let b2 = config.initializer.drawsBiasVariance ? config.sigmaB2 : 0
        let drawn = hidden[0].weightNorm * hidden[0].weightNorm / Double(config.width)
        let w2First = drawn.isFinite && drawn > 0 ? drawn : w2
        let r = SignalPropagation(activation: act, sigmaW2: w2, sigmaB2: b2)
            .gradientSquaredRatio(depth: config.depth, inputVariance: inputVariance, firstLayerSigmaW2: w2First)
        rows = hidden.enumerated().map { l, s in
            let m = s.deltaNorm / top, p = r[l].squareRoot()
            return Row(layer: l + 1, measured: m, predicted: p, deviation: log10(m) - log10(p))
        }
        sigmaW2 = w2; firstLayerSigmaW2 = w2First
    }

    public var text: String {
        // Named with the layer it is relative to: the verdicts' ratios are to the output layer.
        let top = rows.last?.layer ?? 0
        var lines = [String(format: "Predicted vs measured at step 0 (mean-field theory, σ_w² = %.4g, input layer %.4g): ‖δ_l‖/‖δ_%d‖, relative to the last hidden layer %d",
                            sigmaW2, firstLayerSigmaW2, top, top),
                     "layer   measured    predicted   deviation (decades)"]
        let step = max(1, rows.count / 12)
        for row in rows where (row.layer - 1) % step == 0 || row.layer == rows.count {
            lines.append(String(format: "%5d   %.3e   %.3e   %+.2f", row.layer, row.measured, row.predicted, row.deviation))
        }
        let worst = rows.map { abs($0.deviation) }.max() ?? 0
        lines.append(String(format: "largest deviation %.2f decades%@", worst, worst > 0.3 ? " (beyond the ±0.3 expected at width ≥ 256)" : ""))
        return lines.joined(separator: "\n")
    }
}
