import Foundation

/// Self-contained SVG charts (no scripts, no external fonts or links) for reports: the shared
/// pieces here, one file per chart kind (`SVG+LineChart`, `SVG+BarChart`, `SVG+Heatmap`, `SweepView`).
///
/// Colour scales are viridis (perceptually uniform, readable with the common colour-vision
/// deficiencies); runs get one colour each from `RunStyle`. Non-finite values are never dropped:
/// heat-map cells show them in red with a legend entry, line charts mark them on the top edge.
/// Undefined values (e.g. the top layer's gain, which has no layer above it) are simply absent.
///
/// Text never overlaps: tick labels are thinned and legends wrapped by `textWidth`, an estimate of
/// the rendered width from DejaVu Sans advance widths (the widest common sans-serif; the layout
/// test measures the result in a browser).
package enum SVG {
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37)]

    /// Viridis colour for t in [0, 1].
    package static func colour(_ t: Double) -> String {
        let x = Swift.min(Swift.max(t.isFinite ? t : 0, 0), 1) * Double(viridis.count - 1)
        let i = Swift.min(Int(x), viridis.count - 2), f = x - Double(i)
        let (a, b) = (viridis[i], viridis[i + 1])
        return String(format: "#%02x%02x%02x", Int(a.0 + (b.0 - a.0) * f), Int(a.1 + (b.1 - a.1) * f), Int(a.2 + (b.2 - a.2) * f))
    }

    /// Black or white, whichever reads on viridis at t (the scale is light above t ≈ 0.55).
    static func ink(onViridis t: Double) -> String { t > 0.55 ? "#000000" : "#ffffff" }

    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func text(_ x: Double, _ y: Double, _ s: String, size: Int = 11, anchor: String = "start", extra: String = "") -> String {
        String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" font-family=\"sans-serif\" text-anchor=\"%@\"%@>%@</text>",
               x, y, size, anchor, extra, escape(s))
    }

    /// The opening of a chart: white background, accessible title, bold heading.
    static func open(width: Int, height: Int, title: String, left: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><title>\(escape(title))</title>"
            + text(Swift.min(left, 10), 18, fit(title, width: Double(width) - Swift.min(left, 10) - 4, size: 13), size: 13, extra: " font-weight=\"bold\"")
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, extra: String = "") -> String {
        String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"%.1f\"%@/>", x1, y1, x2, y2, stroke, width, extra)
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, extra: String = "") -> String {
        String(format: "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%@\"%@/>", x, y, w, h, fill, extra)
    }

    /// A rotated y-axis label centred on the plot's height.
    static func yAxisLabel(_ s: String, x: Double, top: Double, height: Double) -> String {
        text(x, top + height / 2, fit(s, width: height, size: 11), anchor: "middle", extra: String(format: " transform=\"rotate(-90 %.1f %.1f)\"", x, top + height / 2))
    }

    // MARK: text measure

    /// Estimated rendered width of `s` at font size `size` (px), from DejaVu Sans advance widths
    /// in em (a little wider than Helvetica/Arial, so an estimate that fits here fits there).
    static func textWidth(_ s: String, size: Int) -> Double {
        s.unicodeScalars.reduce(0.0) { w, c in w + em(c) } * Double(size)
    }

    static func em(_ c: Unicode.Scalar) -> Double {
        switch c {
        case "0"..."9": return 0.636
        case "i", "j", "l": return 0.278
        case "f", "t", "r": return 0.41
        case "m": return 0.974
        case "w": return 0.818
        case "a"..."z": return 0.62
        case "M", "W": return 0.99
        case "I", "J": return 0.34
        case "A"..."Z": return 0.74
        case " ", ".", ",", ":", ";", "'", "!", "|", "·": return 0.318
        case "(", ")", "[", "]", "/", "\\": return 0.39
        case "-", "_": return 0.5
        case "=", "+", "<", ">", "±", "×", "~", "≈", "→", "∞", "%", "#", "≥", "≤": return 0.838
        default: return c.value < 0x2000 ? 0.64 : 0.84
        }
    }

    /// `s` cut to fit `width` (with an ellipsis): only for titles, never for values or settings.
    static func fit(_ s: String, width: Double, size: Int) -> String {
        guard textWidth(s, size: size) > width else { return s }
        var t = s
        while !t.isEmpty && textWidth(t + "…", size: size) > width { t.removeLast() }
        return t + "…"
    }

    /// `s` broken into lines no wider than `width`, at spaces (a word longer than a line is split
    /// by characters): every character is kept, so no setting is ever cut.
    static func wrap(_ s: String, width: Double, size: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if textWidth(candidate, size: size) <= width { current = candidate; continue }
            if !current.isEmpty { lines.append(current) }
            current = ""
            for ch in word {
                if !current.isEmpty && textWidth(current + String(ch), size: size) > width { lines.append(current); current = "" }
                current.append(ch)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    // MARK: ticks

    /// Round, readable tick values covering [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count), mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        return stride(from: Foundation.ceil(lo / step) * step, through: hi + step * 1e-9, by: step).map { $0 }
    }

    /// Integer ticks in [lo, hi] (steps, layers, time): round steps of 1, 2, 5, 10, ….
    static func integerTicks(_ lo: Int, _ hi: Int, count: Int = 8) -> [Int] {
        guard hi > lo else { return [lo] }
        let raw = Double(hi - lo) / Double(count)
        let mag = Foundation.pow(10, Foundation.floor(Foundation.log10(Swift.max(raw, 1))))
        let step = Swift.max(1, Int(([1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw)))
        let first = (lo + step - 1) / step * step
        return Array(stride(from: first, through: hi, by: step))
    }

    static func label(_ v: Double) -> String {
        v == 0 ? "0" : (Swift.abs(v) >= 1e4 || Swift.abs(v) < 1e-2 ? String(format: "%.0e", v) : String(format: "%g", (v * 1000).rounded() / 1000))
    }

    /// The horizontal tick labels at `positions` (centres, increasing) that fit side by side: a
    /// label is dropped when its box would come within `gap` px of the last one kept or leave
    /// [minX, maxX]. The last tick is kept in preference to its neighbour.
    static func thinned(_ ticks: [(x: Double, label: String)], size: Int, gap: Double = 6, minX: Double = 0,
                        maxX: Double = .infinity) -> [(x: Double, label: String)] {
        func box(_ t: (x: Double, label: String)) -> (Double, Double) {
            let w = textWidth(t.label, size: size)
            return (t.x - w / 2, t.x + w / 2)
        }
        var kept: [(x: Double, label: String)] = []
        for t in ticks {
            let (a, b) = box(t)
            guard a >= minX && b <= maxX else { continue }
            if let last = kept.last, box(last).1 + gap > a { continue }
            kept.append(t)
        }
        if let last = ticks.last(where: { box($0).0 >= minX && box($0).1 <= maxX }), kept.last?.x != last.x, !kept.isEmpty {
            while let k = kept.last, box(k).1 + gap > box(last).0 { kept.removeLast() }
            kept.append(last)
        }
        return kept
    }

    /// A minimal, valid, self-contained HTML5 page.
    package static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
        .ok{color:#007a4d}.bad{color:#b00020}code,pre{background:#f4f4f4;padding:1px 4px}figure{margin:1em 0}
        .swatch{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin-right:4px}</style>
        </head><body>
        \(body)
        </body></html>

        """
    }
}
