import Foundation
import GradLab
import GradLabStudy

/// Study mode for the browser, over the same review store as `gradlab study`: one study session
/// per deck (due cards, then new, within the daily limits), ratings recorded one transaction each.
/// Only the built-in decks and the predict-then-run deck are offered: the page cannot name files.
final class StudyDesk: @unchecked Sendable {
    let store: StudyStore
    let scheduler: any Scheduler
    let cacheDirectory: String
    private let lock = NSLock()
    private var sessions: [String: StudySession] = [:]
    private var decks: [String: Deck] = [:]

    init(storePath: String) throws {
        store = try StudyStore(path: storePath)
        scheduler = try SchedulerKind.fsrs.make()
        cacheDirectory = ((storePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("experiments")
        for b in BuiltinDeck.allCases {
            let deck = try b.load()
            try store.importDeck(deck)
            decks[deck.id] = deck
        }
    }

    struct DeckInfo: Encodable { var id: String, title: String, cards: Int }
    var deckList: [DeckInfo] { lock.lock(); defer { lock.unlock() }; return decks.values.sorted { $0.id < $1.id }.map { DeckInfo(id: $0.id, title: $0.title, cards: $0.cards.count) } }

    func deck(_ id: String?) throws -> Deck {
        lock.lock(); defer { lock.unlock() }
        let id = id ?? BuiltinDeck.gradients.rawValue
        guard let d = decks[id] else {
            throw APIError(.notFound, "no deck '\(id)' here; the web lab offers \(decks.keys.sorted().joined(separator: ", ")) (study your own decks with gradlab study FILE)", key: "deck")
        }
        return d
    }

    /// What the page shows next: the card, the day's progress and what each rating would schedule.
    struct Next: Encodable {
        struct CardView: Encodable {
            var id: String, front: String, back: String, explain: String?, section: [String], experiment: String?, claim: String?
        }
        var card: CardView?
        var progress: String, intervals: [String: String]
    }

    func next(deck id: String?) throws -> Next {
        let deck = try self.deck(id)
        lock.lock(); defer { lock.unlock() }
        let session = try session(deck)
        return try view(session)
    }

    func rate(deck id: String?, card: String, rating: Int) throws -> Next {
        guard let r = Rating(rawValue: rating) else { throw APIError(.badRequest, "rating \(rating) must be 1 (again), 2 (hard), 3 (good) or 4 (easy)", key: "rating") }
        let deck = try self.deck(id)
        lock.lock(); defer { lock.unlock() }
        let session = try session(deck)
        guard session.current?.card.id == card else {
            throw APIError(.conflict, "card \(card) is not the one due now (it was rated in another tab?); reload the page")
        }
        try session.rate(r, at: Date())
        return try view(session)
    }

    func undo(deck id: String?) throws -> Next {
        let deck = try self.deck(id)
        lock.lock(); defer { lock.unlock() }
        let session = try session(deck)
        guard try session.undo() else { throw APIError(.conflict, "nothing to undo in this session") }
        return try view(session)
    }

    /// Records a quiz or predict-then-run answer as the CLI does: right → good, wrong → again.
    func record(deck: Deck, card id: String, right: Bool, kind: ReviewKind) throws {
        lock.lock(); defer { lock.unlock() }
        guard let stored = try store.card(deck: deck.id, id: id) else { return }
        let rating: Rating = right ? .good : .again, now = Date()
        _ = try store.record(stored, rating: rating, after: scheduler.review(stored.memory, rating: rating, at: now), at: now,
                             scheduler: scheduler.name, kind: kind)
        sessions[deck.id] = nil   // its queue is stale now
    }

    private func session(_ deck: Deck) throws -> StudySession {
        if let s = sessions[deck.id] { return s }
        let s = try StudySession(store: store, scheduler: scheduler, deck: deck.id, limits: try StudyLimits(), now: Date())
        sessions[deck.id] = s
        return s
    }

    private func view(_ session: StudySession) throws -> Next {
        let now = Date()
        var intervals: [String: String] = [:]
        if let c = session.current {
            for r in Rating.allCases { intervals["\(r.rawValue)"] = Self.interval(scheduler.review(c.memory, rating: r, at: now).due.timeIntervalSince(now)) }
        }
        let card = session.current.map { s in
            Next.CardView(id: s.card.id, front: s.card.front, back: s.card.back, explain: s.card.explain, section: s.card.section,
                          experiment: s.card.experiment, claim: s.card.claim)
        }
        return Next(card: card, progress: try session.progressLine(), intervals: intervals)
    }

    static func interval(_ seconds: TimeInterval) -> String {
        let s = max(0, seconds)
        if s < 3600 { return "\(max(1, Int((s / 60).rounded())))m" }
        if s < 86_400 { return "\(Int((s / 3600).rounded()))h" }
        if s < 30 * 86_400 { return "\(Int((s / 86_400).rounded()))d" }
        if s < 365 * 86_400 { return String(format: "%.1fmo", s / (30 * 86_400)) }
        return String(format: "%.1fy", s / (365 * 86_400))
    }
}
