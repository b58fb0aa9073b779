import Foundation
import GradLab

/// Daily limits, as Anki has them.
public struct StudyLimits: Sendable {
    /// New cards introduced per day (over all sessions of the day).
    public var newPerDay: Int
    /// Reviews per day, new cards included.
    public var reviewsPerDay: Int
    /// A card rated into a short learning step comes back in this session if due within this time.
    public var learnAhead: TimeInterval

    public init(newPerDay: Int = 20, reviewsPerDay: Int = 200, learnAhead: TimeInterval = 20 * 60) throws {
        guard newPerDay >= 0 else { throw GradLabError.invalid("--new-per-day \(newPerDay) is negative — give 0 or more") }
        guard reviewsPerDay >= 1 else { throw GradLabError.invalid("--reviews-per-day \(reviewsPerDay) must be at least 1") }
        self.newPerDay = newPerDay; self.reviewsPerDay = reviewsPerDay; self.learnAhead = learnAhead
    }
}

/// One sitting of flashcards: due cards first (earliest first), then new ones up to the daily limit.
///
/// Each rating is committed to the store at once; `undo` takes back the last one (in the store too).
/// Times are passed in, so a session replays exactly in tests.
public final class StudySession {
    public let store: StudyStore
    public let scheduler: any Scheduler
    public let deck: String?
    public let limits: StudyLimits
    public private(set) var queue: [StoredCard]
    /// Ratings given in this session, for undo and the progress line.
    public private(set) var done: [(review: Int64, card: StoredCard, rating: Rating)] = []
    let dayStart: Date

    public init(store: StudyStore, scheduler: any Scheduler, deck: String?, limits: StudyLimits, now: Date,
                calendar: Calendar = .current) throws {
        self.store = store; self.scheduler = scheduler; self.deck = deck; self.limits = limits
        dayStart = calendar.startOfDay(for: now)
        let today = try store.counts(deck: deck, since: dayStart)
        let room = max(0, limits.reviewsPerDay - today.reviews)
        let due = try store.dueCards(deck: deck, now: now.addingTimeInterval(limits.learnAhead), limit: room)
        let fresh = try store.newCards(deck: deck, limit: min(max(0, limits.newPerDay - today.introduced), room - due.count))
        queue = due + fresh
    }

    /// The card to show now.
    public var current: StoredCard? { queue.first }

    /// Rates the current card: commits the review, then brings the card back later in this session
    /// if its next step is due within the learn-ahead time.
    public func rate(_ rating: Rating, at now: Date) throws {
        guard let card = queue.first else { return }
        let after = scheduler.review(card.memory, rating: rating, at: now)
        let id = try store.record(card, rating: rating, after: after, at: now, scheduler: scheduler.name, kind: .study)
        done.append((id, card, rating))
        queue.removeFirst()
        if after.due <= now.addingTimeInterval(limits.learnAhead) {
            var again = card
            again.memory = after
            let at = queue.firstIndex { $0.memory.due > after.due && $0.memory.state != .new } ?? queue.count
            queue.insert(again, at: at)
        }
    }

    /// Takes back the last rating of this session; the card is shown again next. False if none.
    @discardableResult
    public func undo() throws -> Bool {
        guard let last = done.popLast() else { return false }
        let restored = try store.undo(review: last.review) ?? last.card
        queue.removeAll { $0.card.id == last.card.card.id && $0.deckID == last.card.deckID }
        queue.insert(restored, at: 0)
        return true
    }

    /// Cards left, ratings done this session, and today's true retention (share of reviews of
    /// cards in review state that were not Again), nil before any such review.
    public func progress() throws -> (left: Int, done: Int, retention: Double?) {
        let today = try store.reviews(deck: deck, since: dayStart).filter { $0.before.state == .review }
        let passed = today.filter { $0.rating != .again }.count
        return (queue.count, done.count, today.isEmpty ? nil : Double(passed) / Double(today.count))
    }

    /// The progress line shown under every card.
    public func progressLine() throws -> String {
        let p = try progress()
        return "left today \(p.left) · done \(p.done) · retention \(p.retention.map { String(format: "%.0f%%", $0 * 100) } ?? "–")"
    }
}
