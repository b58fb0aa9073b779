import Foundation
import GradLab

/// FSRS-6's 21 model weights w0…w20: their defaults and the bounds py-fsrs 6.3 accepts.
///
/// w0–w3 initial stability per first rating; w4–w7 difficulty (initial, change per rating, mean
/// reversion); w8–w10 stability after recall; w11–w14 stability after a lapse; w15 Hard penalty;
/// w16 Easy bonus; w17–w19 short-term (same-day) stability; w20 the forgetting curve's decay.
/// Source: the FSRS-6 algorithm description (open-spaced-repetition, "The Algorithm", FSRS-6).
public enum FSRSParameters {
    public static let count = 21

    /// The FSRS-6 defaults (py-fsrs `DEFAULT_PARAMETERS`, also Anki's since 25.02).
    public static let defaults: [Double] = [
        0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
        1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
    ]

    /// Stability never falls below this (days).
    public static let minimumStability = 0.001

    public static let lowerBounds: [Double] = [
        minimumStability, minimumStability, minimumStability, minimumStability,
        1.0, 0.001, 0.001, 0.001, 0.0, 0.0, 0.001, 0.001, 0.001, 0.001, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.1,
    ]

    public static let upperBounds: [Double] = [
        100, 100, 100, 100, 10.0, 4.0, 4.0, 0.75, 4.5, 0.8, 3.5, 5.0, 0.25, 0.9, 4.0, 1.0, 6.0, 2.0, 2.0, 0.8, 0.8,
    ]
}

/// Whether review intervals get a small random spread, and from which seed.
///
/// Fuzz keeps cards learned together from falling due together (py-fsrs `enable_fuzzing`). The
/// draw for one review comes from `SeededRandom` derived from the seed, the review time and the
/// card's memory, so the same seed and the same history give the same intervals.
public enum IntervalFuzz: Codable, Sendable, Hashable {
    case off
    case seeded(UInt64)
}

/// The settings of an FSRS-6 scheduler, as py-fsrs's `Scheduler(...)` takes them.
public struct FSRSConfiguration: Codable, Sendable, Hashable {
    /// The 21 weights w0…w20.
    public var parameters: [Double]
    /// The probability of recall the schedule aims for when a card falls due, in (0, 1).
    public var desiredRetention: Double
    /// Delays (seconds) between the first reviews of a new card before it graduates to review.
    public var learningSteps: [TimeInterval]
    /// Delays (seconds) for a card that lapsed (Again in review) before it returns to review.
    public var relearningSteps: [TimeInterval]
    /// The longest interval a review card is given (days).
    public var maximumInterval: Int
    public var fuzz: IntervalFuzz

    /// The py-fsrs defaults: retention 0.9, learning steps 1 min and 10 min, relearning step
    /// 10 min, at most 36,500 days, fuzz on (seed 0).
    public init(parameters: [Double] = FSRSParameters.defaults, desiredRetention: Double = 0.9,
                learningSteps: [TimeInterval] = [60, 600], relearningSteps: [TimeInterval] = [600],
                maximumInterval: Int = 36500, fuzz: IntervalFuzz = .seeded(0)) {
        self.parameters = parameters; self.desiredRetention = desiredRetention
        self.learningSteps = learningSteps; self.relearningSteps = relearningSteps
        self.maximumInterval = maximumInterval; self.fuzz = fuzz
    }

    /// Throws `GradLabError.invalid` naming the first bad setting and how to fix it.
    public func validate() throws {
        guard parameters.count == FSRSParameters.count else {
            throw GradLabError.invalid("FSRS-6 needs \(FSRSParameters.count) parameters (w0…w20), got \(parameters.count) — give all \(FSRSParameters.count), or leave them out for the defaults")
        }
        for (i, w) in parameters.enumerated() {
            let (low, high) = (FSRSParameters.lowerBounds[i], FSRSParameters.upperBounds[i])
            guard w.isFinite, w >= low, w <= high else {
                throw GradLabError.invalid("FSRS parameter w\(i) = \(w) is outside [\(low), \(high)] — use a value in that range (default \(FSRSParameters.defaults[i]))")
            }
        }
        guard desiredRetention > 0, desiredRetention < 1 else {
            throw GradLabError.invalid("desired retention \(desiredRetention) must be strictly between 0 and 1 — e.g. 0.9 for 90% recall when a card falls due")
        }
        for (name, steps) in [("learning", learningSteps), ("relearning", relearningSteps)] {
            if let i = steps.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
                throw GradLabError.invalid("\(name) step \(i + 1) is \(steps[i]) s; steps must be positive durations — e.g. 60 and 600 s (1 min, 10 min)")
            }
        }
        guard maximumInterval >= 1 else {
            throw GradLabError.invalid("maximum interval \(maximumInterval) days must be at least 1 day — e.g. 36500 (100 years)")
        }
    }
}
