import Foundation

/// Numbers as sentences and tables print them: three significant digits, scientific notation
/// outside 10⁻³…10⁴, and words for what is not a number, so no raw `7.373920891562214e+31` or
/// `0.00` for a factor that underflowed the format.
public enum Number {
    /// 93.1 → "93.1", 0.000123 → "1.23e-04", 7.37e31 → "7.37e+31", ∞ → "∞", NaN → "undefined".
    public static func short(_ x: Double) -> String {
        if x.isNaN { return "undefined" }
        if x.isInfinite { return x > 0 ? "∞" : "−∞" }
        if x == 0 { return "0" }
        let a = Swift.abs(x)
        if a >= 1e4 || a < 1e-3 { return String(format: "%.2e", x) }
        return a >= 1e3 ? String(format: "%.0f", x) : String(format: "%.3g", x)
    }

    /// A factor or ratio, "×0.0012" rather than "×0.00".
    public static func factor(_ x: Double) -> String { "×" + short(x) }

    /// 0.0583 → "5.8%".
    public static func percent(_ x: Double) -> String {
        x.isFinite ? String(format: "%.1f%%", x * 100) : "undefined"
    }

    /// The span of `xs` as "2.30–2.35", or one value when they agree to three digits.
    public static func range(_ xs: [Double]) -> String {
        guard let lo = xs.min(), let hi = xs.max() else { return "—" }
        let (a, b) = (short(lo), short(hi))
        return a == b ? a : "\(a)–\(b)"
    }

    /// The span of fractions `xs` as percentages, "8.6–12.1%".
    public static func percentRange(_ xs: [Double]) -> String {
        guard let lo = xs.min(), let hi = xs.max() else { return "—" }
        let (a, b) = (String(format: "%.1f", lo * 100), String(format: "%.1f", hi * 100))
        return a == b ? "\(a)%" : "\(a)–\(b)%"
    }

    /// A relative change as words: "fell 12%", "rose 0.69%", "stayed level".
    public static func change(from a: Double, to b: Double) -> String {
        guard a.isFinite, b.isFinite, a != 0 else { return "went from \(short(a)) to \(short(b))" }
        let r = (b - a) / Swift.abs(a)
        if Swift.abs(r) < 5e-5 { return "stayed level at \(short(b))" }
        // Two ends that print alike at three digits get five, so the change is visible.
        let (ta, tb) = short(a) == short(b) ? (String(format: "%.5g", a), String(format: "%.5g", b)) : (short(a), short(b))
        return String(format: "%@ %@%% (%@ → %@)", r < 0 ? "fell" : "rose", Swift.abs(r) >= 0.1 ? String(format: "%.0f", Swift.abs(r) * 100) : String(format: "%.2g", Swift.abs(r) * 100), ta, tb)
    }
}
