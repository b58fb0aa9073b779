import Foundation
import GradLab
import GradLabDiagnostics

/// One run's section of the run report: per-layer pictures (a stack of layers), the through-time
/// pictures (recurrent layers), verdicts and config. The run's lines are drawn in its colour;
/// chosen steps differ by dash (early dotted, last solid) and bar opacity.
enum RunSection {
    static func html(_ run: StoredRun, _ id: RunIdentity) -> String {
        var b = "<h2>\(id.style.swatch)\(SVG.escape(id.key)) \(SVG.escape(run.name))</h2>"
        if !id.settings.isEmpty { b += "<p>\(SVG.escape(id.settingsText))</p>" }
        // Training steps only: the look before training is the step-0 prediction's, not a step.
        let probed = run.probe.filter { !$0.layers.isEmpty && $0.beforeTraining != true }
        // Per-layer pictures need a stack of layers; a recurrent net's story is through time.
        if probed.first.map({ $0.layers.count >= 3 }) ?? false { b += layerPictures(run, id, probed) }
        b += timePictures(run, id)
        b += "<h3>Verdicts</h3>"
        b += run.verdicts.isEmpty ? "<p class=\"ok\">healthy: no problem found</p>"
            : "<ul>" + run.verdicts.map { "<li><b>\(SVG.escape($0.kind.rawValue))</b>: \(SVG.escape($0.line))<br/><i>\(SVG.escape($0.explanation))</i></li>" }.joined() + "</ul>"
        b += "<details><summary>config</summary><pre>\(SVG.escape(run.config.json))</pre></details>"
        return b
    }

    static func layerPictures(_ run: StoredRun, _ id: RunIdentity, _ probed: [ProbeStep]) -> String {
        var b = ""
        if let panel = LayerPictures.gradientPanel(probed) {
            b += "<figure>" + SVG.heatmap(title: "\(id.key): ‖∂L/∂W‖, layer × training step", panels: [panel], unit: "‖∂L/∂W‖", xLabel: "training step") + "</figure>"
        }
        let picks = LayerPictures.picks(probed), n = picks.count
        let layerAxis = "layer (1 = first linear layer from the input)"
        b += "<figure>" + SVG.barChart(title: "\(id.key): ‖∂L/∂W‖ per layer at chosen steps", categories: probed[0].layers.map(\.label.short), xLabel: layerAxis,
                                       series: picks.enumerated().map { k, s in
                                           ("step \(s.step)", id.style.colour, LayerPictures.stepOpacity(k, of: n), s.layers.map { Optional($0.gradNorm) })
                                       }, yLabel: "‖∂L/∂W‖ (log)") + "</figure>"
        func style(_ k: Int) -> RunStyle { RunStyle(colour: id.style.colour, dash: LayerPictures.stepDash(k, of: n)) }
        let gain = RunStyle(colour: "#777777", dash: nil)
        b += "<figure>" + SVG.lineChart(title: "\(id.key): product of factors ‖δ_l‖/‖δ_L‖ (top layer = 1), and per-layer gain", xLabel: layerAxis, yLabel: "ratio",
                                        series: picks.enumerated().map { k, s in SVG.Series("product, step \(s.step)", style: style(k), points: s.layers.map { (Double($0.layer), $0.gainProduct) }) }
                                            + [SVG.Series("gain ‖δ_l‖/‖δ_l+1‖, step \(picks[0].step) (none for the top layer)", style: gain,
                                                          points: picks[0].layers.map { (Double($0.layer), $0.gain) }, lineWidth: 1)],
                                        y: .log) + "</figure>"
        guard let inputVariance = run.inputVariance else { return b }
        var series: [SVG.Series] = [], notes: [String] = []
        for (k, s) in picks.enumerated() {
            guard let p = PredictedOverlay(config: run.config, step0: s, inputVariance: inputVariance)?.rows else { continue }
            if series.isEmpty {
                series.append(SVG.Series("predicted (mean field, at init)", style: RunStyle(colour: "#000000", dash: "4,4"), points: p.map { (Double($0.layer), $0.predicted) }, dots: false))
            }
            series.append(SVG.Series("measured, step \(s.step)", style: style(k), points: p.map { (Double($0.layer), $0.measured) }))
            let worst = p.map { Swift.abs(Foundation.log10($0.measured) - Foundation.log10($0.predicted)) }.filter(\.isFinite).max() ?? .nan
            notes.append(String(format: "step %d: largest deviation %.2f decades", s.step, worst))
        }
        if !series.isEmpty {
            b += "<figure>" + SVG.lineChart(title: "\(id.key): predicted vs measured ‖δ_l‖/‖δ_L‖ per hidden layer", xLabel: "hidden layer (1 = first from the input)",
                                            yLabel: "ratio", series: series, y: .log) + "<figcaption>\(notes.joined(separator: "; "))</figcaption></figure>"
        }
        return b
    }

    /// Recurrent layers: ‖∂L/∂h_t‖ layer × time at chosen steps (one colour scale), the first
    /// layer's time profile as training goes on, and ‖∂L/∂h_1‖/‖∂L/∂h_T‖ against the step.
    static func timePictures(_ run: StoredRun, _ id: RunIdentity) -> String {
        let timed = run.probe.filter { !$0.time.isEmpty && $0.beforeTraining != true }
        guard let first = timed.first, let T = first.time.first?.gradNormByTime.count, T > 0 else { return "" }
        var b = "<figure>" + SVG.heatmap(title: "\(id.key): ‖∂L/∂h_t‖, recurrent layer × time, at chosen training steps",
                                         panels: LayerPictures.picks(timed).compactMap { LayerPictures.timePanel($0, title: "training step \($0.step)") },
                                         unit: "‖∂L/∂h_t‖", xLabel: "time step t (the loss reads h_T)") + "</figure>"
        // Time × training: one row per (sampled) probed step, the first recurrent layer.
        let rows = Set(Array(stride(from: 0, to: timed.count, by: Swift.max(1, timed.count / 24))) + [timed.count - 1]).sorted().map { timed[$0] }
        let layer = LayerPictures.recurrentLabel(0, first.time[0].name)
        b += "<figure>" + SVG.heatmap(title: "\(id.key): ‖∂L/∂h_t‖ through time as training goes on (\(layer))",
                                      panels: [SVG.HeatPanel(rows: rows.map { "step \($0.step)" }, columns: Array(1...T), values: rows.map { $0.time[0].gradNormByTime })],
                                      unit: "‖∂L/∂h_t‖", xLabel: "time step t (the loss reads h_T)") + "</figure>"
        b += "<figure>" + SVG.lineChart(title: "\(id.key): ‖∂L/∂h_1‖/‖∂L/∂h_T‖, the product of per-step factors", xLabel: "training step", yLabel: "ratio",
                                        series: first.time.indices.map { l in
                                            SVG.Series(LayerPictures.recurrentLabel(l, first.time[l].name), style: RunStyle(colour: id.style.colour, dash: RunStyle(index: l * RunStyle.palette.count).dash),
                                                       points: timed.map { (Double($0.step), $0.time.indices.contains(l) ? $0.time[l].firstToLast : nil) })
                                        }, y: .log) + "</figure>"
        return b
    }
}
