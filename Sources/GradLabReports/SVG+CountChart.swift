import Foundation

extension SVG {
    /// Counts per category (e.g. reviews per day) as bars on a linear axis from zero, one colour
    /// per series stacked; category labels are thinned to fit.
    package static func countChart(title: String, categories: [String], xLabel: String,
                                   series: [(name: String, colour: String, values: [Int])], yLabel: String,
                                   width: Int = 760, height: Int = 260) -> String {
        let (l, r, t, b) = (60.0, 150.0, 30.0, 45.0)
        let pw = Double(width) - l - r, ph = Double(height) - t - b
        let totals = categories.indices.map { i in series.reduce(0) { $0 + ($1.values.indices.contains(i) ? $1.values[i] : 0) } }
        let top = Double(max(totals.max() ?? 1, 1))
        let gw = pw / Double(max(categories.count, 1))
        func py(_ v: Double) -> Double { t + (1 - v / top) * ph }
        var out = open(width: width, height: height, title: title, left: l)
        out += rect(l, t, pw, ph, fill: "none", extra: " stroke=\"#999\"")
        for v in integerTicks(0, Int(top), count: 5) {
            out += line(l, py(Double(v)), l + pw, py(Double(v)), stroke: "#ddd")
            out += text(l - 5, py(Double(v)) + 4, "\(v)", size: 10, anchor: "end")
        }
        for (i, _) in categories.enumerated() {
            var base = 0.0
            for s in series where s.values.indices.contains(i) && s.values[i] > 0 {
                let v = Double(s.values[i])
                out += rect(l + Double(i) * gw + gw * 0.1, py(base + v), gw * 0.8, py(base) - py(base + v), fill: s.colour, extra: " class=\"bar\"")
                base += v
            }
        }
        let ticks = categories.enumerated().map { (x: l + (Double($0.offset) + 0.5) * gw, label: $0.element) }
        for tick in thinned(ticks, size: 10, minX: 0, maxX: Double(width)) { out += text(tick.x, t + ph + 14, tick.label, size: 10, anchor: "middle") }
        out += text(l + pw / 2, Double(height) - 8, xLabel, anchor: "middle")
        out += yAxisLabel(yLabel, x: 14, top: t, height: ph)
        for (k, s) in series.enumerated() {
            let y = t + 10 + Double(k) * 18
            out += rect(l + pw + 12, y - 9, 12, 12, fill: s.colour)
            out += text(l + pw + 30, y + 1, s.name, size: 11)
        }
        return out + "</svg>\n"
    }
}
