import Foundation

/// Self-contained SVG charts (no scripts, no external fonts or links) for reports.
///
/// Colour scales are viridis (perceptually uniform, readable with the common colour-vision
/// deficiencies); line series use the Okabe–Ito palette. Non-finite values are never dropped:
/// heat-map cells show them in red with a legend entry, line charts mark them on the top edge.
package enum SVG {
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37)]
    package static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    /// Viridis colour for t in [0, 1].
    package static func colour(_ t: Double) -> String {
        let x = Swift.min(Swift.max(t.isFinite ? t : 0, 0), 1) * Double(viridis.count - 1)
        let i = Swift.min(Int(x), viridis.count - 2), f = x - Double(i)
        let (a, b) = (viridis[i], viridis[i + 1])
        return String(format: "#%02x%02x%02x", Int(a.0 + (b.0 - a.0) * f), Int(a.1 + (b.1 - a.1) * f), Int(a.2 + (b.2 - a.2) * f))
    }

    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func text(_ x: Double, _ y: Double, _ s: String, size: Int = 11, anchor: String = "start", extra: String = "") -> String {
        String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" font-family=\"sans-serif\" text-anchor=\"%@\"%@>%@</text>",
               x, y, size, anchor, extra, escape(s))
    }

    /// Round, readable tick values covering [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count), mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        return stride(from: Foundation.ceil(lo / step) * step, through: hi + step * 1e-9, by: step).map { $0 }
    }

    static func label(_ v: Double) -> String {
        v == 0 ? "0" : (Swift.abs(v) >= 1e4 || Swift.abs(v) < 1e-2 ? String(format: "%.0e", v) : String(format: "%g", (v * 1000).rounded() / 1000))
    }

    /// A line chart of several series against the step (x = index·xStep). With `logY` the axis
    /// is log10 and non-positive values are treated like non-finite ones (marked, not drawn).
    package static func lineChart(title: String, xLabel: String, yLabel: String, series: [(name: String, values: [Double])],
                                 xStep: Double = 1, logY: Bool = false, width: Int = 640, height: Int = 320) -> String {
        let (l, r, t, b) = (70.0, 150.0, 30.0, 45.0)
        let pw = Double(width) - l - r, ph = Double(height) - t - b
        func y(_ v: Double) -> Double? { guard v.isFinite, !logY || v > 0 else { return nil }; return logY ? Foundation.log10(v) : v }
        let ys = series.flatMap { $0.values.compactMap(y) }
        var lo = ys.min() ?? 0, hi = ys.max() ?? 1
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        let n = Swift.max(series.map(\.values.count).max() ?? 1, 2)
        let xMax = Double(n - 1) * xStep
        func px(_ i: Int) -> Double { l + Double(i) * xStep / Swift.max(xMax, 1e-12) * pw }
        func py(_ v: Double) -> Double { t + (1 - (v - lo) / (hi - lo)) * ph }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><title>\(escape(title))</title>"
        out += text(l, 18, title, size: 13, extra: " font-weight=\"bold\"")
        out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>", l, t, pw, ph)
        for v in ticks(lo, hi) {
            out += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", l, l + pw, py(v), py(v))
            out += text(l - 5, py(v) + 4, logY ? String(format: "%.2g", Foundation.pow(10, v)) : label(v), size: 10, anchor: "end")
        }
        for v in ticks(0, xMax) {
            let x = l + v / Swift.max(xMax, 1e-12) * pw
            out += text(x, t + ph + 15, label(v), size: 10, anchor: "middle")
        }
        out += text(l + pw / 2, Double(height) - 8, xLabel, anchor: "middle")
        out += text(14, t + ph / 2, yLabel, anchor: "middle", extra: String(format: " transform=\"rotate(-90 14 %.1f)\"", t + ph / 2))
        for (k, s) in series.enumerated() {
            let c = palette[k % palette.count]
            var path = "", pen = false, bad = 0
            for (i, v) in s.values.enumerated() {
                guard let yv = y(v) else {
                    pen = false; bad += 1
                    out += String(format: "<circle class=\"nonfinite\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#D55E00\"/>", px(i), t)
                    continue
                }
                path += String(format: "%@%.1f,%.1f ", pen ? "L" : "M", px(i), py(yv)); pen = true
                // Few points (e.g. evaluations): mark each, so a single one still shows.
                if s.values.count <= 30 { out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", px(i), py(yv), c) }
            }
            out += "<path class=\"series\" d=\"\(path)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.6\"/>"
            let ly = t + 14 + Double(k) * 16
            out += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"3\"/>", l + pw + 10, l + pw + 28, ly - 4, ly - 4, c)
            out += text(l + pw + 32, ly, s.name + (bad > 0 ? " (\(bad) non-finite)" : ""), size: 10)
        }
        return out + "</svg>"
    }

    /// Grouped bars on a log10 axis: one group per category (e.g. layer), one bar per series
    /// (e.g. step). Non-finite or non-positive values get a red or grey marker instead of a bar.
    package static func barChart(title: String, categories: [String], series: [(name: String, values: [Double])], yLabel: String,
                                width: Int = 640, height: Int = 300) -> String {
        let (l, r, t, b) = (70.0, 130.0, 30.0, 45.0)
        let pw = Double(width) - l - r, ph = Double(height) - t - b
        let logs = series.flatMap { $0.values }.filter { $0.isFinite && $0 > 0 }.map { Foundation.log10($0) }
        var lo = Foundation.floor(logs.min() ?? 0), hi = Foundation.ceil(logs.max() ?? 1)
        if hi <= lo { hi = lo + 1 }
        lo -= 0.5
        let gw = pw / Double(Swift.max(categories.count, 1)), bw = gw * 0.8 / Double(Swift.max(series.count, 1))
        func py(_ v: Double) -> Double { t + (1 - (v - lo) / (hi - lo)) * ph }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><title>\(escape(title))</title>" + text(l, 18, title, size: 13, extra: " font-weight=\"bold\"")
        out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>", l, t, pw, ph)
        for v in stride(from: Foundation.ceil(lo), through: hi, by: Swift.max(1, Foundation.floor((hi - lo) / 6))) {
            out += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", l, l + pw, py(v), py(v))
            out += text(l - 5, py(v) + 4, "1e\(Int(v))", size: 10, anchor: "end")
        }
        let every = Swift.max(1, categories.count / 25)
        for (ci, c) in categories.enumerated() where ci % every == 0 {
            out += text(l + (Double(ci) + 0.5) * gw, t + ph + 14, c, size: 9, anchor: "middle")
        }
        out += text(l + pw / 2, Double(height) - 8, "layer", anchor: "middle")
        out += text(14, t + ph / 2, yLabel, anchor: "middle", extra: String(format: " transform=\"rotate(-90 14 %.1f)\"", t + ph / 2))
        for (k, s) in series.enumerated() {
            let colour = palette[k % palette.count]
            for (ci, v) in s.values.enumerated() {
                let x = l + Double(ci) * gw + gw * 0.1 + Double(k) * bw
                if v.isFinite && v > 0 {
                    let y = py(Foundation.log10(v))
                    out += String(format: "<rect class=\"bar\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%@\"/>", x, y, bw, t + ph - y, colour)
                } else {
                    out += String(format: "<rect class=\"nonfinite\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"4\" fill=\"%@\"/>", x, t, bw, v.isFinite ? "#bbbbbb" : "#ff0000")
                }
            }
            let ly = t + 14 + Double(k) * 16
            out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%@\"/>", l + pw + 10, ly - 9, colour)
            out += text(l + pw + 26, ly, s.name, size: 10)
        }
        return out + "</svg>"
    }

    /// A layer × step heat map of log10(value): one row per layer (input layer on top), one
    /// column per step. Non-finite cells are red and counted in the legend; zeros are grey.
    package static func heatmap(title: String, rows: [String], steps: [Int], values: [[Double]], unit: String,
                               xLabel: String = "step", width: Int = 640) -> String {
        let (l, r, t, b) = (150.0, 90.0, 30.0, 40.0)
        let cellH = Swift.max(4, Swift.min(18, 360 / Swift.max(rows.count, 1)))
        let height = Int(t + b) + cellH * rows.count
        let pw = Double(width) - l - r
        let logs = values.flatMap { $0 }.filter { $0.isFinite && $0 > 0 }.map { Foundation.log10($0) }
        let lo = logs.min() ?? 0, hi = Swift.max(logs.max() ?? 1, lo + 1e-9)
        let cw = pw / Double(Swift.max(steps.count, 1))
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><title>\(escape(title))</title>" + text(l, 18, title, size: 13, extra: " font-weight=\"bold\"")
        var nonFinite = 0
        for (ri, row) in values.enumerated() {
            let y = t + Double(ri * cellH)
            for (ci, v) in row.enumerated() {
                let fill: String
                if !v.isFinite { fill = "#ff0000"; nonFinite += 1 } else if v <= 0 { fill = "#bbbbbb" } else { fill = colour((Foundation.log10(v) - lo) / (hi - lo)) }
                out += String(format: "<rect class=\"cell\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%@\"/>", l + Double(ci) * cw, y, cw + 0.3, cellH, fill)
            }
            if cellH >= 8 || ri % Swift.max(1, rows.count / 20) == 0 { out += text(l - 5, y + Double(cellH) * 0.75, rows[ri], size: Swift.min(10, cellH), anchor: "end") }
        }
        for s in ticks(Double(steps.first ?? 0), Double(steps.last ?? 0)) {
            guard let i = steps.firstIndex(where: { Double($0) >= s }) else { continue }
            out += text(l + (Double(i) + 0.5) * cw, t + Double(cellH * rows.count) + 14, label(s), size: 10, anchor: "middle")
        }
        out += text(l + pw / 2, Double(height) - 8, xLabel, anchor: "middle")
        // Colour bar.
        let bx = l + pw + 15, bh = Double(cellH * rows.count)
        for k in 0..<20 {
            out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.2f\" fill=\"%@\"/>", bx, t + bh * Double(19 - k) / 20, bh / 20 + 0.3, colour(Double(k) / 19))
        }
        out += text(bx + 15, t + 9, String(format: "%.0e", Foundation.pow(10, hi)), size: 9)
        out += text(bx + 15, t + bh, String(format: "%.0e", Foundation.pow(10, lo)), size: 9)
        out += text(bx, t + bh + 14, unit + " (log)", size: 9)
        if nonFinite > 0 { out += text(bx, t + bh + 26, "red: \(nonFinite) NaN/Inf", size: 9, extra: " fill=\"#cc0000\"") }
        return out + "</svg>"
    }

    /// A minimal, valid, self-contained HTML5 page.
    package static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
        .ok{color:#007a4d}.bad{color:#b00020}code,pre{background:#f4f4f4;padding:1px 4px}figure{margin:1em 0}</style>
        </head><body>
        \(body)
        </body></html>

        """
    }
}
