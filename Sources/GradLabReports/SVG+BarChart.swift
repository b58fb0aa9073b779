import Foundation

extension SVG {
    /// One group of bars per category (e.g. layer), one bar per series (e.g. step), on a log10
    /// axis. A non-finite value gets a red marker at the top instead of a bar, a non-positive one
    /// a grey marker; an undefined one (nil) nothing. Category labels are thinned to fit.
    package static func barChart(title: String, categories: [String], xLabel: String,
                                series: [(name: String, colour: String, opacity: Double, values: [Double?])], yLabel: String,
                                width: Int = 760, height: Int = 300, legendWidth: Double = 210) -> String {
        let (l, r, t, b) = (70.0, legendWidth, 30.0, 45.0)
        let pw = Double(width) - l - r, ph = Double(height) - t - b
        let logs = series.flatMap { $0.values.compactMap { $0 } }.filter { $0.isFinite && $0 > 0 }.map { Foundation.log10($0) }
        var lo = Foundation.floor(logs.min() ?? 0), hi = Foundation.ceil(logs.max() ?? 1)
        if hi <= lo { hi = lo + 1 }
        lo -= 0.5
        let gw = pw / Double(Swift.max(categories.count, 1)), bw = gw * 0.8 / Double(Swift.max(series.count, 1))
        func py(_ v: Double) -> Double { t + (1 - (v - lo) / (hi - lo)) * ph }
        var out = open(width: width, height: height, title: title, left: l)
        out += rect(l, t, pw, ph, fill: "none", extra: " stroke=\"#999\"")
        for (v, text) in yTicks(lo, hi, .log) {
            out += line(l, py(v), l + pw, py(v), stroke: "#ddd")
            out += SVG.text(l - 5, py(v) + 4, text, size: 10, anchor: "end")
        }
        let ticks = categories.enumerated().map { (x: l + (Double($0.offset) + 0.5) * gw, label: $0.element) }
        for tick in thinned(ticks, size: 10, minX: 0, maxX: Double(width)) { out += text(tick.x, t + ph + 14, tick.label, size: 10, anchor: "middle") }
        out += text(l + pw / 2, Double(height) - 8, xLabel, anchor: "middle")
        out += yAxisLabel(yLabel, x: 14, top: t, height: ph)
        var ly = t + 10
        for (k, s) in series.enumerated() {
            let fill = String(format: "%@\" fill-opacity=\"%.2f", s.colour, s.opacity)
            for (ci, value) in s.values.enumerated() {
                guard let v = value else { continue }
                let x = l + Double(ci) * gw + gw * 0.1 + Double(k) * bw
                if v.isFinite && v > 0 {
                    let y = py(Foundation.log10(v))
                    out += rect(x, y, bw, t + ph - y, fill: fill, extra: " class=\"bar\"")
                } else {
                    out += rect(x, t, bw, 4, fill: v.isFinite ? "#bbbbbb" : "#ff0000", extra: " class=\"\(v.isFinite ? "nonpositive" : "nonfinite")\"")
                }
            }
            out += rect(l + pw + 10, ly - 9, 12, 10, fill: fill)
            for (i, text) in wrap(s.name, width: r - 30, size: 10).enumerated() {
                out += SVG.text(l + pw + 26, ly + Double(i) * 12, text, size: 10)
                if i > 0 { ly += 12 }
            }
            ly += 16
        }
        return out + "</svg>"
    }
}
