import Foundation
import GRDB

/// What a legacy Anki collection (schema 11: `collection.anki21` or `collection.anki2`) holds, read
/// without Anki: note types from the `col` row's JSON, then every note with its cards' ordinals
/// and deck names.
struct AnkiNoteTypeInfo {
    var name: String
    var isCloze: Bool
    var fields: [String]
    /// Question and answer formats, by card ordinal.
    var templates: [(question: String, answer: String)]

    /// The index of the first field a template format shows (`{{Front}}`, `{{text:Back}}`), skipping
    /// conditionals (`{{#Add Reverse}}`), `{{FrontSide}}` and fields in `excluding`.
    func firstField(in format: String, excluding: Set<Int> = []) -> Int? {
        var rest = format[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let tag = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            if tag.hasPrefix("#") || tag.hasPrefix("^") || tag.hasPrefix("/") { continue }
            let name = tag.split(separator: ":").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? tag
            if let i = fields.firstIndex(of: name), !excluding.contains(i) { return i }
        }
        return nil
    }

    /// The field holding an explanation, by its usual names.
    var explainField: Int? {
        fields.firstIndex { ["explain", "back extra", "extra", "explanation"].contains($0.lowercased()) }
    }

    func field(named name: String) -> Int? { fields.firstIndex { $0.lowercased() == name } }
}

struct ImportedNote {
    var guid: String
    var type: AnkiNoteTypeInfo
    var fields: [String]
    var tags: [String]
    /// (ordinal, deck name) per card, by ordinal.
    var cards: [(ordinal: Int, deck: String)]
}

/// A collection that opens but is not one GradLab can read: the problem and the fix.
struct CollectionProblem: Error {
    var problem: String
    var fix: String
}

extension AnkiPackage {
    static func readNotes(_ path: String) throws -> [ImportedNote] {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        defer { try? queue.close() }
        let reexport = "export the deck again from Anki with \"Support older Anki versions\" ticked"
        return try queue.read { db in
            for table in ["col", "notes", "cards"] {
                if try db.tableExists(table) { continue }
                throw CollectionProblem(problem: "the collection has no '\(table)' table, so it is not an Anki collection", fix: reexport)
            }
            guard let col = try Row.fetchOne(db, sql: "SELECT ver, models, decks FROM col") else {
                throw CollectionProblem(problem: "the collection's 'col' table is empty", fix: reexport)
            }
            let version: Int = col["ver"] ?? 0
            let models: String = col["models"] ?? "", decks: String = col["decks"] ?? ""
            guard version <= 11 || !models.isEmpty else {
                throw CollectionProblem(problem: "the collection has schema \(version), newer than the legacy schema 11 GradLab reads", fix: reexport)
            }
            let types = try noteTypes(models), deckNames = try self.deckNames(decks)
            var cards: [Int64: [(Int, String)]] = [:]
            let cardRows = try Row.fetchCursor(db, sql: "SELECT nid, ord, CASE WHEN odid != 0 THEN odid ELSE did END AS deck FROM cards ORDER BY nid, ord")
            while let row = try cardRows.next() {
                let deckID: Int64 = row["deck"]
                let noteID: Int64 = row["nid"], ordinal: Int = row["ord"]
                cards[noteID, default: []].append((ordinal, deckNames[deckID] ?? "Default"))
            }
            var notes: [ImportedNote] = []
            let noteRows = try Row.fetchCursor(db, sql: "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id")
            while let row = try noteRows.next() {
                let id: Int64 = row["id"], mid: Int64 = row["mid"]
                guard let type = types[mid] else {
                    throw CollectionProblem(problem: "note \(id) uses note type \(mid), which the collection does not define", fix: reexport)
                }
                let flds: String = row["flds"], tags: String = row["tags"]
                notes.append(ImportedNote(guid: row["guid"], type: type, fields: flds.components(separatedBy: "\u{1f}"),
                                          tags: tags.split(whereSeparator: \.isWhitespace).map { $0.lowercased() },
                                          cards: (cards[id] ?? []).map { (ordinal: $0.0, deck: $0.1) }))
            }
            return notes
        }
    }

    private static func json(_ text: String, _ what: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CollectionProblem(problem: "the collection's \(what) are not valid JSON", fix: "export the deck again from Anki")
        }
        return object
    }

    private static func noteTypes(_ text: String) throws -> [Int64: AnkiNoteTypeInfo] {
        var out: [Int64: AnkiNoteTypeInfo] = [:]
        for (key, value) in try json(text, "note types") {
            guard let model = value as? [String: Any], let id = Int64(key) else { continue }
            func ordered(_ list: Any?) -> [[String: Any]] {
                ((list as? [[String: Any]]) ?? []).sorted { ($0["ord"] as? Int ?? 0) < ($1["ord"] as? Int ?? 0) }
            }
            out[id] = AnkiNoteTypeInfo(
                name: model["name"] as? String ?? "note type \(id)", isCloze: (model["type"] as? Int) == 1,
                fields: ordered(model["flds"]).map { $0["name"] as? String ?? "" },
                templates: ordered(model["tmpls"]).map { (question: $0["qfmt"] as? String ?? "", answer: $0["afmt"] as? String ?? "") })
        }
        return out
    }

    private static func deckNames(_ text: String) throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for (key, value) in try json(text, "decks") {
            if let id = Int64(key), let name = (value as? [String: Any])?["name"] as? String {
                out[id] = name.replacingOccurrences(of: "\u{1f}", with: "::")   // schema 15+ separator, if ever present
            }
        }
        return out
    }
}
