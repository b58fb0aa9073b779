import Foundation
import GradLab
import GradLabDiagnostics

/// One stored run, read back from its `RunDirectory`: config, metrics, probe records, verdicts.
package struct StoredRun {
    package var name: String
    package var dir: String
    package var config: RunConfig
    package var steps: [StepRecord]
    package var evals: [EvalRecord]
    package var probe: [ProbeStep]
    package var verdicts: [Verdict]
    /// ‖x‖²/N of the training inputs, from `result.json` (for the mean-field prediction).
    package var inputVariance: Double?

    package static func load(_ dir: String) throws -> StoredRun {
        let d = RunDirectory(dir)
        let run = StoredRun(name: d.name, dir: dir, config: try d.readConfig(), steps: try d.readMetrics(), evals: try d.readEvals(),
                            probe: try d.readProbe(), verdicts: try d.readVerdicts(), inputVariance: d.readResult()?.inputVariance)
        guard !run.steps.isEmpty else { throw GradLabError.data("\(dir): no metrics yet (is the run finished? its result.json marks it done)") }
        return run
    }

    /// Run directories under `path`: itself if it holds a run, else its sub-directories that do.
    package static func directories(_ path: String) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw GradLabError.io("\(path): no such run or experiment directory")
        }
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("metrics.jsonl")) { return [path] }
        let subs = try fm.contentsOfDirectory(atPath: path).sorted().map { (path as NSString).appendingPathComponent($0) }
            .filter { fm.fileExists(atPath: ($0 as NSString).appendingPathComponent("metrics.jsonl")) }
        guard !subs.isEmpty else { throw GradLabError.data("\(path) holds no finished runs (directories with metrics.jsonl)") }
        return subs
    }
}

