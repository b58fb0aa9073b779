import Foundation
import GradLab
import GradLabDiagnostics

/// The repair report: problem, candidates tried, winner, before/after gradient pictures and loss
/// curves, and the repaired config — as one self-contained HTML page.
package enum RepairReport {
    /// Per-layer ‖∂L/∂W‖ over probed steps, input layer on top (layer × step heat map).
    package static func gradientHeatmap(_ steps: [ProbeStep], title: String) -> String {
        let probed = steps.filter { !$0.layers.isEmpty }
        guard let first = probed.first else { return "" }
        let rows = first.layers.map(\.name)
        let values = rows.indices.map { l in probed.map { $0.layers.indices.contains(l) ? $0.layers[l].gradNorm : .nan } }
        return SVG.heatmap(title: title, rows: rows, steps: probed.map(\.step), values: values, unit: "‖∂L/∂W‖")
    }

    package static func html(_ r: RepairResult, repairedConfigPath: String?) -> String {
        var b = "<h1>GradLab repair report</h1>"
        guard let problem = r.problem else {
            return SVG.page(title: "GradLab repair", body: b + "<p class=\"ok\">No problem found: nothing to repair.</p>")
        }
        b += "<h2>Problem</h2><p><b>\(SVG.escape(problem.kind.rawValue))</b>: \(SVG.escape(problem.line))</p>"
        b += "<p>Why: \(SVG.escape(problem.explanation))</p>"
        if r.allVerdicts.count > 1 {
            b += "<p>Other verdicts: " + r.allVerdicts.filter { $0.kind != problem.kind }.map { SVG.escape($0.line) }.joined(separator: "<br/>") + "</p>"
        }
        b += String(format: "<h2>Candidates</h2><p>Each trained %d steps from the same seed; the unrepaired run's mean loss over the last 10%% of those steps was %@. A winner must remove the problem and lower that by the margin.</p>",
                    r.trialSteps, r.unrepairedMetric.isFinite ? String(format: "%.4g", r.unrepairedMetric) : "∞ (it broke down)")
        b += "<table><tr><th>#</th><th>remedy</th><th>why</th><th>problem removed</th><th>loss</th><th>verdicts after</th><th>time</th></tr>"
        for (i, a) in r.attempts.enumerated() {
            let won = a.problemRemoved && a.improved
            b += "<tr\(won ? " class=\"ok\"" : "")><td>\(i + 1)</td><td>\(SVG.escape(a.name))\(a.inRun ? " (in-run)" : "")\(won ? " <b>✓ winner</b>" : "")</td>"
            b += "<td>\(SVG.escape(a.rationale))</td><td>\(a.problemRemoved ? "yes" : "no")</td>"
            b += "<td>\(a.metric.isFinite ? String(format: "%.4g", a.metric) : "∞")\(a.improved ? "" : " (not better)")</td>"
            b += "<td>\(a.error.map(SVG.escape) ?? (a.verdicts.isEmpty ? "none" : a.verdicts.map(SVG.escape).joined(separator: "<br/>")))</td>"
            b += String(format: "<td>%.2f s</td></tr>", a.seconds)
        }
        b += "</table>"
        if let w = r.winner {
            b += "<p class=\"ok\"><b>Repaired by: \(SVG.escape(w.name)).</b>"
            if let repairedConfigPath { b += " Rerun with <code>gradlab train --config \(SVG.escape(repairedConfigPath))</code>." }
            b += "</p>"
        } else {
            b += "<p class=\"bad\"><b>No candidate repaired the run.</b></p>"
        }
        b += String(format: "<p>Cost: %d trial steps, %.2f× the run's %d steps (%.2f s of trials; the unrepaired run took %.2f s).</p>",
                    r.attempts.count * r.trialSteps, r.costRatio, r.config.steps, r.repairSeconds, r.runSeconds)
        b += "<h2>Before and after</h2>"
        b += "<figure>" + SVG.lineChart(title: "Training loss", xLabel: "step", yLabel: "loss",
                                        series: [("unrepaired", r.beforeLoss)] + (r.winner.map { [("repaired: \($0.name)", r.afterLoss)] } ?? []),
                                        logY: true) + "</figure>"
        b += "<figure>" + gradientHeatmap(r.before, title: "Unrepaired: gradient reaching each layer's weights") + "</figure>"
        if r.winner != nil { b += "<figure>" + gradientHeatmap(r.after, title: "Repaired: gradient reaching each layer's weights") + "</figure>" }
        if let c = r.repairedConfig { b += "<h2>Repaired config</h2><pre>\(SVG.escape(c.json))</pre>" }
        return SVG.page(title: "GradLab repair: \(problem.kind.rawValue)", body: b)
    }
}
