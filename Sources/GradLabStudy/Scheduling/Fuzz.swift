import Foundation
import GradLab

/// py-fsrs's interval fuzz: a review interval of d ≥ 3 days becomes a random whole number of days
/// near d, so that cards learned together spread out.
///
/// The spread is δ = 1 + Σ fᵢ · max(min(d, endᵢ) − startᵢ, 0) over the ranges
/// [2.5, 7) f = 0.15, [7, 20) f = 0.10, [20, ∞) f = 0.05 (py-fsrs `FUZZ_RANGES`, after Anki). With
/// lo = max(2, round(d − δ)), hi = min(round(d + δ), maximum) and lo ≤ hi, the fuzzed interval is
/// min(round(lo + u · (hi − lo + 1)), maximum) for u uniform in [0, 1). As in py-fsrs, the
/// rounding can give hi + 1 when u is close to 1 (unless that exceeds the maximum), and every
/// `round` is Python's: half to even.
public enum IntervalFuzzRange {
    private static let ranges: [(start: Double, end: Double, factor: Double)] = [
        (2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, .infinity, 0.05),
    ]

    /// The (lo, hi) above for an interval of `days`, or nil where fuzz leaves it alone (d < 2.5).
    public static func bounds(days: Int, maximum: Int) -> (low: Int, high: Int)? {
        guard Double(days) >= 2.5 else { return nil }
        var delta = 1.0
        for r in ranges { delta += r.factor * max(min(Double(days), r.end) - r.start, 0.0) }
        var low = Int((Double(days) - delta).rounded(.toNearestOrEven))
        var high = Int((Double(days) + delta).rounded(.toNearestOrEven))
        low = max(2, low)
        high = min(high, maximum)
        low = min(low, high)
        return (low, high)
    }

    /// The fuzzed interval for the draw `u` ∈ [0, 1).
    public static func fuzzed(days: Int, maximum: Int, draw u: Double) -> Int {
        guard let (low, high) = bounds(days: days, maximum: maximum) else { return days }
        let value = u * Double(high - low + 1) + Double(low)
        return min(Int(value.rounded(.toNearestOrEven)), maximum)
    }

    /// The draw for one review: a stream derived from the seed, the review time (ms) and the card's
    /// previous due time (ms) and review count, so that it is reproducible and differs across cards.
    static func draw(seed: UInt64, at now: Date, memory: Memory) -> Double {
        func millis(_ d: Date) -> UInt64 { UInt64(bitPattern: Int64((d.timeIntervalSince1970 * 1000).rounded())) }
        var rng = SeededRandom.derived(seed: seed, millis(now), millis(memory.due), UInt64(max(0, memory.reps)))
        return rng.uniform()
    }
}
