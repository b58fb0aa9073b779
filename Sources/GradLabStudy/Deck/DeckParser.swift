import Foundation
import GradLab

/// Reads a deck file: Markdown in the Obsidian Spaced Repetition conventions.
///
/// - `question :: answer` on one line; `question ::: answer` is a reversible pair (two cards).
/// - A multi-line card: question lines, a line holding only `?` (or `??` for a reversible pair),
///   answer lines. Cards are separated by a blank line.
/// - A paragraph holding `==hidden==` or `{{c1::hidden::hint}}` is a cloze text, one card per number.
/// - Headings give each card its section path, and tags: the heading's own `#tags` and its slug.
/// - Directly under a card: `explain:`, `distractors:` (options separated by `|`), `experiment:`, `claim:`.
/// - `^id` at the end of a card's line pins its id across rewordings (letters, digits, `-`, `_`).
/// - Optional YAML front matter between `---` lines: `title`, `description`, `tags`, `id`.
///
/// Other text is notes and is ignored, as are fenced code blocks and HTML comments. Any problem
/// throws a `DeckError` pointing at its line and column; a deck either parses whole or not at all.
public enum DeckParser {
    public static func load(path: String) throws -> Deck {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GradLabError.io("cannot read deck '\(path)': no such file — check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DeckError(file: path, line: 1, column: 1, problem: "the file is not UTF-8 text", fix: "save it as UTF-8 Markdown")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> Deck {
        // Swift treats "\r\n" as one Character, so splitting on either line ending is one pass.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = String(first.dropFirst()) }
        var reader = DeckReader(file: file, lines: lines)
        let matter = try reader.frontMatter()
        try reader.body(deckTags: matter.tags)
        guard !reader.cards.isEmpty else {
            throw DeckError(file: file, line: 1, column: 1, problem: "the deck has no cards",
                            fix: "write cards as 'question :: answer', a '?' line between question and answer, or ==clozes==")
        }
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return Deck(id: matter.id ?? DeckReader.slug(stem), title: matter.title ?? stem, description: matter.description,
                    tags: matter.tags, cards: reader.cards, source: file)
    }
}

/// The parser's state over one file's lines (1-based line numbers in errors).
struct DeckReader {
    let file: String
    let lines: [String]
    var cards: [Card] = []
    var firstLineOfID: [String: Int] = [:]
    var bodyStart = 0

    init(file: String, lines: [String]) { self.file = file; self.lines = lines }

    func error(_ line: Int, _ column: Int, _ problem: String, _ fix: String) -> DeckError {
        DeckError(file: file, line: line, column: column, problem: problem, fix: fix)
    }

    static func slug(_ text: String) -> String {
        let kept = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(kept).split(separator: "-").joined(separator: "-")
    }

    // MARK: Body

    mutating func body(deckTags: [String]) throws {
        var headings: [(level: Int, title: String, tags: [String])] = []
        var block: [(number: Int, text: String)] = []
        var fence: String?
        var inComment = false
        func context() -> (section: [String], tags: [String]) {
            var tags = deckTags
            for h in headings { tags += [DeckReader.slug(h.title)] + h.tags }
            return (headings.map(\.title), Array(NSOrderedSet(array: tags.filter { !$0.isEmpty })) as! [String])
        }
        for index in bodyStart..<lines.count {
            let raw = lines[index], number = index + 1
            let trimmed = raw.trimmed
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                continue
            }
            if inComment {
                if trimmed.contains("-->") { inComment = false }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                try flush(&block, context()); fence = String(trimmed.prefix(3)); continue
            }
            if trimmed.hasPrefix("<!--") {
                try flush(&block, context()); inComment = !trimmed.contains("-->"); continue
            }
            if let heading = Self.heading(trimmed) {
                try flush(&block, context())
                headings.removeAll { $0.level >= heading.level }
                headings.append(heading)
                continue
            }
            if trimmed.isEmpty { try flush(&block, context()); continue }
            block.append((number, raw))
        }
        try flush(&block, context())
    }

