import Foundation
import GRDB

extension StudyStore {
    /// Records one rating and the card's new memory, in one transaction; returns the review id.
    @discardableResult
    public func record(_ card: StoredCard, rating: Rating, after: Memory, at now: Date,
                       scheduler: SchedulerKind, kind: ReviewKind) throws -> Int64 {
        let before = card.memory
        let elapsed = before.lastReview.map { now.timeIntervalSince($0) / 86_400 }
        let beforeJSON = try Self.json(before), afterJSON = try Self.json(after)
        return try pool.write { db in
            try db.execute(sql: """
                INSERT INTO reviews (deck_id, card_id, time, rating, elapsed_days, scheduler, kind, before, after)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [card.deckID, card.card.id, now.timeIntervalSince1970, rating.rawValue, elapsed,
                                 scheduler.rawValue, kind.rawValue, beforeJSON, afterJSON])
            let id = db.lastInsertedRowID
            try Self.setMemory(db, deck: card.deckID, card: card.card.id, after)
            return id
        }
    }

    /// Takes back a review: the card's memory returns to what it was before it, and the row goes.
    /// Returns the card as restored, or nil if there is no such review.
    @discardableResult
    public func undo(review id: Int64) throws -> StoredCard? {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT deck_id, card_id, before FROM reviews WHERE id = ?", arguments: [id]) else { return nil }
            let before = try JSONDecoder().decode(Memory.self, from: Data((row["before"] as String).utf8))
            try Self.setMemory(db, deck: row["deck_id"], card: row["card_id"], before)
            try db.execute(sql: "DELETE FROM reviews WHERE id = ?", arguments: [id])
            return try Self.cards(db, where: "deck_id = ? AND id = ?", order: "id", arguments: [row["deck_id"] as String, row["card_id"] as String], limit: 1).first
        }
    }

    /// The review log, oldest first, optionally of one deck and from a time on.
    public func reviews(deck: String? = nil, since: Date? = nil) throws -> [ReviewRecord] {
        var conditions: [String] = [], arguments: [DatabaseValueConvertible?] = []
        if let deck { conditions.append("deck_id = ?"); arguments.append(deck) }
        if let since { conditions.append("time >= ?"); arguments.append(since.timeIntervalSince1970) }
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let decoder = JSONDecoder()
        return try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reviews \(condition) ORDER BY id", arguments: StatementArguments(arguments)).map { row in
                ReviewRecord(id: row["id"], deckID: row["deck_id"], cardID: row["card_id"], time: Date(timeIntervalSince1970: row["time"]),
                             rating: Rating(rawValue: row["rating"]) ?? .again, elapsedDays: row["elapsed_days"],
                             scheduler: SchedulerKind(rawValue: row["scheduler"]) ?? .fsrs, kind: ReviewKind(rawValue: row["kind"]) ?? .study,
                             before: try decoder.decode(Memory.self, from: Data((row["before"] as String).utf8)),
                             after: try decoder.decode(Memory.self, from: Data((row["after"] as String).utf8)))
            }
        }
    }

    /// How many cards were reviewed for the first time, and how many reviews there were, since `start`.
    public func counts(deck: String?, since start: Date) throws -> (introduced: Int, reviews: Int) {
        try pool.read { db in
            let filter = deck == nil ? "" : " AND deck_id = ?"
            let values: [DatabaseValueConvertible?] = [start.timeIntervalSince1970] + (deck.map { [$0] } ?? [])
            let args = StatementArguments(values)
            let introduced = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reviews WHERE time >= ? AND json_extract(before, '$.reps') = 0" + filter, arguments: args) ?? 0
            let reviews = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reviews WHERE time >= ?" + filter, arguments: args) ?? 0
            return (introduced, reviews)
        }
    }

    /// Due times of the active seen cards (for the forecast).
    public func dueDates(deck: String?) throws -> [Date] {
        try pool.read { db in
            try Double.fetchAll(db, sql: "SELECT due FROM cards WHERE suspended = 0 AND state > 0" + (deck == nil ? "" : " AND deck_id = ?"),
                                arguments: StatementArguments(deck.map { [$0] } ?? [String]())).map(Date.init(timeIntervalSince1970:))
        }
    }

    static func setMemory(_ db: Database, deck: String, card: String, _ m: Memory) throws {
        try db.execute(sql: """
            UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, ease = ?, interval = ?, due = ?, last_review = ?, reps = ?, lapses = ?
            WHERE deck_id = ? AND id = ?
            """, arguments: [m.state.rawValue, m.step, m.stability, m.difficulty, m.ease, m.interval, m.due.timeIntervalSince1970,
                             m.lastReview?.timeIntervalSince1970, m.reps, m.lapses, deck, card])
    }

    static func json(_ m: Memory) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try e.encode(m), as: UTF8.self)
    }
}

extension StudyStore {
    /// Appends a history of reviews in one transaction (an imported review log, or a benchmark's
    /// synthetic one); each card's memory becomes the `after` of its last review in the batch.
    public func appendHistory(_ records: [ReviewRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO reviews (deck_id, card_id, time, rating, elapsed_days, scheduler, kind, before, after)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var last: [String: ReviewRecord] = [:]
            for r in records {
                try insert.execute(arguments: [r.deckID, r.cardID, r.time.timeIntervalSince1970, r.rating.rawValue, r.elapsedDays,
                                               r.scheduler.rawValue, r.kind.rawValue,
                                               String(decoding: try encoder.encode(r.before), as: UTF8.self),
                                               String(decoding: try encoder.encode(r.after), as: UTF8.self)])
                last[r.deckID + "\u{0}" + r.cardID] = r
            }
            for r in last.values { try Self.setMemory(db, deck: r.deckID, card: r.cardID, r.after) }
        }
    }
}
