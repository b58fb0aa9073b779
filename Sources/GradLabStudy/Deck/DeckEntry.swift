import Foundation
import Yams

/// The lines that may follow a card and add to it.
enum ExtraKey: String, CaseIterable {
    case explain, distractors, experiment, claim
}

/// One `key: value` line under a card, with where its value starts (for errors inside it).
struct ExtraLine {
    var key: ExtraKey
    var value: String
    var line: Int
    var column: Int

    static func parse(_ text: String, line: Int, file: String) throws -> ExtraLine? {
        let indent = text.prefix { $0 == " " || $0 == "\t" }.count
        let body = text.dropFirst(indent)
        guard let colon = body.firstIndex(of: ":"), let key = ExtraKey(rawValue: String(body[..<colon])) else { return nil }
        let rest = body[body.index(after: colon)...]
        let value = rest.trimmed
        let column = indent + key.rawValue.count + 2 + rest.prefix { $0 == " " || $0 == "\t" }.count
        guard !value.isEmpty else {
            throw DeckError(file: file, line: line, column: column, problem: "'\(key.rawValue):' has no value",
                            fix: "write it on the same line, e.g. '\(key.rawValue): …', or remove the line")
        }
        return ExtraLine(key: key, value: value, line: line, column: column)
    }
}

/// A card entry as read, before it becomes cards: a basic card, a reversible pair or a cloze text.
struct CardEntry {
    /// `.reversed` marks a reversible pair here; it yields a `.basic` and a `.reversed` card.
    var kind: CardKind
    var line: Int
    var text: String
    var answer = ""
    /// `question :: answer` on one line (so the answer's line is the question's).
    var oneLine = false
    var extras: [ExtraKey: ExtraLine] = [:]

    init(kind: CardKind, line: Int, text: String) { self.kind = kind; self.line = line; self.text = text }

    mutating func add(_ extra: ExtraLine, file: String) throws {
        if let first = extras[extra.key] {
            throw DeckError(file: file, line: extra.line, column: 1, problem: "second '\(extra.key.rawValue):' line for one card (the first is at line \(first.line))",
                            fix: "keep one '\(extra.key.rawValue):' line per card")
        }
        extras[extra.key] = extra
    }
}

extension DeckReader {
    /// Turns an entry into its cards, checking what can only be checked whole.
    mutating func emit(_ entry: CardEntry, _ context: (section: [String], tags: [String])) throws {
        var entry = entry
        let anchor = try takeAnchor(&entry)
        let explain = entry.extras[.explain]?.value
        let experiment = entry.extras[.experiment]?.value
        let claim = entry.extras[.claim]?.value
        if let claimLine = entry.extras[.claim], experiment == nil {
            throw error(claimLine.line, 1, "'claim:' without an 'experiment:' line", "add 'experiment: …' above it naming the run the claim is about")
        }
        if let experimentLine = entry.extras[.experiment] {
            try CardExperimentCheck.check(experiment: experimentLine, claim: entry.extras[.claim], file: file)
        }
        var made: [Card] = []
        func card(_ id: String, _ kind: CardKind, _ front: String, _ back: String, distractors: [String] = [],
                  clozeText: String? = nil, ordinal: Int? = nil) -> Card {
            Card(id: id, kind: kind, front: front, back: back, clozeText: clozeText, clozeOrdinal: ordinal,
                 section: context.section, tags: context.tags, explain: explain, distractors: distractors,
                 experiment: experiment, claim: claim, line: entry.line)
        }
        switch entry.kind {
        case .basic, .reversed:
            let note = anchor ?? CardID.derived(from: entry.text)
            let distractors = try self.distractors(entry, answer: entry.answer)
            made.append(card(note, .basic, entry.text, entry.answer, distractors: distractors))
            if entry.kind == .reversed { made.append(card(Card.id(note: note, kind: .reversed), .reversed, entry.answer, entry.text)) }
        case .cloze:
            let cloze: ClozeText
            do { cloze = try ClozeText.parse(entry.text) } catch let e as DeckError { throw rebase(e, entry) }
            let note = anchor ?? CardID.derived(from: cloze.ankiText)
            for ordinal in cloze.ordinals {
                let back = cloze.back(ordinal: ordinal)
                made.append(card(Card.id(note: note, kind: .cloze, ordinal: ordinal), .cloze, cloze.front(ordinal: ordinal), back,
                                 distractors: try distractors(entry, answer: back), clozeText: cloze.ankiText, ordinal: ordinal))
            }
        }
        for c in made {
            if let other = firstLineOfID[c.id] {
                throw error(entry.line, 1, "this card has the same id '\(c.noteID)' as the card at line \(other)",
                            anchor == nil ? "reword one question, or give one an anchor such as ^my-card at the end of its line"
                                               : "choose another ^anchor")
            }
            firstLineOfID[c.id] = entry.line
        }
        cards += made
    }

