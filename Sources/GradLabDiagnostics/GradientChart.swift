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
}
