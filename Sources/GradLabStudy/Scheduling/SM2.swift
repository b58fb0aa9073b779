import Foundation

/// SuperMemo-2 (P. A. Wozniak, "Optimization of learning", 1990), the classic baseline, on the four
/// ratings.
///
/// Ratings map to SM-2's quality q (0…5): Again → 1 (a lapse), Hard → 3, Good → 4, Easy → 5.
/// With n the number of passes in a row (q ≥ 3) and EF the ease factor (2.5 for a new card):
/// - a pass schedules I = 1 day when n = 0, 6 days when n = 1, else round(I_prev · EF) (half away
///   from zero) with the EF before this review, and n grows by one;
/// - a lapse (q < 3) restarts the repetitions: n = 0, I = 1 day;
/// - after every review EF' = EF + (0.1 − (5 − q)(0.08 + (5 − q) · 0.02)), never below 1.3
///   (Good keeps EF, Easy adds 0.1, Hard takes 0.14, Again takes 0.54).
/// Wozniak's step 7 (repeat items below q = 4 the same day) is left out: Hard is a pass.
///
/// In `Memory`: `step` holds n, `ease` EF and `interval` I (days). The state is `review` after a
/// pass, `relearning` after a lapse of a card that had passed, `learning` after failing a card never
/// passed. A memory without `ease` (unseen, or scheduled so far by FSRS) starts SM-2 afresh; to
/// change schedulers without losing history, replay the card's review log through the new one.
public struct SM2: Scheduler {
    public static let initialEase = 2.5
    public static let minimumEase = 1.3

    public init() {}

    public var name: SchedulerKind { .sm2 }

    /// SM-2's quality q for a rating.
    public static func quality(_ rating: Rating) -> Int {
        switch rating {
        case .again: 1
        case .hard: 3
        case .good: 4
        case .easy: 5
        }
    }

    /// EF' = max(1.3, EF + (0.1 − (5 − q)(0.08 + (5 − q) · 0.02))).
    public static func nextEase(_ ease: Double, quality q: Int) -> Double {
        let miss = Double(5 - q)
        return max(minimumEase, ease + (0.1 - miss * (0.08 + miss * 0.02)))
    }

    public func review(_ memory: Memory, rating: Rating, at now: Date) -> Memory {
        var card = memory
        let started = memory.ease != nil
        let ease = memory.ease ?? Self.initialEase
        let passes = started ? max(0, memory.step ?? 0) : 0
        let q = Self.quality(rating)
        let days: Double
        if q >= 3 {
            switch passes {
            case 0: days = 1
            case 1: days = 6
            default: days = ((memory.interval ?? 6) * ease).rounded(.toNearestOrAwayFromZero)
            }
            card.step = passes + 1
            card.state = .review
        } else {
            days = 1
            card.step = 0
            let hadPassed = started && (memory.state == .review || memory.state == .relearning)
            card.state = hadPassed ? .relearning : .learning
            if started && memory.state == .review { card.lapses += 1 }
        }
        card.ease = Self.nextEase(ease, quality: q)
        card.interval = days
        card.due = now.addingTimeInterval(days * 86400)
        card.lastReview = now
        card.reps += 1
        card.stability = nil; card.difficulty = nil   // FSRS's memory no longer describes this card
        return card
    }

    /// SM-2 has no model of recall probability.
    public func retrievability(_ memory: Memory, at now: Date) -> Double? { nil }
}
