import Foundation
import GRDB

/// The legacy Anki collection (`collection.anki2`, schema 11) that an `.apkg` carries: five tables,
/// with note types, decks and options as JSON in the single `col` row. This is the format every
/// Anki since 2.1 imports ("Support older Anki versions" exports write it too).
enum AnkiCollection {
    static let schema = """
        CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
          ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL, conf text NOT NULL,
          models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL);
        CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
          usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL,
          flags integer NOT NULL, data text NOT NULL);
        CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
          mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL, due integer NOT NULL,
          ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL,
          odue integer NOT NULL, odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
        CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
          ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL, type integer NOT NULL);
        CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
        CREATE INDEX ix_notes_usn ON notes (usn);
        CREATE INDEX ix_cards_usn ON cards (usn);
        CREATE INDEX ix_revlog_usn ON revlog (usn);
        CREATE INDEX ix_cards_nid ON cards (nid);
        CREATE INDEX ix_cards_sched ON cards (did, queue, due);
        CREATE INDEX ix_revlog_cid ON revlog (cid);
        CREATE INDEX ix_notes_csum ON notes (csum);
        """

    /// One note as stored: fields already HTML, and the card ordinals (0-based) it has.
    struct Note {
        var guid: String
        var type: AnkiNoteType
        var fields: [String]
        var tags: [String]
        var deck: String
        var ordinals: [Int]
    }

    /// Writes a new collection file at `path` holding `notes` (all new, unscheduled).
    static func write(_ notes: [Note], deckDescription: String?, now: Date, to path: String) throws {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000), nowS = nowMs / 1000
        var deckIDs: [String: Int64] = [:]
        var deckNames: [String] = []
        for note in notes {
            // Anki needs every parent of a subdeck to exist.
            let parts = note.deck.components(separatedBy: "::")
            for n in 1...parts.count {
                let name = parts[..<n].joined(separator: "::")
                if deckIDs[name] == nil { deckIDs[name] = nowMs + 1 + Int64(deckIDs.count); deckNames.append(name) }
            }
        }
        var decks: [String: Any] = ["1": deckJSON(id: 1, name: "Default", description: "", mod: 0)]
        for name in deckNames {
            let id = deckIDs[name]!
            let top = !name.contains("::")
            decks[String(id)] = deckJSON(id: id, name: name, description: top ? deckDescription ?? "" : "", mod: nowS)
        }
        let models = Dictionary(uniqueKeysWithValues: AnkiNoteType.allCases.map { (String($0.id), $0.json) })
        let conf: [String: Any] = ["nextPos": notes.count + 1, "estTimes": true, "activeDecks": [1], "sortType": "noteFld",
                                   "timeLim": 0, "sortBackwards": false, "addToCur": true, "curDeck": 1, "newSpread": 0,
                                   "dueCounts": true, "curModel": AnkiNoteType.basic.id, "collapseTime": 1200, "schedVer": 2]
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(sql: schema)
            try db.execute(sql: "INSERT INTO col VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')",
                           arguments: [nowS - nowS % 86400, nowMs, nowMs, json(conf), json(models), json(decks), json(["1": deckOptions])])
            var cardID = nowMs
            for (i, note) in notes.enumerated() {
                let noteID = nowMs + Int64(i)
                let sort = AnkiHTML.sortField(note.fields[0])
                let csum = Int64(SHA1.digest(Array(sort.utf8)).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
                let tags = note.tags.isEmpty ? "" : " " + note.tags.joined(separator: " ") + " "
                try db.execute(sql: "INSERT INTO notes VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, 0, '')",
                               arguments: [noteID, note.guid, note.type.id, nowS, tags, note.fields.joined(separator: "\u{1f}"), sort, csum])
                for ord in note.ordinals {
                    try db.execute(sql: "INSERT INTO cards VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')",
                                   arguments: [cardID, noteID, deckIDs[note.deck]!, ord, nowS, i + 1])
                    cardID += 1
                }
            }
        }
        try db.close()
    }

    private static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    private static func deckJSON(id: Int64, name: String, description: String, mod: Int64) -> [String: Any] {
        ["id": id, "name": name, "desc": description, "mod": mod, "usn": 0, "dyn": 0, "conf": 1, "collapsed": false,
         "browserCollapsed": false, "extendNew": 0, "extendRev": 0,
         "lrnToday": [0, 0], "revToday": [0, 0], "newToday": [0, 0], "timeToday": [0, 0]]
    }

    /// Anki's default deck options (preset 1).
    private static let deckOptions: [String: Any] = [
        "id": 1, "name": "Default", "mod": 0, "usn": 0, "maxTaken": 60, "autoplay": true, "timer": 0, "replayq": true, "dyn": false,
        "new": ["bury": false, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0], "order": 1, "perDay": 20] as [String: Any],
        "rev": ["bury": false, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200, "hardFactor": 1.2] as [String: Any],
        "lapse": ["delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0] as [String: Any],
    ]
}
