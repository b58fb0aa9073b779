import Foundation
import GradLab
import GradLabDiagnostics

/// The run report: one self-contained HTML file (no scripts, no network) with SVG charts.
///
/// Every run has one key (`#1`, …) and one style (`RunStyle`) in every chart and table; its
/// legend entry and table row give every setting that tells it apart from the other runs.
package enum RunReport {
    package static func html(_ runs: [StoredRun], title: String) -> String {
        let ids = RunIdentity.of(runs.map(\.config), names: runs.map(\.name))
        var b = "<h1>\(SVG.escape(title))</h1>"
        b += "<p>\(runs.count) run\(runs.count == 1 ? "" : "s"). Each run keeps its colour and key (#1, #2, …) in every chart. Charts: the sweep's result over its settings, loss and accuracy against the training step, per-layer gradient heat maps (log colour; red = NaN/Inf), per-layer bars, the product of per-layer factors, verdicts, predicted vs measured where the theory applies. Layers are numbered from the input, 1 = the first linear layer, with their names (3 · layers.4).</p>"
        b += summaryTable(runs, ids)
        b += SweepView.html(runs, ids)
        // Loss and accuracy share one x axis: training steps from 0 to the last step or evaluation.
        let steps = 0...Double(Swift.max(1, runs.map { Swift.max($0.steps.last?.step ?? 0, $0.evals.last?.step ?? 0) }.max() ?? 1))
        b += "<h2>Loss</h2><figure>" + SVG.lineChart(title: "Training loss (every step)", xLabel: "training step", yLabel: "loss",
                                                     series: zip(runs, ids).map { r, id in
                                                         SVG.Series(id.legend, style: id.style, points: r.steps.map { (Double($0.step), $0.loss) })
                                                     }, y: .log, xDomain: steps) + "</figure>"
        let withAccuracy = runs.indices.filter { runs[$0].evals.contains { $0.accuracy != nil } }
        if !withAccuracy.isEmpty {
            b += "<figure>" + SVG.lineChart(title: "Test accuracy", xLabel: "training step", yLabel: "accuracy",
                                            series: withAccuracy.map { i in
                                                SVG.Series(ids[i].legend, style: ids[i].style,
                                                           points: runs[i].evals.compactMap { e in e.accuracy.map { (Double(e.step), $0) } })
                                            }, xDomain: steps) + "</figure>"
        }
        if runs.count > 1, runs.allSatisfy({ $0.probe.first?.layers.isEmpty == false }) {
            b += "<h2>Comparison</h2><figure>" + SVG.lineChart(title: "‖∂L/∂W‖ per layer at step 0", xLabel: "layer (1 = first linear layer from the input)",
                                                               yLabel: "‖∂L/∂W‖", series: zip(runs, ids).map { r, id in
                                                                   SVG.Series(id.legend, style: id.style, points: r.probe[0].layers.map { (Double($0.layer), $0.gradNorm) })
                                                               }, y: .log) + "</figure>"
        }
        for (run, id) in zip(runs, ids) { b += RunSection.html(run, id) }
        return SVG.page(title: title, body: b)
    }

    static func summaryTable(_ runs: [StoredRun], _ ids: [RunIdentity]) -> String {
        var t = "<table><tr><th>key</th><th>settings</th><th>run</th><th>model</th><th>activation</th><th>init</th><th>depth</th><th>steps</th><th>final loss</th><th>test loss</th><th>test accuracy</th><th>verdicts</th></tr>"
        for (r, id) in zip(runs, ids) {
            let e = r.evals.last
            t += "<tr><td>\(id.style.swatch)\(id.key)</td><td>\(SVG.escape(id.settingsText))</td><td>\(SVG.escape(r.name))</td><td>\(r.config.model)</td><td>\(r.config.activation)</td>"
            t += "<td>\(SVG.escape(r.config.initializer.rawValue))\([.normal, .uniform, .orthogonal].contains(r.config.initializer) ? String(format: " σ_w²=%g", r.config.sigmaW2) : "")</td>"
            t += "<td>\(r.config.depth)</td><td>\(r.steps.count)</td><td>\(fmt(r.steps.last?.loss))</td><td>\(fmt(e?.loss))</td>"
            t += "<td>\(e?.accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–")</td><td>\(r.verdicts.isEmpty ? "none" : r.verdicts.map { SVG.escape($0.kind.rawValue) }.joined(separator: ", "))</td></tr>"
        }
        return t + "</table>"
    }

    static func fmt(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.4g", $0) : "\($0)" } ?? "–" }
}
