import Foundation

extension SVG {
    /// One line of a chart: its legend text (wrapped, never cut), its run's style, and its points.
    /// A point whose y is nil is undefined (e.g. the gain of the top layer, which has nothing
    /// above it): not drawn and not marked. A non-finite y is a measurement that blew up: marked.
    package struct Series {
        package var name: String
        package var style: RunStyle
        package var points: [(x: Double, y: Double?)]
        /// A dot on every point (few points, e.g. evaluations), so a single one still shows.
        package var dots: Bool
        package var lineWidth: Double

        package init(_ name: String, style: RunStyle, points: [(x: Double, y: Double?)], dots: Bool? = nil, lineWidth: Double = 1.6) {
            self.name = name; self.style = style; self.points = points
            self.dots = dots ?? (points.count <= 30); self.lineWidth = lineWidth
        }
    }

    /// The y axis: linear, or log10 where non-positive values are marked on the bottom edge.
    package enum YScale { case linear, log }

    /// A line chart of `series` against x (steps, layers, time: the caller's units, stated in
    /// `xLabel`). The legend sits at the right, one entry per series, wrapped to its width; the
    /// plot grows to the legend's height. `xDomain` fixes the x range (e.g. 0…the last training
    /// step for evaluations), else it spans the points.
    package static func lineChart(title: String, xLabel: String, yLabel: String, series: [Series], y yScale: YScale = .linear,
                                 xDomain: ClosedRange<Double>? = nil, width: Int = 760, legendWidth: Double = 210, plotHeight: Double = 245) -> String {
        let (l, t, b) = (70.0, 30.0, 45.0), r = legendWidth
        let pw = Double(width) - l - r
        let legendSize = 10, legendText = r - 38
        let legend = series.map { wrap($0.name + annotation($0, yScale), width: legendText, size: legendSize) }
        let legendHeight = legend.reduce(0.0) { $0 + Double($1.count) * 12 + 4 }
        let ph = Swift.max(plotHeight, legendHeight)
        let height = Int((t + ph + b).rounded(.up))
        func y(_ v: Double) -> Double? { guard v.isFinite, yScale == .linear || v > 0 else { return nil }; return yScale == .log ? Foundation.log10(v) : v }
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        var x0 = xDomain?.lowerBound ?? xs.min() ?? 0, x1 = xDomain?.upperBound ?? xs.max() ?? 1
        if x1 - x0 < 1e-12 { x0 -= 0.5; x1 += 0.5 }
        let ys = series.flatMap { $0.points.compactMap { $0.y.flatMap(y) } }
        var lo = ys.min() ?? 0, hi = ys.max() ?? 1
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        func px(_ x: Double) -> Double { l + (x - x0) / (x1 - x0) * pw }
        func py(_ v: Double) -> Double { t + (1 - (v - lo) / (hi - lo)) * ph }
        var out = open(width: width, height: height, title: title, left: l)
        out += rect(l, t, pw, ph, fill: "none", extra: " stroke=\"#999\"")
        var lastY = -Double.infinity
        for (v, text) in yTicks(lo, hi, yScale).reversed() where py(v) - lastY >= 13 {
            out += line(l, py(v), l + pw, py(v), stroke: "#ddd")
            out += SVG.text(l - 5, py(v) + 4, text, size: 10, anchor: "end")
            lastY = py(v)
        }
        let xt = ticks(x0, x1).map { (x: px($0), label: label($0)) }
        for tick in thinned(xt, size: 10, minX: 0, maxX: Double(width)) { out += text(tick.x, t + ph + 15, tick.label, size: 10, anchor: "middle") }
        out += text(l + pw / 2, Double(height) - 8, xLabel, anchor: "middle")
        out += yAxisLabel(yLabel, x: 14, top: t, height: ph)
        var ly = t + 10
        for (k, s) in series.enumerated() {
            var path = "", pen = false
            for p in s.points {
                guard let raw = p.y else { pen = false; continue }
                guard let yv = y(raw) else {
                    pen = false
                    out += marker(px(p.x), raw.isFinite ? t + ph : t, bad: !raw.isFinite)
                    continue
                }
                path += String(format: "%@%.1f,%.1f ", pen ? "L" : "M", px(p.x), py(yv)); pen = true
                if s.dots { out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", px(p.x), py(yv), s.style.colour) }
            }
            out += "<path class=\"series\" d=\"\(path)\" fill=\"none\" \(s.style.stroke) stroke-width=\"\(s.lineWidth)\"/>"
            let lx = l + pw + 10
            out += line(lx, ly - 4, lx + 22, ly - 4, stroke: s.style.colour, width: 3, extra: s.style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
            for (i, text) in legend[k].enumerated() { out += SVG.text(lx + 28, ly + Double(i) * 12, text, size: legendSize) }
            ly += Double(legend[k].count) * 12 + 4
        }
        return out + "</svg>"
    }

    /// What a series' legend adds: how many of its values could not be drawn, and why.
    static func annotation(_ s: Series, _ scale: YScale) -> String {
        let bad = s.points.filter { $0.y.map { !$0.isFinite } ?? false }.count
        let nonPositive = scale == .log ? s.points.filter { $0.y.map { $0.isFinite && $0 <= 0 } ?? false }.count : 0
        return (bad > 0 ? " (\(bad) non-finite)" : "") + (nonPositive > 0 ? " (\(nonPositive) ≤ 0, off the log axis)" : "")
    }

    /// A non-finite value (red cross, top edge) or a non-positive one on a log axis (grey, bottom).
    static func marker(_ x: Double, _ y: Double, bad: Bool) -> String {
        String(format: "<path class=\"%@\" d=\"M%.1f,%.1f l6,6 m0,-6 l-6,6\" stroke=\"%@\" stroke-width=\"2\"/>",
               bad ? "nonfinite" : "nonpositive", x - 3, y - 3, bad ? "#cc0000" : "#777777")
    }

    /// Y ticks (value on the axis, text): decades on a log axis spanning three or more, 1-2-5 steps
    /// on one spanning less, else round values.
    static func yTicks(_ lo: Double, _ hi: Double, _ scale: YScale) -> [(Double, String)] {
        guard scale == .log else { return ticks(lo, hi).map { ($0, label($0)) } }
        if hi - lo < 3 {
            var marks: [(Double, String)] = []
            for k in Int(Foundation.floor(lo))...Int(Foundation.ceil(hi)) {
                for m in [1, 2, 5] {
                    let v = Double(k) + Foundation.log10(Double(m))
                    if v >= lo - 1e-9 && v <= hi + 1e-9 { marks.append((v, logLabel(m, k))) }
                }
            }
            if marks.count >= 2 { return marks }
        }
        if hi - lo >= 1 {
            let every = Swift.max(1, Int(Foundation.ceil((hi - lo) / 6)))
            return stride(from: Int(Foundation.ceil(lo)), through: Int(Foundation.floor(hi)), by: every).map { (Double($0), logLabel(1, $0)) }
        }
        return ticks(lo, hi).map { ($0, String(format: "%.2g", Foundation.pow(10, $0))) }
    }

    /// m·10^k as read on a log axis: plain between 0.001 and 9999 (0.2, 5, 100), else 2e-5.
    static func logLabel(_ m: Int, _ k: Int) -> String {
        guard k >= -3 && k <= 3 else { return "\(m)e\(k)" }
        return k >= 0 ? "\(m)" + String(repeating: "0", count: k) : "0." + String(repeating: "0", count: -k - 1) + "\(m)"
    }
}
