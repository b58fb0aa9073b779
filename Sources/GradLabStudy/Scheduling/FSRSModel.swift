import Foundation

/// The FSRS-6 memory model: the formulas for stability S, difficulty D and retrievability R.
///
/// Source: the FSRS-6 algorithm description (open-spaced-repetition, "The Algorithm"), as
/// implemented by py-fsrs 6.3 (`fsrs/scheduler.py`). Each expression keeps py-fsrs's order of
/// operations and uses `pow` with base e where py-fsrs writes `math.e ** x`, so that results agree
/// to the last bit where the C library's `pow` does. G is the rating (Again 1 … Easy 4).
struct FSRSModel: Sendable {
    let w: [Double]
    /// decay = −w20: the exponent of the power forgetting curve.
    let decay: Double
    /// factor = 0.9^(1/decay) − 1, chosen so that R(t = S) = 0.9.
    let factor: Double

    init(parameters: [Double]) {
        w = parameters
        decay = -parameters[20]
        factor = pow(0.9, 1 / decay) - 1
    }

    private static let e = M_E

    private func clampStability(_ s: Double) -> Double { max(s, FSRSParameters.minimumStability) }
    private func clampDifficulty(_ d: Double) -> Double { min(max(d, 1), 10) }

    /// R(t, S) = (1 + factor · t / S)^decay, with t the whole days elapsed (py-fsrs counts days as
    /// `timedelta.days`, the floor, never below 0).
    func retrievability(elapsedDays: Int, stability: Double) -> Double {
        pow(1 + factor * Double(max(0, elapsedDays)) / stability, decay)
    }

    /// S₀(G) = w_{G−1}: the stability after the first rating.
    func initialStability(_ rating: Rating) -> Double { clampStability(w[rating.rawValue - 1]) }

    /// D₀(G) = w4 − e^{w5 (G − 1)} + 1, clamped to [1, 10] where `clamp`.
    func initialDifficulty(_ rating: Rating, clamp: Bool) -> Double {
        let d = w[4] - pow(Self.e, w[5] * Double(rating.rawValue - 1)) + 1
        return clamp ? clampDifficulty(d) : d
    }

    /// D' = w7 · D₀(Easy) + (1 − w7) · (D + ΔD · (10 − D) / 9), ΔD = −w6 (G − 3), clamped to [1, 10]:
    /// a linear change damped near 10, then mean reversion towards D₀(Easy).
    func nextDifficulty(_ difficulty: Double, rating: Rating) -> Double {
        let target = initialDifficulty(.easy, clamp: false)
        let delta = -(w[6] * Double(rating.rawValue - 3))
        let damped = difficulty + (10.0 - difficulty) * delta / 9.0
        return clampDifficulty(w[7] * target + (1 - w[7]) * damped)
    }

    /// Same-day review: S' = S · e^{w17 (G − 3 + w18)} · S^{−w19}, the factor at least 1 unless Again.
    func shortTermStability(_ stability: Double, rating: Rating) -> Double {
        var increase = pow(Self.e, w[17] * (Double(rating.rawValue - 3) + w[18])) * pow(stability, -w[19])
        if rating != .again { increase = max(increase, 1.0) }
        return clampStability(stability * increase)
    }

    /// Stability after a review at least a day after the last one, by recall or lapse.
    func nextStability(difficulty: Double, stability: Double, retrievability: Double, rating: Rating) -> Double {
        let s = rating == .again
            ? forgetStability(difficulty: difficulty, stability: stability, retrievability: retrievability)
            : recallStability(difficulty: difficulty, stability: stability, retrievability: retrievability, rating: rating)
        return clampStability(s)
    }

    /// After a lapse: S'_f = min(w11 · D^{−w12} · ((S + 1)^{w13} − 1) · e^{w14 (1 − R)}, S / e^{w17 w18}).
    private func forgetStability(difficulty: Double, stability: Double, retrievability: Double) -> Double {
        let longTerm = w[11] * pow(difficulty, -w[12]) * (pow(stability + 1, w[13]) - 1)
            * pow(Self.e, (1 - retrievability) * w[14])
        let shortTerm = stability / pow(Self.e, w[17] * w[18])
        return min(longTerm, shortTerm)
    }

    /// After a recall: S'_r = S · (1 + e^{w8} · (11 − D) · S^{−w9} · (e^{w10 (1 − R)} − 1) · h · b),
    /// with the Hard penalty h = w15 and the Easy bonus b = w16 (else 1).
    private func recallStability(difficulty: Double, stability: Double, retrievability: Double, rating: Rating) -> Double {
        let hardPenalty = rating == .hard ? w[15] : 1
        let easyBonus = rating == .easy ? w[16] : 1
        return stability * (1 + pow(Self.e, w[8]) * (11 - difficulty) * pow(stability, -w[9])
            * (pow(Self.e, (1 - retrievability) * w[10]) - 1) * hardPenalty * easyBonus)
    }

    /// I(S) = S / factor · (r^{1/decay} − 1) days, the time until R falls to the desired retention r,
    /// rounded half to even (Python's `round`), at least 1 day and at most `maximum`.
    func nextInterval(stability: Double, desiredRetention: Double, maximum: Int) -> Int {
        let days = (stability / factor) * (pow(desiredRetention, 1 / decay) - 1)
        return Int(min(max(days.rounded(.toNearestOrEven), 1), Double(maximum)))
    }
}
