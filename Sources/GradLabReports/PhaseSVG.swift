import Foundation

/// SVG drawing of the phase plane and the trainability plane (colour-blind-safe viridis ramp).
/// A nil trainable depth marks a point with no fixed length (q* diverges): grey in the plane, a
/// gap in the curve — never a colour of the depth ramp.
package enum PhaseSVG {
    static let noFixedPointFill = "#b0b0b0"

    package static func render(activation: String, xs: [Double], ys: [Double], depthGrid: [[Double?]], critical: [(w: Double, b: Double)],
                       sigmaB2: Double, curve: [(Double, Double?)], measured: [(w: Double, depth: Int, accuracy: Double)],
                       success: Double, maxDepth: Double) -> String {
        let (pw, ph) = (420.0, 300.0), (ox, oy) = (70.0, 40.0), gap = 110.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(ox * 2 + pw * 2 + gap))\" height=\"\(Int(oy + ph + 80))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<title>Signal propagation phase diagram, \(activation)</title>\n"
        // Panel 1: phase plane, colour = log10 of trainable depth 6ξ_c.
        let (x0, x1, y0, y1) = (xs.first!, xs.last!, ys.first!, ys.last!)
        func px(_ w: Double) -> Double { ox + (w - x0) / (x1 - x0) * pw }
        func py(_ b: Double) -> Double { oy + ph - (b - y0) / (y1 - y0) * ph }
        let cw = pw / Double(xs.count), ch = ph / Double(ys.count)
        for (j, row) in depthGrid.enumerated() { for (i, d) in row.enumerated() {
            let fill = d.map { SVG.colour(Swift.min(log10(max($0, 1)) / 3, 1)) } ?? noFixedPointFill
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%@\"/>\n", ox + Double(i) * cw, oy + ph - Double(j + 1) * ch, cw + 0.3, ch + 0.3, fill)
        } }
        let line = critical.map { String(format: "%.1f,%.1f", px($0.w), py($0.b)) }.joined(separator: " ")
        s += "<polyline points=\"\(line)\" fill=\"none\" stroke=\"white\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\"/>\n"
        s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"1\"/>\n", px(x0), px(x1), py(sigmaB2), py(sigmaB2))
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"white\" font-weight=\"bold\">ordered (vanishing)</text>\n", ox + 8, oy + 20)
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"black\" font-weight=\"bold\" text-anchor=\"end\">chaotic (exploding)</text>\n", ox + pw - 8, oy + ph - 10)
        s += axes(ox: ox, oy: oy, pw: pw, ph: ph, xTicks: stride(from: 0.5, through: 4.5, by: 0.5).map { ($0, px($0)) }, yTicks: stride(from: 0.0, through: 0.3, by: 0.05).map { ($0, py($0)) },
                  xLabel: "σ_w² (weight variance × fan-in)", yLabel: "σ_b² (bias variance)", title: "\(activation): phase plane; colour = trainable depth 6ξ_c; dashed = critical line χ₁ = 1")
        // Colour bar.
        for k in 0..<50 {
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.2f\" fill=\"%@\"/>\n", ox + pw + 10, oy + ph - Double(k + 1) * ph / 50, ph / 50 + 0.3, SVG.colour(Double(k) / 49))
        }
        for (v, label) in [(1.0, "1"), (10.0, "10"), (100.0, "100"), (1000.0, "≥1000")] {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%@</text>\n", ox + pw + 25, oy + ph - log10(v) / 3 * ph + 4, label)
        }
        if depthGrid.joined().contains(where: { $0 == nil }) {
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">grey: q* diverges (no fixed point; gradients explode)</text>\n",
                        ox, oy + ph + 46, noFixedPointFill, ox + 16, oy + ph + 56)
        }
        // Panel 2: trainability plane at σ_b² — predicted 6ξ_c and the measured grid.
        let qx = ox + pw + gap
        func qxp(_ w: Double) -> Double { qx + (w - 0.5) / 4 * pw }
        func qyp(_ d: Double) -> Double { oy + ph - min(d, maxDepth * 1.1) / (maxDepth * 1.1) * ph }
        s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\"/>\n", qx, oy, pw, ph)
        // One polyline per run of defined points: no line where q* diverges.
        var runs: [[(Double, Double)]] = [[]]
        for (w, d) in curve { if let d { runs[runs.count - 1].append((w, d)) } else if !runs[runs.count - 1].isEmpty { runs.append([]) } }
        for run in runs where !run.isEmpty {
            let path = run.map { String(format: "%.1f,%.1f", qxp($0.0), qyp($0.1)) }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2\"/>\n"
        }
        for m in measured {
            let ok = m.accuracy >= success
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%@\" stroke=\"#d55e00\" stroke-width=\"1.5\"><title>depth %d, σ_w² %.2f: %.0f%%</title></circle>\n",
                        qxp(m.w), qyp(Double(m.depth)), ok ? "#d55e00" : "white", m.depth, m.w, m.accuracy * 100)
        }
        let depthTicks = stride(from: 0.0, through: maxDepth, by: max(10, (maxDepth / 5).rounded())).map { ($0, qyp($0)) }
        s += axes(ox: qx, oy: oy, pw: pw, ph: ph, xTicks: stride(from: 0.5, through: 4.5, by: 0.5).map { ($0, qxp($0)) }, yTicks: depthTicks,
                  xLabel: "σ_w²", yLabel: "depth (layers)", title: String(format: "trainability at σ_b² = %g: line = 6ξ_c; ● trained, ○ not", sigmaB2))
        s += "</svg>\n"
        return s
    }

    static func axes(ox: Double, oy: Double, pw: Double, ph: Double, xTicks: [(Double, Double)], yTicks: [(Double, Double)],
                     xLabel: String, yLabel: String, title: String) -> String {
        var s = String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", ox, oy, pw, ph)
        for (v, x) in xTicks {
            s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%g</text>\n", x, x, oy + ph, oy + ph + 5, x, oy + ph + 17, v)
        }
        for (v, y) in yTicks {
            s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%g</text>\n", ox - 5, ox, y, y, ox - 7, y + 4, v)
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", ox + pw / 2, oy + ph + 36, xLabel)
        s += String(format: "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", ox - 45, oy + ph / 2, yLabel)
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%@</text>\n", ox, oy - 10, title)
        return s
    }
}
