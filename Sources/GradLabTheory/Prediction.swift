import Foundation

/// A quantity the mean-field theory predicts: a finite number, or the stated reason there is none.
/// Nothing the theory reports is ever NaN or ±∞; text says "diverges"/"> N" and JSON gives `null`
/// beside a `<key>_reason` field.
public enum Prediction: Equatable, Sendable {
    case value(Double)
    /// Larger than a stated cap (a trainable depth of "> 10000 layers").
    case above(Double, because: String)
    /// Grows without bound: q* when the length map has no fixed point, a depth scale where χ = 1.
    case diverges(because: String)
    /// Not defined here, e.g. c* when there is no q* for the correlation map to act at.
    case undefined(because: String)

    /// `x` when finite, else `diverges` (±∞) or `undefined` (NaN) with the reason.
    public init(_ x: Double, because reason: @autoclosure () -> String) {
        if x.isFinite { self = .value(x) } else if x.isNaN { self = .undefined(because: reason()) } else { self = .diverges(because: reason()) }
    }

    public var value: Double? { if case .value(let x) = self { return x }; return nil }

    public var reason: String? {
        switch self {
        case .value: return nil
        case .above(let cap, let why): return String(format: "above %g", cap) + ": " + why
        case .diverges(let why), .undefined(let why): return why
        }
    }

    /// The number formatted with `format` (a printf format for one Double) and `unit`, or the
    /// words with the reason in parentheses.
    public func text(_ format: String = "%.3g", unit: String = "") -> String {
        switch self {
        case .value(let x): return String(format: format, x) + unit
        case .above(let cap, let why): return String(format: "> %.0f", cap) + unit + " (\(why))"
        case .diverges(let why): return "diverges (\(why))"
        case .undefined(let why): return "undefined (\(why))"
        }
    }

    /// JSON fields: `key` → the number or `NSNull()`, and `key_reason` when there is no number.
    public func json(_ key: String) -> [String: Any] {
        guard let reason else { return [key: value!] }
        return [key: NSNull(), key + "_reason": reason]
    }
}

/// Text for a factor given as its log10, never over- or underflowing: "×0.99", "×3.2e-05", "×10^-512".
public func factorText(log10 x: Double) -> String {
    if abs(x) < 3 { return String(format: "×%.3g", Foundation.pow(10, x)) }
    if abs(x) < 300 { return String(format: "×%.1e", Foundation.pow(10, x)) }
    return String(format: "×10^%.0f", x)
}
