import XCTest
import GRDB
@testable import GradLabStudy

/// A scheduler with fixed delays per rating, so the store and session are tested apart from FSRS.
struct FixedScheduler: Scheduler {
    var name: SchedulerKind { .sm2 }
    func review(_ m: Memory, rating: Rating, at now: Date) -> Memory {
        var next = m
        next.reps += 1
        next.lastReview = now
        next.state = rating == .again ? .learning : .review
        next.due = now.addingTimeInterval(rating == .again ? 60 : Double(rating.rawValue) * 86_400)
        return next
    }
    func retrievability(_ memory: Memory, at now: Date) -> Double? { nil }
}

func temporaryStorePath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("study-\(UUID().uuidString)")
    return dir.appendingPathComponent("study.sqlite").path
}

final class StudyStoreTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func deck(_ text: String) throws -> Deck { try DeckParser.parse(text, file: "d.md") }

    func testReimportKeepsHistorySuspendsRemovedAndRestores() throws {
        let store = try StudyStore(path: temporaryStorePath())
        let v1 = try deck("a :: 1\nb :: 2\nc :: 3")
        XCTAssertEqual(try store.importDeck(v1, at: t0), ImportSummary(added: 3))
        let a = try XCTUnwrap(store.newCards(deck: "d", limit: 1).first)
        XCTAssertEqual(a.card.front, "a")
        try store.record(a, rating: .good, after: FixedScheduler().review(a.memory, rating: .good, at: t0), at: t0, scheduler: .sm2, kind: .study)

        // Edit a's answer, drop c, add d: a keeps its memory and review; c is suspended, not deleted.
        let v2 = try deck("a :: one\nb :: 2\nd :: 4")
        XCTAssertEqual(try store.importDeck(v2, at: t0), ImportSummary(added: 1, updated: 1, unchanged: 1, suspended: 1))
        let a2 = try XCTUnwrap(store.card(deck: "d", id: a.card.id))
        XCTAssertEqual(a2.card.back, "one")
        XCTAssertEqual(a2.memory.reps, 1)
        XCTAssertEqual(try store.reviews(deck: "d").count, 1)
        XCTAssertEqual(try store.cards(deck: "d").filter(\.suspended).map(\.card.front), ["c"])
        XCTAssertFalse(try store.newCards(deck: "d", limit: 10).map(\.card.front).contains("c"))

        // c comes back with its place in history.
        XCTAssertEqual(try store.importDeck(v1, at: t0).restored, 1)
        XCTAssertTrue(try store.newCards(deck: "d", limit: 10).map(\.card.front).contains("c"))
        XCTAssertEqual(try store.integrityCheck(), "ok")
    }

    func testDueQueueAndUndo() throws {
        let store = try StudyStore(path: temporaryStorePath())
        try store.importDeck(try deck("a :: 1\nb :: 2"), at: t0)
        let s = FixedScheduler()
        let cards = try store.newCards(deck: "d", limit: 2)
        let r1 = try store.record(cards[0], rating: .again, after: s.review(cards[0].memory, rating: .again, at: t0), at: t0, scheduler: .sm2, kind: .study)
        try store.record(cards[1], rating: .easy, after: s.review(cards[1].memory, rating: .easy, at: t0), at: t0, scheduler: .sm2, kind: .study)
        XCTAssertEqual(try store.dueCards(deck: "d", now: t0.addingTimeInterval(120), limit: 10).map(\.card.front), ["a"])
        XCTAssertEqual(try store.dueCards(deck: "d", now: t0.addingTimeInterval(5 * 86_400), limit: 10).map(\.card.front), ["a", "b"])
        XCTAssertEqual(try store.newCards(deck: "d", limit: 10).count, 0)
        let restored = try XCTUnwrap(store.undo(review: r1))
        XCTAssertEqual(restored.memory, cards[0].memory)
        XCTAssertEqual(try store.newCards(deck: "d", limit: 10).map(\.card.front), ["a"])
        XCTAssertEqual(try store.reviews(deck: "d").map(\.cardID), [cards[1].card.id])
        XCTAssertNil(try store.undo(review: r1))
    }

    func testReviewLogKeepsStateBeforeAndAfter() throws {
        let store = try StudyStore(path: temporaryStorePath())
        try store.importDeck(try deck("a :: 1"), at: t0)
        let s = FixedScheduler()
        var card = try store.newCards(deck: "d", limit: 1)[0]
        for (k, rating) in [Rating.good, .again, .hard].enumerated() {
            let at = t0.addingTimeInterval(Double(k) * 86_400)
            let after = s.review(card.memory, rating: rating, at: at)
            try store.record(card, rating: rating, after: after, at: at, scheduler: .sm2, kind: .quiz)
            card = try XCTUnwrap(store.card(deck: "d", id: card.card.id))
            XCTAssertEqual(card.memory, after)
        }
        let log = try store.reviews()
        XCTAssertEqual(log.map(\.rating), [.good, .again, .hard])
        XCTAssertNil(log[0].elapsedDays)
        XCTAssertEqual(log[1].elapsedDays ?? 0, 1, accuracy: 1e-9)
        XCTAssertEqual(log[2].before, log[1].after)
        XCTAssertEqual(Set(log.map(\.kind)), [.quiz])
    }

    func testABadStoreFileIsOneClearError() throws {
        let path = temporaryStorePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try StudyStore(path: path)) { error in
            XCTAssertTrue("\(error)".contains("cannot open the review store"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }
}

final class StudySessionTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var utc: Calendar { var c = Calendar(identifier: .gregorian); c.timeZone = TimeZone(identifier: "UTC")!; return c }

    func testDueFirstThenNewUpToTheDailyLimit() throws {
        let store = try StudyStore(path: temporaryStorePath())
        try store.importDeck(try DeckParser.parse((1...6).map { "q\($0) :: a\($0)" }.joined(separator: "\n"), file: "d.md"), at: t0)
        let s = FixedScheduler()
        let first = try StudySession(store: store, scheduler: s, deck: "d", limits: StudyLimits(newPerDay: 3), now: t0, calendar: utc)
        XCTAssertEqual(first.queue.map(\.card.front), ["q1", "q2", "q3"])
        try first.rate(.good, at: t0)
        try first.rate(.again, at: t0)   // q2 comes back within the session (due in a minute)
        XCTAssertEqual(first.queue.map(\.card.front), ["q3", "q2"])
        // Same day, a second session: the new-card limit counts what the first introduced.
        let second = try StudySession(store: store, scheduler: s, deck: "d", limits: StudyLimits(newPerDay: 3), now: t0.addingTimeInterval(3600), calendar: utc)
        XCTAssertEqual(second.queue.map(\.card.front), ["q2", "q3"])
        // Next day: q2 due, q1 due in 3 days, so q2 first then new ones.
        let third = try StudySession(store: store, scheduler: s, deck: "d", limits: StudyLimits(newPerDay: 2), now: t0.addingTimeInterval(86_400), calendar: utc)
        XCTAssertEqual(third.queue.map(\.card.front), ["q2", "q3", "q4"])
    }

    func testUndoRestoresTheCardAndTheStore() throws {
        let store = try StudyStore(path: temporaryStorePath())
        try store.importDeck(try DeckParser.parse("a :: 1\nb :: 2", file: "d.md"), at: t0)
        let session = try StudySession(store: store, scheduler: FixedScheduler(), deck: "d", limits: StudyLimits(), now: t0, calendar: utc)
        try session.rate(.easy, at: t0)
        XCTAssertEqual(session.current?.card.front, "b")
        XCTAssertTrue(try session.undo())
        XCTAssertEqual(session.current?.card.front, "a")
        XCTAssertEqual(session.current?.memory.reps, 0)
        XCTAssertEqual(try store.reviews().count, 0)
        XCTAssertFalse(try session.undo())
        XCTAssertEqual(try session.progressLine(), "left today 2 · done 0 · retention –")
    }

    func testLimitsAreChecked() {
        XCTAssertThrowsError(try StudyLimits(newPerDay: -1))
        XCTAssertThrowsError(try StudyLimits(reviewsPerDay: 0))
    }
}
