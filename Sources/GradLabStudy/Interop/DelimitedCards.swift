import Foundation
import GradLab

/// Two-column card files: Quizlet's export (term, a separator, definition; one row per line or a
/// custom row separator), RFC 4180 CSV, TSV, and Anki's "Notes in Plain Text" (`.txt` with header
/// lines such as `#separator:tab`, `#html:true`, `#tags column:3`, `#deck column:4`).
///
/// Import: the first two data columns are the front and the back; a front holding `{{cN::…}}` is a
/// cloze text (one card per number, the second column its explanation); a note type column naming
/// "… and reversed …" adds the reversed card; a deck column gives sections. Without Anki header lines
/// a row must have exactly two fields, so an unquoted separator inside a field is an error rather
/// than a silently cut answer. Export: one row per card (a reversible pair once, a cloze card as
/// its question and answer), quoted where needed.
public enum DelimitedCards {
    public enum Format: String, Sendable, CaseIterable {
        case csv, tsv
        var separator: Character { self == .csv ? "," : "\t" }
    }

    /// The largest file read: far above any deck, a bound on memory for a wrong or hostile file.
    static let maxBytes = 64 << 20

    /// Reads a card file. `fieldSeparator`/`rowSeparator` override what the header or the file
    /// name says (Quizlet's custom separators); a line break always ends a row unless `rowSeparator` is set.
    public static func importDeck(path: String, fieldSeparator: Character? = nil, rowSeparator: Character? = nil) throws -> Deck {
        func fail(_ problem: String, _ fix: String) -> GradLabError { .data("\(path): \(problem) — \(fix)") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("cannot read the file", "check the path and its permissions") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else { throw fail("larger than \(maxBytes >> 20) MiB", "split it into smaller files") }
        guard var text = String(data: data, encoding: .utf8) else {
            throw fail("not UTF-8 text", "save it as UTF-8 (in a spreadsheet: CSV UTF-8)")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var header = AnkiTextHeader()
        let body = header.consume(text)
        let ext = (path as NSString).pathExtension.lowercased()
        let firstLine = body.prefix { !$0.isNewline }
        let separator: Character = fieldSeparator ?? header.separator ?? (ext == "csv" ? "," : ext == "tsv" || firstLine.contains("\t") ? "\t" : ",")
        let reader = DelimitedRows(fieldSeparator: separator, rowSeparator: rowSeparator)
        let sepName = separator == "\t" ? "a tab" : "'\(separator)'"
        func deckError(_ line: Int, _ column: Int, _ problem: String, _ fix: String) -> DeckError {
            DeckError(file: path, line: line, column: column, problem: problem, fix: fix)
        }
        let rows: [DelimitedRows.Row]
        do { rows = try reader.rows(body, firstLine: header.lines + 1) } catch let p as DelimitedRows.Problem {
            throw deckError(p.line, p.column, p.problem, p.fix)
        }
        let meta = Set([header.tagsColumn, header.deckColumn, header.notetypeColumn, header.guidColumn].compactMap { $0 })
        let decks = DeckPaths(header.deckColumn.map { n in rows.map { n <= $0.fields.count ? $0.fields[n - 1].text : "Default" } } ?? [])
        var cards: [Card] = []
        var usedKeys: Set<String> = []
        for row in rows {
            let columns = row.fields.enumerated().filter { !meta.contains($0.offset + 1) }.map(\.element)
            guard columns.count >= 2 else {
                throw deckError(row.line, row.endColumn, "row has \(columns.count) field\(columns.count == 1 ? "" : "s"); a card needs two (front and back)",
                                "separate the front and the back with \(sepName)")
            }
            if columns.count > 2 && !header.isAnki {
                throw deckError(row.line, columns[2].column, "row has \(columns.count) fields; a card has two (front and back)",
                                "put a field that contains \(sepName) in double quotes, or choose another separator")
            }
            func value(_ f: DelimitedRows.Field) -> String {
                let text = f.text.replacingOccurrences(of: "\r\n", with: "\n")
                return (header.html ? AnkiHTML.plainText(text) : text).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            func column(_ n: Int?) -> String? { n.flatMap { $0 <= row.fields.count ? value(row.fields[$0 - 1]) : nil } }
            let front = value(columns[0]), back = value(columns[1])
            guard !front.isEmpty else { throw deckError(row.line, columns[0].column, "empty front", "write the question in the first column") }
            let tags = (column(header.tagsColumn) ?? "").split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
            let section = decks.section(column(header.deckColumn) ?? "Default")
            let pair = column(header.notetypeColumn)?.lowercased().contains("and reversed") == true
            var key = CardID.derived(from: front), n = 2
            while usedKeys.contains(key) { key = "\(CardID.derived(from: front))-\(n)"; n += 1 }
            usedKeys.insert(key)
            let ordinals = Set(AnkiCloze.deletions(front).map(\.ordinal)).sorted()
            if !ordinals.isEmpty {
                for o in ordinals {
                    let sides = AnkiCloze.sides(front, ordinal: o)
                    cards.append(Card(id: "\(key).c\(o)", kind: .cloze, front: sides.front, back: sides.back, clozeText: front, clozeOrdinal: o,
                                      section: section, tags: tags, explain: back.isEmpty ? nil : back, line: row.line))
                }
                continue
            }
            guard !back.isEmpty else { throw deckError(row.line, columns[1].column, "empty back", "write the answer in the second column") }
            cards.append(Card(id: key, kind: .basic, front: front, back: back, section: section, tags: tags, line: row.line))
            if pair { cards.append(Card(id: key + ".r", kind: .reversed, front: back, back: front, section: section, tags: tags, line: row.line)) }
        }
        guard !cards.isEmpty else { throw fail("no cards in the file", "write one card per row: front\(separator == "\t" ? "<tab>" : String(separator))back") }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return Deck(id: AnkiPackage.slug(stem), title: decks.top ?? stem, cards: cards, source: path)
    }

    /// Writes one row per card (front, back) as CSV (RFC 4180, CRLF row ends) or TSV, atomically.
    public static func export(_ deck: Deck, to path: String, format: Format) throws {
        try OutputPath.file(path).check()
        let pairs = Set(deck.cards.filter { $0.kind == .basic }.map(\.id))
        let rows = deck.cards.filter { !($0.kind == .reversed && pairs.contains($0.noteID)) }
        guard !rows.isEmpty else { throw GradLabError.invalid("\(deck.source): the deck has no cards — add cards before exporting it") }
        let writer = DelimitedRows(fieldSeparator: format.separator, rowSeparator: nil)
        let end = format == .csv ? "\r\n" : "\n"
        let text = rows.map { writer.format([$0.front, $0.back]) + end }.joined()
        try atomicWrite(Data(text.utf8), to: path)
    }
}

/// The header lines of Anki's "Notes in Plain Text" export (`#key:value`, at the top of the file).
struct AnkiTextHeader {
    var separator: Character?
    var html = false
    var tagsColumn: Int?, deckColumn: Int?, notetypeColumn: Int?, guidColumn: Int?
    /// Lines consumed.
    var lines = 0
    /// Whether the file came from Anki (it had header lines): then columns beyond the first two are other note fields.
    var isAnki: Bool { lines > 0 }

    /// Reads the header lines and returns the rest of the text.
    mutating func consume(_ text: String) -> Substring {
        var rest = text[...]
        while rest.hasPrefix("#"), let colon = rest.firstIndex(of: ":") {
            let lineEnd = rest.firstIndex(where: \.isNewline) ?? rest.endIndex
            guard colon < lineEnd else { break }
            let key = rest[rest.index(after: rest.startIndex)..<colon].lowercased()
            let value = rest[rest.index(after: colon)..<lineEnd].trimmingCharacters(in: .whitespaces)
            switch key {
            case "separator":
                let names: [String: Character] = ["tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"]
                separator = names[value.lowercased()] ?? (value.count == 1 ? value.first : nil)
            case "html": html = value.lowercased() == "true"
            case "tags column": tagsColumn = Int(value)
            case "deck column": deckColumn = Int(value)
            case "notetype column": notetypeColumn = Int(value)
            case "guid column": guidColumn = Int(value)
            case "columns", "notetype", "deck", "tags", "if matches": break
            default: return rest
            }
            lines += 1
            rest = lineEnd < rest.endIndex ? rest[rest.index(after: lineEnd)...] : rest[lineEnd...]
        }
        return rest
    }
}
