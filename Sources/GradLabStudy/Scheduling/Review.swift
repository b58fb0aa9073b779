import Foundation

/// The four answers a learner gives after seeing the back of a card (Anki's buttons, keys 1–4).
public enum Rating: Int, Codable, Sendable, CaseIterable, Comparable {
    case again = 1, hard = 2, good = 3, easy = 4
    public static func < (a: Rating, b: Rating) -> Bool { a.rawValue < b.rawValue }
}

/// Where a card is in its schedule. Matches py-fsrs 6: a card that has never been reviewed is
/// `learning` at step 0 with no stability; `new` is kept for stores and SM-2, which count unseen
/// cards separately.
public enum CardState: Int, Codable, Sendable, CaseIterable {
    case new = 0, learning = 1, review = 2, relearning = 3
}

/// A card's scheduling memory: everything a scheduler needs to rate it again.
///
/// FSRS uses `stability` (days until recall probability falls to 90%) and `difficulty` (1…10);
/// SM-2 uses `ease` and `interval` (days). `step` is the index into the learning or relearning
/// steps while the card is in one of those states; SM-2 keeps its count of passes in a row there.
public struct Memory: Codable, Sendable, Hashable {
    public var state: CardState
    public var step: Int?
    public var stability: Double?
    public var difficulty: Double?
    public var ease: Double?
    public var interval: Double?
    public var due: Date
    public var lastReview: Date?
    public var reps: Int
    public var lapses: Int

    public init(state: CardState = .new, step: Int? = 0, stability: Double? = nil, difficulty: Double? = nil,
                ease: Double? = nil, interval: Double? = nil, due: Date, lastReview: Date? = nil, reps: Int = 0, lapses: Int = 0) {
        self.state = state; self.step = step; self.stability = stability; self.difficulty = difficulty
        self.ease = ease; self.interval = interval; self.due = due; self.lastReview = lastReview; self.reps = reps; self.lapses = lapses
    }

    /// A card never reviewed, due now.
    public static func fresh(at now: Date) -> Memory { Memory(due: now) }
}

/// A spaced-repetition algorithm: the next memory state after a rating at a time.
public protocol Scheduler: Sendable {
    var name: SchedulerKind { get }
    func review(_ memory: Memory, rating: Rating, at now: Date) -> Memory
    /// Probability of recall at `now` (nil where the algorithm has no model of it, or the card is unseen).
    func retrievability(_ memory: Memory, at now: Date) -> Double?
}

/// The schedulers a user can choose (`--scheduler`).
public enum SchedulerKind: String, Codable, Sendable, CaseIterable {
    case fsrs, sm2
}
