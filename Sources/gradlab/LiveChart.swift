import Foundation
import GradLab
import GradLabDiagnostics

/// `--watch`: redraws the per-layer gradient chart in place (about 10 times a second) on a
/// terminal; elsewhere prints it every 10% of the run. Layers are labelled as in every report
/// (`LayerLabel.text`: 1-based index from the input, then the dotted name).
final class LiveChart {
    let total: Int
    let interactive = isatty(1) != 0
    var lastDraw = Date.distantPast
    var linesDrawn = 0
    var lastDecile = -1
    /// Through-time strips of the first recurrent layer, one kept per 10% of the run.
    var history: [(step: Int, norms: [Double])] = []

    init(total: Int) { self.total = total }

    func draw(_ r: ProbeStep) {
        let done = r.step + 1
        if interactive {
            guard done >= total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = Date()
        } else {
            let decile = done * 10 / Swift.max(total, 1)
            guard decile != lastDecile else { return }
            lastDecile = decile
        }
        var text = String(format: "step %d/%d  loss %.4f", done, total, r.loss) + (r.accuracy.map { String(format: "  acc %.1f%%", $0 * 100) } ?? "")
        text += String(format: "  ‖∇‖ %.2e  lr %.2e\n", r.gradNorm, r.learningRate)
        text += "‖∂L/∂W‖ per layer (input layer first; the bar is log scale):\n"
        text += GradientChart.render(names: r.layers.map(\.label.text), values: r.layers.map(\.gradNorm), width: 36) + "\n"
        if let first = r.time.first {
            if history.last.map({ (r.step - $0.step) * 10 >= total }) ?? true { history.append((r.step, first.gradNormByTime)) }
            text += "‖∂L/∂h_t‖ through time, now (one row per recurrent layer):\n"
            text += GradientChart.renderTime(names: r.time.indices.map { LayerLabel(index: $0 + 1, name: r.time[$0].name).text }, rows: r.time.map(\.gradNormByTime)) + "\n"
            for (i, t) in r.time.enumerated() {
                text += String(format: "%@: step 1 / step T = %.1e", LayerLabel(index: i + 1, name: t.name).text, t.firstToLast)
                    + (t.spectralRadius.map { String(format: ", spectral radius %.2f", $0) } ?? "")
                    + (t.cell == "lstm" || t.cell == "gru" ? String(format: ", gates <0.05: %.0f%% >0.95: %.0f%%", t.gateNearZero * 100, t.gateNearOne * 100) : "") + "\n"
            }
            text += "\(LayerLabel(index: 1, name: first.name).text) over training (one row per probed step):\n"
            let rows = history.last?.step == r.step ? history : history + [(r.step, first.gradNormByTime)]
            text += GradientChart.renderTime(names: rows.map { "step \($0.step)" }, rows: rows.map(\.norms)) + "\n"
        }
        if interactive && linesDrawn > 0 { print("\u{1B}[\(linesDrawn)A\u{1B}[J", terminator: "") }
        print(text)
        linesDrawn = text.split(separator: "\n", omittingEmptySubsequences: false).count
        fflush(stdout)
    }
}
