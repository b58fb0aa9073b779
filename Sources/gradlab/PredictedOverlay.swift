import Foundation
import GradLab
import GradLabDiagnostics
import GradLabTheory

/// The probe's measured ‖δ_l‖/‖δ_L‖ at step 0 beside the mean-field prediction √R(l), for MLPs
/// whose initializer has a known σ_w² (hidden layers only; the output layer is not part of the theory).
struct PredictedOverlay {
    struct Row { var layer: Int; var measured: Double; var predicted: Double; var deviation: Double }
    let rows: [Row]
    let sigmaW2: Double

    init?(config: RunConfig, step0: ProbeStep) {
        guard let act = ActivationKind(rawValue: config.activation), config.depth >= 2,
              let w2 = PredictedOverlay.sigmaW2(config) else { return nil }
        let hidden = Array(step0.layers.prefix(config.depth))
        guard hidden.count == config.depth, let top = hidden.last?.deltaNorm, top > 0 else { return nil }
        let b2 = ["normal", "uniform"].contains(config.initializer) ? config.sigmaB2 : 0
        // Input ‖x‖²/N of the data the run used.
        guard let (train, _) = try? config.loadData() as (Dataset<Float>, Dataset<Float>) else { return nil }
        let inputVariance = train.features.moments().sumOfSquares / Double(max(train.features.count, 1))
        let r = SignalPropagation(activation: act, sigmaW2: w2, sigmaB2: b2).gradientSquaredRatio(depth: config.depth, inputVariance: inputVariance)
        rows = hidden.enumerated().map { l, s in
            let m = s.deltaNorm / top, p = r[l].squareRoot()
            return Row(layer: l + 1, measured: m, predicted: p, deviation: log10(m) - log10(p))
        }
        sigmaW2 = w2
    }

    /// σ_w² implied by the config's initializer (equal hidden widths), or nil if not Gaussian-like.
    static func sigmaW2(_ c: RunConfig) -> Double? {
        switch c.initializer {
        case "normal", "uniform", "orthogonal": return c.sigmaW2
        case "he-normal", "he-uniform": return 2
        case "lecun-normal": return 1
        case "glorot-uniform", "glorot-normal": return 1
        case "torch-default": return 1.0 / 3
        default: return nil
        }
    }

    var text: String {
        var lines = [String(format: "Predicted vs measured at step 0 (mean-field theory, σ_w² = %.4g): ‖δ_l‖/‖δ_L‖ per hidden layer", sigmaW2),
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
