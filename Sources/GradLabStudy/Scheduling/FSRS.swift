import Foundation
import GradLab

/// The FSRS-6 scheduler (Free Spaced Repetition Scheduler, used by Anki since 23.10), reproducing
/// py-fsrs 6.3.2's `Scheduler.review_card` step for step.
///
/// A card is `learning` from its first review, walks through the learning steps, then `review`
/// with intervals I(S) from its stability; Again in review sends it to `relearning` through the
/// relearning steps. Per review:
/// - the first rating sets S = S₀(G), D = D₀(G);
/// - a review less than a whole day after the last one (elapsed `timedelta.days` < 1) uses the
///   short-term stability, any other the long-term update with R at the whole days elapsed;
/// - D follows `nextDifficulty` on every review after the first.
/// Steps: Again goes back to step 0; Hard stays, waiting 1.5 × the only step, the mean of the
/// first two at step 0, else the current step; Good advances and graduates after the last step;
/// Easy graduates at once; no steps at all means straight to review (and Again in review stays in
/// review). Formulas: `FSRSModel`; source: the FSRS-6 algorithm description
/// (open-spaced-repetition) and py-fsrs `fsrs/scheduler.py`.
public struct FSRS: Scheduler {
    public let configuration: FSRSConfiguration
    let model: FSRSModel

    /// Throws `GradLabError.invalid` where the configuration is bad (see `FSRSConfiguration.validate`).
    public init(configuration: FSRSConfiguration = FSRSConfiguration()) throws {
        try configuration.validate()
        self.configuration = configuration
        model = FSRSModel(parameters: configuration.parameters)
    }

    public var name: SchedulerKind { .fsrs }

    private static let day: TimeInterval = 86400

    /// Whole days from `last` to `now`, as Python's `timedelta.days` (the floor).
    private static func wholeDays(from last: Date, to now: Date) -> Int {
        Int((now.timeIntervalSince(last) / day).rounded(.down))
    }

    /// R at `now`: (1 + factor · t / S)^decay with t the whole days since the last review; nil for
    /// a card with no FSRS memory yet (py-fsrs returns 0 there).
    public func retrievability(_ memory: Memory, at now: Date) -> Double? {
        guard memory.state != .new, let last = memory.lastReview, let s = memory.stability else { return nil }
        return model.retrievability(elapsedDays: Self.wholeDays(from: last, to: now), stability: s)
    }

    public func review(_ memory: Memory, rating: Rating, at now: Date) -> Memory {
        // A card without FSRS memory (unseen, or scheduled so far by SM-2) starts as py-fsrs's fresh Card.
        var card = memory
        if card.state == .new || card.stability == nil || card.difficulty == nil {
            card = Memory(state: .learning, step: 0, due: memory.due, reps: memory.reps, lapses: memory.lapses)
        }
        let wasReview = card.state == .review
        let daysSinceLast = card.lastReview.map { Self.wholeDays(from: $0, to: now) }
        let sameDay = daysSinceLast.map { $0 < 1 } ?? false

        if let s = card.stability, let d = card.difficulty {
            if sameDay {
                card.stability = model.shortTermStability(s, rating: rating)
            } else {
                let r = retrievability(card, at: now) ?? 0
                card.stability = model.nextStability(difficulty: d, stability: s, retrievability: r, rating: rating)
            }
            card.difficulty = model.nextDifficulty(d, rating: rating)
        } else {
            card.stability = model.initialStability(rating)
            card.difficulty = model.initialDifficulty(rating, clamp: true)
        }

        let next: TimeInterval
        switch card.state {
        case .new, .learning:
            next = stepped(&card, rating: rating, steps: configuration.learningSteps)
        case .relearning:
            next = stepped(&card, rating: rating, steps: configuration.relearningSteps)
        case .review:
            if rating == .again && !configuration.relearningSteps.isEmpty {
                card.state = .relearning
                card.step = 0
                next = configuration.relearningSteps[0]
            } else {
                next = graduate(&card)
            }
        }

        var interval = next
        if card.state == .review, case .seeded(let seed) = configuration.fuzz {
            let days = Int((next / Self.day).rounded(.down))
            let u = IntervalFuzzRange.draw(seed: seed, at: now, memory: memory)
            interval = Double(IntervalFuzzRange.fuzzed(days: days, maximum: configuration.maximumInterval, draw: u)) * Self.day
        }
        card.due = now.addingTimeInterval(interval)
        card.lastReview = now
        card.interval = interval / Self.day
        card.ease = nil   // SM-2's memory no longer describes this card
        card.reps += 1
        if wasReview && rating == .again { card.lapses += 1 }
        return card
    }

    /// The learning or relearning steps: the next state and step of `card`, and the delay.
    private func stepped(_ card: inout Memory, rating: Rating, steps: [TimeInterval]) -> TimeInterval {
        let step = card.step ?? 0
        // Also covers a card left on a step this configuration no longer has.
        if steps.isEmpty || (step >= steps.count && rating != .again) { return graduate(&card) }
        switch rating {
        case .again:
            card.step = 0
            return steps[0]
        case .hard:
            if step == 0 { return steps.count == 1 ? steps[0] * 1.5 : (steps[0] + steps[1]) / 2.0 }
            return steps[step]
        case .good:
            if step + 1 == steps.count { return graduate(&card) }
            card.step = step + 1
            return steps[step + 1]
        case .easy:
            return graduate(&card)
        }
    }

    /// Into (or on in) review: the interval I(S) in whole days, as seconds.
    private func graduate(_ card: inout Memory) -> TimeInterval {
        card.state = .review
        card.step = nil
        let days = model.nextInterval(stability: card.stability ?? FSRSParameters.minimumStability,
                                      desiredRetention: configuration.desiredRetention,
                                      maximum: configuration.maximumInterval)
        return Double(days) * Self.day
    }
}