    private func distractors(_ entry: CardEntry, answer: String) throws -> [String] {
        guard let line = entry.extras[.distractors] else { return [] }
        let options = line.value.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmed }
        var seen = Set<String>()
        for option in options {
            let key = CardID.normalised(option)
            guard !option.isEmpty else {
                throw error(line.line, line.column, "an empty option in 'distractors:'", "separate wrong options with single '|', e.g. 'a | b | c'")
            }
            guard key != CardID.normalised(answer) else {
                throw error(line.line, line.column, "distractor '\(option)' is the answer itself", "list only wrong options")
            }
            guard seen.insert(key).inserted else {
                throw error(line.line, line.column, "distractor '\(option)' is listed twice", "list each wrong option once")
            }
        }
        return options
    }

    /// Removes a trailing `^anchor` from the entry's lines and returns it.
    private func takeAnchor(_ entry: inout CardEntry) throws -> String? {
        var found: String?
        func strip(_ text: String, firstLine: Int) throws -> String {   // firstLine: the file line of text's first line
            var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (k, line) in parts.enumerated() {
                // The last " ^" (or a leading "^"): what follows it is the anchor's name.
                guard let caret = line.lastIndex(of: "^"), caret == line.startIndex || line[line.index(before: caret)] == " " else { continue }
                let name = line[line.index(after: caret)...].trimmed
                // Only a well-formed id at the end of a line is an anchor; "2 ^10" is text.
                guard !name.isEmpty, !name.allSatisfy(\.isNumber),
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { continue }
                let index = firstLine + k - 1
                let source = self.lines.indices.contains(index) ? self.lines[index] : line
                let column = source.range(of: "^" + name, options: .backwards).map { source.distance(from: source.startIndex, to: $0.lowerBound) + 1 } ?? 1
                guard found == nil else { throw error(firstLine + k, column, "a second anchor '^\(name)' on one card", "keep one ^anchor per card") }
                found = name
                parts[k] = line[..<caret].trimmed
            }
            return parts.joined(separator: "\n")
        }
        entry.text = try strip(entry.text, firstLine: entry.line)
        // A one-line card's answer is on its own line; a multi-line card's starts after the '?' line.
        let answerLine = entry.oneLine ? entry.line : entry.line + entry.text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        if !entry.answer.isEmpty { entry.answer = try strip(entry.answer, firstLine: answerLine) }
        return found
    }

    /// A cloze error's column is inside the entry's (possibly multi-line) text: point at the file.
    private func rebase(_ e: DeckError, _ entry: CardEntry) -> DeckError {
        var line = entry.line, column = e.column
        for piece in entry.text.split(separator: "\n", omittingEmptySubsequences: false) {
            if column <= piece.count + 1 { break }
            column -= piece.count + 1; line += 1
        }
        return error(line, column, e.problem, e.fix)
    }

    // MARK: Front matter

    struct FrontMatter { var id: String?; var title: String?; var description: String?; var tags: [String] = [] }

    mutating func frontMatter() throws -> FrontMatter {
        guard lines.first?.trimmed == "---" else { return FrontMatter() }
        guard let end = lines.dropFirst().firstIndex(where: { ["---", "..."].contains($0.trimmed) }) else {
            throw error(1, 1, "front matter is not closed", "end it with a line holding only '---'")
        }
        bodyStart = end + 1
        let yaml = lines[1..<end].joined(separator: "\n")
        let loaded: Any?
        do { loaded = try Yams.load(yaml: yaml) } catch let e as YamlError {
            let mark = Self.mark(of: e)
            throw error(mark.line + 1, mark.column, "front matter is not valid YAML", "write 'key: value' lines (title, description, tags, id)")
        }
        guard let map = loaded as? [String: Any] else {
            if loaded == nil { return FrontMatter() }
            throw error(2, 1, "front matter is not a set of 'key: value' lines", "write e.g. 'title: My deck'")
        }
        var matter = FrontMatter()
        func lineOf(_ key: String) -> Int { (lines[1..<end].firstIndex { $0.hasPrefix(key + ":") } ?? 1) + 1 }
        for (key, value) in map {
            switch key {
            case "title", "description", "id":
                guard let text = value as? String ?? (value as? CustomStringConvertible).map(\.description), !(value is [Any]) else {
                    throw error(lineOf(key), 1, "'\(key)' must be text", "write '\(key): some text'")
                }
                if key == "title" { matter.title = text } else if key == "description" { matter.description = text } else {
                    guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                        throw error(lineOf(key), 1, "deck id '\(text)' has characters an id cannot hold", "use letters, digits, '-' and '_'")
                    }
                    matter.id = text
                }
            case "tags":
                let list = (value as? [Any])?.map { "\($0)" } ?? ("\(value)").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
                matter.tags = list.map { $0.trimmed.lowercased().replacingOccurrences(of: "#", with: "") }.filter { !$0.isEmpty }
            default:
                throw error(lineOf(key), 1, "unknown front-matter key '\(key)'", "use title, description, tags or id")
            }
        }
        return matter
    }

    private static func mark(of e: YamlError) -> (line: Int, column: Int) {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return (mark.line, mark.column)
        default: return (1, 1)
        }
    }
}
