import Foundation
import GradLab
import GradLabDiagnostics

/// The repair report: problem, candidates tried, winner, before/after gradient pictures and loss
/// curves, and the repaired config — as one self-contained HTML page.
package enum RepairReport {
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
        b += "<h2>Candidates</h2><p>A constant answer scores \(SVG.escape(r.baseline.description)). Each candidate trained \(r.trialSteps) steps from the same seed, "
            + "extended (doubling, up to the run's \(r.config.steps)) while it showed none of the problem's verdicts but had not yet beaten that loss. "
            + "Its mean loss over the last 10% of its steps is compared with the unrepaired run's over as many steps; a winner must remove the problem and lower that by the margin.</p>"
        b += "<table><tr><th>#</th><th>remedy</th><th>why</th><th>steps</th><th>outcome</th><th>loss (unrepaired)</th><th>verdicts after</th><th>time</th></tr>"
        for (i, a) in r.attempts.enumerated() {
            let won = a.problemRemoved && a.improved
            let outcome = a.error.map { _ in "failed" } ?? a.blockedBy.map { "blocked by \($0)" } ?? (a.improved ? "problem gone, loss lower" : "problem gone, loss not lower by the margin")
            b += "<tr\(won ? " class=\"ok\"" : "")><td>\(i + 1)</td><td>\(SVG.escape(a.name))\(a.inRun ? " (in-run)" : "")\(won ? " <b>✓ winner</b>" : "")</td>"
            b += "<td>\(SVG.escape(a.rationale))</td><td>\(a.steps)</td><td>\(SVG.escape(outcome))</td>"
            b += "<td>\(Number.short(a.metric)) (\(Number.short(a.unrepairedMetric)))</td>"
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
                    r.attempts.reduce(0) { $0 + $1.steps }, r.costRatio, r.config.steps, r.repairSeconds, r.runSeconds)
        b += beforeAfter(r)
        if let c = r.repairedConfig { b += "<h2>Repaired config</h2><pre>\(SVG.escape(c.json))</pre>" }
        return SVG.page(title: "GradLab repair: \(problem.kind.rawValue)", body: b)
    }

    /// Loss curves, then the gradient pictures of the unrepaired run and the winning trial as
    /// panels of one figure on one colour scale (the same colour is the same gradient in both).
    static func beforeAfter(_ r: RepairResult) -> String {
        let winner = r.winner
        let before = RunStyle(index: 0), after = RunStyle(index: 1)
        var b = "<h2>Before and after</h2>"
        b += "<figure>" + SVG.lineChart(title: "Training loss", xLabel: "training step", yLabel: "loss",
                                        series: [SVG.Series("unrepaired", style: before, points: r.beforeLoss.enumerated().map { (Double($0.offset), $0.element) })]
                                            + (winner.map { [SVG.Series("repaired: \($0.name)", style: after, points: r.afterLoss.enumerated().map { (Double($0.offset), $0.element) })] } ?? []),
                                        y: .log) + "</figure>"
        let trained = { (steps: [ProbeStep]) in steps.filter { $0.beforeTraining != true } }
        let (unrepaired, repaired) = (trained(r.before), winner == nil ? [] : trained(r.after))
        func span(_ s: [ProbeStep]) -> String { "steps \(s.first?.step ?? 0)–\(s.last?.step ?? 0)" }
        let layerPanels = [LayerPictures.gradientPanel(unrepaired, title: "unrepaired (\(span(unrepaired)))")]
            + (winner.map { w in [LayerPictures.gradientPanel(repaired, title: "repaired: \(w.name) (trial, \(span(repaired)))")] } ?? [])
        // A layer × step map needs a stack of layers; a recurrent net's picture is through time.
        if (unrepaired.first?.layers.count ?? 0) >= 3 {
            b += "<figure>" + SVG.heatmap(title: "‖∂L/∂W‖ reaching each layer's weights, before and after (one colour scale)",
                                          panels: layerPanels.compactMap { $0 }, unit: "‖∂L/∂W‖", xLabel: "training step", sharedX: true) + "</figure>"
        }
        let timedBefore = unrepaired.filter { !$0.time.isEmpty }, timedAfter = repaired.filter { !$0.time.isEmpty }
        if !timedBefore.isEmpty {
            // The unrepaired run at its first, middle and last probed steps, then the winning trial.
            let panels = LayerPictures.picks(timedBefore).compactMap { LayerPictures.timePanel($0, title: "unrepaired, training step \($0.step)") }
                + (winner.map { w in LayerPictures.picks(timedAfter).compactMap { LayerPictures.timePanel($0, title: "repaired: \(w.name), training step \($0.step)") } } ?? [])
            b += "<figure>" + SVG.heatmap(title: "‖∂L/∂h_t‖ per recurrent layer through time, before and after (one colour scale)",
                                          panels: panels, unit: "‖∂L/∂h_t‖", xLabel: "time step t (the loss reads h_T)") + "</figure>"
        }
        return b
    }
}
