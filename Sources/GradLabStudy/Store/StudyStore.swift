import Foundation
import GRDB
import GradLab

/// A card as the store holds it: the card, its deck and its scheduling memory.
public struct StoredCard: Sendable, Hashable {
    public var deckID: String
    public var card: Card
    public var memory: Memory
    public var suspended: Bool
}

/// What a review session did, as logged.
public enum ReviewKind: String, Codable, Sendable, CaseIterable {
    case study, quiz, predict
}

/// One row of the review log.
public struct ReviewRecord: Sendable, Hashable {
    public var id: Int64
    public var deckID: String
    public var cardID: String
    public var time: Date
    public var rating: Rating
    public var elapsedDays: Double?
    public var scheduler: SchedulerKind
    public var kind: ReviewKind
    public var before: Memory
    public var after: Memory
}

/// What importing a deck changed.
public struct ImportSummary: Sendable, Equatable {
    public var added = 0, updated = 0, unchanged = 0, suspended = 0, restored = 0

    public init(added: Int = 0, updated: Int = 0, unchanged: Int = 0, suspended: Int = 0, restored: Int = 0) {
        self.added = added; self.updated = updated; self.unchanged = unchanged; self.suspended = suspended; self.restored = restored
    }
}

/// The review store: decks, cards and every rating, in one SQLite file (GRDB, WAL).
///
/// Every write is one transaction: a rating is committed on its own, so a process killed in the
/// middle of a session loses at most the rating being written, and the file always opens.
public final class StudyStore {
    public let path: String
    let pool: DatabasePool

    /// `$XDG_DATA_HOME/gradlab/study.sqlite`, else `~/.local/share/gradlab/study.sqlite`
    /// (`~/Library/Application Support/GradLab/study.sqlite` on macOS).
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        #if os(macOS)
        let base = (NSHomeDirectory() as NSString).appendingPathComponent("Library/Application Support/GradLab")
        #else
        let base = ((env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")) as NSString)
            .appendingPathComponent("gradlab")
        #endif
        return (base as NSString).appendingPathComponent("study.sqlite")
    }

    public init(path: String = StudyStore.defaultPath) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw GradLabError.io("cannot create \(directory) for the review store: \(error.localizedDescription) — pass --store PATH")
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try StudySchema.migrator.migrate(pool)
        } catch {
            throw GradLabError.io("\(path): cannot open the review store (\(Self.oneLine(error))) — is it a GradLab study store? pass --store PATH")
        }
    }

    /// `PRAGMA integrity_check`: "ok", or what is wrong.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    // MARK: Decks

    /// Adds or refreshes a deck in one transaction. Cards keep their memory and history when their
    /// id is unchanged (their text is updated); cards gone from the file are suspended, never
    /// deleted, and come back with their history if they reappear.
    @discardableResult
    public func importDeck(_ deck: Deck, at now: Date = Date()) throws -> ImportSummary {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try pool.write { db in
            var summary = ImportSummary()
            try db.execute(sql: """
                INSERT INTO decks (id, title, source, imported_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, source = excluded.source, imported_at = excluded.imported_at
                """, arguments: [deck.id, deck.title, deck.source, now.timeIntervalSince1970])
            var existing: [String: (json: String, suspended: Bool)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, card, suspended FROM cards WHERE deck_id = ?", arguments: [deck.id]) {
                existing[row["id"]] = (row["card"], (row["suspended"] as Int) != 0)
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO cards (deck_id, id, card, position, due) VALUES (?, ?, ?, ?, ?)")
            let update = try db.cachedStatement(sql: "UPDATE cards SET card = ?, position = ?, suspended = 0 WHERE deck_id = ? AND id = ?")
            for (position, card) in deck.cards.enumerated() {
                var stored = card
                stored.line = 0   // moving a card in its file is not an edit
                let json = String(decoding: try encoder.encode(stored), as: UTF8.self)
                if let old = existing.removeValue(forKey: card.id) {
                    if old.suspended { summary.restored += 1 } else if old.json == json { summary.unchanged += 1 } else { summary.updated += 1 }
                    try update.execute(arguments: [json, position, deck.id, card.id])
                } else {
                    try insert.execute(arguments: [deck.id, card.id, json, position, now.timeIntervalSince1970])
                    summary.added += 1
                }
            }
            let suspend = try db.cachedStatement(sql: "UPDATE cards SET suspended = 1 WHERE deck_id = ? AND id = ?")
            for (id, old) in existing where !old.suspended {
                try suspend.execute(arguments: [deck.id, id])
                summary.suspended += 1
            }
            return summary
        }
    }

    /// The deck ids in the store with their titles.
    public func decks() throws -> [(id: String, title: String)] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT id, title FROM decks ORDER BY id").map { ($0["id"], $0["title"]) } }
    }

    // MARK: Queues

    /// Seen cards due by `now`, earliest first.
    public func dueCards(deck: String?, now: Date, limit: Int) throws -> [StoredCard] {
        try pool.read { db in
            try Self.cards(db, where: "suspended = 0 AND state > 0 AND due <= ?" + (deck == nil ? "" : " AND deck_id = ?"),
                           order: "due", arguments: [now.timeIntervalSince1970 as DatabaseValueConvertible] + (deck.map { [$0] } ?? []), limit: limit)
        }
    }

    /// Never-reviewed cards in deck order.
    public func newCards(deck: String?, limit: Int) throws -> [StoredCard] {
        try pool.read { db in
            try Self.cards(db, where: "suspended = 0 AND state = 0" + (deck == nil ? "" : " AND deck_id = ?"),
                           order: "deck_id, position", arguments: deck.map { [$0] } ?? [], limit: limit)
        }
    }

    /// One card, or nil.
    public func card(deck: String, id: String) throws -> StoredCard? {
        try pool.read { db in try Self.cards(db, where: "deck_id = ? AND id = ?", order: "id", arguments: [deck, id], limit: 1).first }
    }

    /// Every card of a deck (suspended ones too), in deck order.
    public func cards(deck: String) throws -> [StoredCard] {
        try pool.read { db in try Self.cards(db, where: "deck_id = ?", order: "suspended, position", arguments: [deck], limit: Int.max) }
    }

    static func cards(_ db: Database, where condition: String, order: String, arguments: [DatabaseValueConvertible?], limit: Int) throws -> [StoredCard] {
        let decoder = JSONDecoder()
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM cards WHERE \(condition) ORDER BY \(order) LIMIT ?",
                                    arguments: StatementArguments(arguments + [min(limit, Int(Int32.max)) as DatabaseValueConvertible]))
        return try rows.map { row in
            let card = try decoder.decode(Card.self, from: Data((row["card"] as String).utf8))
            return StoredCard(deckID: row["deck_id"], card: card, memory: memory(row), suspended: (row["suspended"] as Int) != 0)
        }
    }

    static func memory(_ row: Row) -> Memory {
        Memory(state: CardState(rawValue: row["state"]) ?? .new, step: row["step"], stability: row["stability"], difficulty: row["difficulty"],
               ease: row["ease"], interval: row["interval"], due: Date(timeIntervalSince1970: row["due"]),
               lastReview: (row["last_review"] as Double?).map(Date.init(timeIntervalSince1970:)), reps: row["reps"], lapses: row["lapses"])
    }

    static func oneLine(_ error: Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
    }
}