/// The run report: one self-contained HTML file (no scripts, no network) with SVG charts.
package enum RunReport {
    package static func html(_ runs: [StoredRun], title: String) -> String {
        var b = "<h1>\(SVG.escape(title))</h1>"
        b += "<p>\(runs.count) run\(runs.count == 1 ? "" : "s"). Charts: loss, per-layer gradient heat maps (log colour; red = NaN/Inf), per-layer bars, the product of per-layer factors, verdicts, predicted vs measured where the theory applies.</p>"
        b += summaryTable(runs)
        b += "<h2>Loss</h2><figure>" + SVG.lineChart(title: "Training loss (every step)", xLabel: "step", yLabel: "loss",
                                                     series: runs.map { ($0.name, $0.steps.map(\.loss)) }, logY: true) + "</figure>"
        let accRuns = runs.filter { $0.evals.contains { $0.accuracy != nil } }
        if !accRuns.isEmpty {
            b += "<figure>" + SVG.lineChart(title: "Test accuracy", xLabel: "evaluation", yLabel: "accuracy",
                                            series: accRuns.map { ($0.name, $0.evals.map { $0.accuracy ?? .nan }) }) + "</figure>"
        }
        if runs.count > 1, runs.allSatisfy({ $0.probe.first?.layers.isEmpty == false }) {
            b += "<h2>Comparison</h2><figure>" + SVG.lineChart(title: "‖∂L/∂W‖ per layer at step 0 (input layer first)", xLabel: "layer",
                                                               yLabel: "‖∂L/∂W‖", series: runs.map { ($0.name, $0.probe[0].layers.map(\.gradNorm)) },
                                                               xStep: 1, logY: true) + "</figure>"
        }
        for run in runs { b += section(run) }
        return SVG.page(title: title, body: b)
    }

    static func summaryTable(_ runs: [StoredRun]) -> String {
        var t = "<table><tr><th>run</th><th>model</th><th>activation</th><th>init</th><th>depth</th><th>steps</th><th>final loss</th><th>test loss</th><th>test accuracy</th><th>verdicts</th></tr>"
        for r in runs {
            let e = r.evals.last
            t += "<tr><td>\(SVG.escape(r.name))</td><td>\(r.config.model)</td><td>\(r.config.activation)</td><td>\(SVG.escape(r.config.initializer.rawValue))\([.normal, .uniform, .orthogonal].contains(r.config.initializer) ? String(format: " σ_w²=%g", r.config.sigmaW2) : "")</td>"
            t += "<td>\(r.config.depth)</td><td>\(r.steps.count)</td><td>\(fmt(r.steps.last?.loss))</td><td>\(fmt(e?.loss))</td>"
            t += "<td>\(e?.accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–")</td><td>\(r.verdicts.isEmpty ? "none" : r.verdicts.map { SVG.escape($0.kind.rawValue) }.joined(separator: ", "))</td></tr>"
        }
        return t + "</table>"
    }

    static func fmt(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.4g", $0) : "\($0)" } ?? "–" }

    static func section(_ run: StoredRun) -> String {
        var b = "<h2>\(SVG.escape(run.name))</h2>"
        // Training steps only: the look before training is the step-0 prediction's, not a step.
        let probed = run.probe.filter { !$0.layers.isEmpty && $0.beforeTraining != true }
        // Per-layer pictures need a stack of layers; a recurrent net's story is through time.
        if probed.first.map({ $0.layers.count >= 3 }) ?? false {
            b += "<figure>" + RepairReport.gradientHeatmap(probed, title: "\(run.name): ‖∂L/∂W‖, layer × step") + "</figure>"
            // Bars at three steps: first, middle, last probed.
            let picks = Array(Set([0, probed.count / 2, probed.count - 1])).sorted().map { probed[$0] }
            b += "<figure>" + SVG.barChart(title: "‖∂L/∂W‖ per layer at chosen steps", categories: probed[0].layers.map { "\($0.layer)" },
                                           series: picks.map { ("step \($0.step)", $0.layers.map(\.gradNorm)) }, yLabel: "‖∂L/∂W‖ (log)") + "</figure>"
            b += "<figure>" + SVG.lineChart(title: "Product of factors ‖δ_l‖/‖δ_L‖ (top layer = 1), and per-layer gain", xLabel: "layer (input first)",
                                            yLabel: "ratio", series: picks.map { ("product, step \($0.step)", $0.layers.map(\.gainProduct)) }
                                                + [("gain ‖δ_l‖/‖δ_l+1‖, step \(picks[0].step)", picks[0].layers.map { $0.gain ?? .nan })],
                                            xStep: 1, logY: true) + "</figure>"
            if let inputVariance = run.inputVariance {
                var rows: [(String, [Double])] = []
                var notes: [String] = []
                for s in picks {
                    guard let p = PredictedOverlay(config: run.config, step0: s, inputVariance: inputVariance)?.rows else { continue }
                    if rows.isEmpty { rows.append(("predicted (mean field, at init)", p.map(\.predicted))) }
                    rows.append(("measured, step \(s.step)", p.map(\.measured)))
                    let worst = p.map { Swift.abs(Foundation.log10($0.measured) - Foundation.log10($0.predicted)) }.filter(\.isFinite).max() ?? .nan
                    notes.append(String(format: "step %d: largest deviation %.2f decades", s.step, worst))
                }
                if !rows.isEmpty {
                    b += "<figure>" + SVG.lineChart(title: "Predicted vs measured ‖δ_l‖/‖δ_L‖ per hidden layer", xLabel: "hidden layer", yLabel: "ratio",
                                                    series: rows, xStep: 1, logY: true) + "<figcaption>\(notes.joined(separator: "; "))</figcaption></figure>"
                }
            }
        }
        let timed = run.probe.filter { !$0.time.isEmpty }
        if let first = timed.first, let T = first.time.first?.gradNormByTime.count, T > 0 {
            // Time × training: one row per (sampled) probed step, the first recurrent layer.
            let rows = stride(from: 0, to: timed.count, by: Swift.max(1, timed.count / 24)).map { timed[$0] } + (timed.count > 1 ? [timed.last!] : [])
            b += "<figure>" + SVG.heatmap(title: "‖∂L/∂h_t‖ through time, as training goes on (\(first.time[0].name))",
                                          rows: rows.map { "step \($0.step)" }, steps: Array(1...T), values: rows.map { $0.time[0].gradNormByTime },
                                          unit: "‖∂L/∂h_t‖", xLabel: "time step t (the loss reads h_T)") + "</figure>"
            b += "<figure>" + SVG.lineChart(title: "‖∂L/∂h_1‖/‖∂L/∂h_T‖: the product of per-step factors", xLabel: "probed step",
                                            yLabel: "ratio", series: first.time.indices.map { l in (first.time[l].name, timed.map { $0.time.indices.contains(l) ? $0.time[l].firstToLast : .nan }) },
                                            logY: true) + "</figure>"
        }
        b += "<h3>Verdicts</h3>"
        b += run.verdicts.isEmpty ? "<p class=\"ok\">healthy: no problem found</p>"
            : "<ul>" + run.verdicts.map { "<li><b>\(SVG.escape($0.kind.rawValue))</b>: \(SVG.escape($0.line))<br/><i>\(SVG.escape($0.explanation))</i></li>" }.joined() + "</ul>"
        b += "<details><summary>config</summary><pre>\(SVG.escape(run.config.json))</pre></details>"
        return b
    }
}