    static func heading(_ line: String) -> (level: Int, title: String, tags: [String])? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        var words: [Substring] = [], tags: [String] = []
        for word in line.dropFirst(hashes).split(separator: " ") {
            if word.hasPrefix("#"), word.count > 1 { tags.append(word.dropFirst().lowercased()) } else { words.append(word) }
        }
        return (hashes, words.joined(separator: " "), tags)
    }

    mutating func flush(_ block: inout [(number: Int, text: String)], _ context: (section: [String], tags: [String])) throws {
        defer { block = [] }
        guard !block.isEmpty else { return }
        if let mark = block.firstIndex(where: { ["?", "??"].contains($0.text.trimmed) }) {
            try multiLine(block, mark: mark, context)
            return
        }
        // A paragraph with clozes and no one-line card is one cloze text, whatever line holds them.
        let cardLines = block.filter { (try? ExtraLine.parse($0.text, line: $0.number, file: file)) == nil }
        if !cardLines.isEmpty, !cardLines.contains(where: { Self.separator(in: $0.text) != nil }),
           cardLines.contains(where: { ClozeText.hasMarkers($0.text) }) {
            var entry = CardEntry(kind: .cloze, line: cardLines[0].number, text: cardLines.map(\.text).joined(separator: "\n"))
            for (number, text) in block.dropFirst(cardLines.count) {
                guard let extra = try ExtraLine.parse(text, line: number, file: file) else {
                    throw error(number, 1, "cloze text after the card's extra lines", "move it above the first 'explain:'/'distractors:'/'experiment:'/'claim:' line")
                }
                try entry.add(extra, file: file)
            }
            try emit(entry, context)
            return
        }
        var entry: CardEntry?
        for (number, text) in block {
            if let extra = try ExtraLine.parse(text, line: number, file: file) {
                guard entry != nil else {
                    throw error(number, 1, "'\(extra.key.rawValue):' has no card above it", "put it directly under the card's line, with no blank line between")
                }
                try entry!.add(extra, file: file)
                continue
            }
            if let separator = Self.separator(in: text) {
                if let done = entry { try emit(done, context) }
                entry = try singleLine(text, number, separator)
            } else if let open = entry, open.kind == .cloze, open.extras.isEmpty {
                entry!.text += "\n" + text
            } else if ClozeText.hasMarkers(text) {
                if let done = entry { try emit(done, context) }
                entry = CardEntry(kind: .cloze, line: number, text: text)
            } else if let done = entry, !done.extras.isEmpty || done.kind != .cloze {
                try emit(done, context); entry = nil   // notes text after a card ends it
            }
        }
        if let done = entry { try emit(done, context) }
    }

    /// The `::`/`:::` separator of a one-line card, outside cloze braces and inline code.
    static func separator(in text: String) -> (range: Range<String.Index>, reversible: Bool)? {
        var depth = 0, code = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "`" { code.toggle() }
            if text[i...].hasPrefix("{{") { depth += 1 }
            if text[i...].hasPrefix("}}"), depth > 0 { depth -= 1 }
            if !code, depth == 0, text[i...].hasPrefix("::") {
                let reversible = text[i...].hasPrefix(":::")
                return (i..<text.index(i, offsetBy: reversible ? 3 : 2), reversible)
            }
            i = text.index(after: i)
        }
        return nil
    }

    func singleLine(_ text: String, _ number: Int, _ separator: (range: Range<String.Index>, reversible: Bool)) throws -> CardEntry {
        let column = text.distance(from: text.startIndex, to: separator.range.lowerBound) + 1
        var question = String(text[..<separator.range.lowerBound]).trimmed
        for marker in ["- ", "* ", "+ "] where question.hasPrefix(marker) { question = String(question.dropFirst(2)) }
        let answer = String(text[separator.range.upperBound...]).trimmed
        let sep = separator.reversible ? ":::" : "::"
        guard !question.isEmpty else { throw error(number, column, "no question before '\(sep)'", "write the question on the left of '\(sep)'") }
        guard !answer.isEmpty, answer != "^" else {
            throw error(number, column + sep.count, "no answer after '\(sep)'", "write the answer on the right of '\(sep)'")
        }
        var entry = CardEntry(kind: separator.reversible ? .reversed : .basic, line: number, text: question)
        entry.answer = answer
        entry.oneLine = true
        return entry
    }

    mutating func multiLine(_ block: [(number: Int, text: String)], mark: Int, _ context: (section: [String], tags: [String])) throws {
        let markLine = block[mark]
        guard mark > 0 else { throw error(markLine.number, 1, "no question above '?'", "write the question on the lines above the '?' line") }
        var answer: [String] = [], extras: [ExtraLine] = []
        for (number, text) in block[(mark + 1)...] {
            if let extra = try ExtraLine.parse(text, line: number, file: file) { extras.append(extra); continue }
            guard extras.isEmpty else {
                throw error(number, 1, "answer text after the card's extra lines", "move it above the first 'explain:'/'distractors:'/'experiment:'/'claim:' line")
            }
            answer.append(text)
        }
        guard !answer.isEmpty else { throw error(markLine.number, 1, "no answer below '?'", "write the answer on the lines below the '?' line") }
        let reversible = markLine.text.trimmed == "??"
        var entry = CardEntry(kind: reversible ? .reversed : .basic, line: block[0].number,
                              text: block[..<mark].map(\.text).joined(separator: "\n"))
        entry.answer = answer.joined(separator: "\n")
        for extra in extras { try entry.add(extra, file: file) }
        try emit(entry, context)
    }
}
