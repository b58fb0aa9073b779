import Foundation

/// Terminal bar charts of per-layer values on a log scale (gradient norms span many decades).
public enum GradientChart {
    /// One row per layer: name, a bar whose length is log10(value) between the extremes, the value.
    /// NaN and Inf are shown as such, never dropped.
    public static func render(names: [String], values: [Double], width: Int = 40) -> String {
        let finite = values.filter { $0.isFinite && $0 > 0 }
        let lo = Foundation.log10(finite.min() ?? 1), hi = Foundation.log10(finite.max() ?? 1)
        let nameWidth = names.map(\.count).max() ?? 1
        return zip(names, values).map { name, v in
            let label = name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            guard v.isFinite else { return "\(label) \(String(repeating: "!", count: width)) \(v.isNaN ? "NaN" : "Inf")" }
            guard v > 0 else { return "\(label) \(String(repeating: " ", count: width)) 0" }
            let n = hi > lo ? Int((Foundation.log10(v) - lo) / (hi - lo) * Double(width - 1)) + 1 : width
            return "\(label) \(String(repeating: "█", count: n))\(String(repeating: " ", count: width - n)) \(String(format: "%.2e", v))"
        }.joined(separator: "\n") + "\n" + String(repeating: " ", count: nameWidth + 1) + String(format: "log scale: %.1e … %.1e", finite.min() ?? 0, finite.max() ?? 0)
    }

    /// Shades from weakest to strongest, for heat strips.
    static let shades = Array(" .:-=+*#%@")

    /// One row of shaded cells for ‖∂L/∂h_t‖ over time (t = 1 on the left), `decades` decades
    /// below `top` mapped onto the shades; longer sequences are averaged (in log) into `width`
    /// cells. NaN/Inf cells show as "!".
    public static func timeStrip(_ values: [Double], top: Double, decades: Double = 12, width: Int = 60) -> String {
        let cells = Swift.min(width, values.count), logTop = Foundation.log10(top)
        return String((0..<cells).map { c -> Character in
            let part = values[(c * values.count / cells)..<((c + 1) * values.count / cells)]
            if part.contains(where: { !$0.isFinite }) { return "!" }
            let logs = part.map { Foundation.log10(Swift.max($0, 1e-300)) }
            let level = (logs.reduce(0, +) / Double(logs.count) - logTop) / decades + 1
            return shades[Swift.min(shades.count - 1, Swift.max(0, Int((level * Double(shades.count - 1)).rounded())))]
        })
    }

    /// The through-time picture: one strip per recurrent layer (or per step of history), with the
    /// scale stated.
    public static func renderTime(names: [String], rows: [[Double]], decades: Double = 12, width: Int = 60) -> String {
        let top = rows.flatMap { $0 }.filter { $0.isFinite }.max() ?? 1
        let nameWidth = names.map(\.count).max() ?? 1
        var out = zip(names, rows).map { name, r in
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + " |" + timeStrip(r, top: top, decades: decades, width: width) + "|"
        }
        out.append(String(repeating: " ", count: nameWidth + 2) + "t = 1 → T; shades \"\(String(shades))\" span 1e-\(Int(decades)) … 1 × \(String(format: "%.1e", top))")
        return out.joined(separator: "\n")
    }
}
