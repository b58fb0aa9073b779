import Foundation

/// `deck make`: ordinary Markdown notes into a draft deck, offline, by plain rules.
///
/// - A definition line, `Term: definition`, `**Term** — definition` (or `-`, `:`), or a Markdown
///   definition list (`Term` then `: definition`) gives `Term :: definition`.
/// - A heading followed by a short paragraph (at most `maxParagraph` characters) gives
///   `What is ⟨heading⟩? :: ⟨paragraph⟩`.
/// - Any other sentence with **bold** or ==highlighted== phrases gives a cloze hiding them.
/// Everything else is reported as skipped, with the reason. The draft is checked by `DeckParser`
/// before it is returned, so it always loads.
public enum NotesToDeck {
    public static let maxParagraph = 300
    public static let maxTermWords = 6

    public struct Draft: Sendable {
        public var markdown: String
        public var deck: Deck
        /// What was made, one line each: "line N: kind — text".
        public var made: [String]
        /// What was skipped and why, one line each.
        public var skipped: [String]
    }

    public static func make(notes: String, file: String, title: String? = nil) throws -> Draft {
        let lines = notes.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var out = "---\ntitle: \(DeckWriter.yamlText(title ?? stem))\ndescription: \(DeckWriter.yamlText("Made from \((file as NSString).lastPathComponent) by gradlab deck make"))\n---\n"
        var made: [String] = [], skipped: [String] = []
        var paragraphs: [(line: Int, text: [String])] = []
        var heading: (line: Int, title: String)?
        var fenced = false
        func emit(_ card: String, _ n: Int, _ kind: String) {
            out += "\n" + card + "\n"
            made.append("line \(n): \(kind) — " + card.components(separatedBy: "\n")[0])
        }
        func flushParagraph() {
            for p in paragraphs { paragraph(p.line, p.text) }
            paragraphs = []
        }
        func paragraph(_ n: Int, _ text: [String]) {
            var rest: [(Int, String)] = []
            var k = 0
            while k < text.count {
                let line = text[k]
                if k + 1 < text.count, text[k + 1].hasPrefix(": "), !line.contains(":") {
                    emit(clean(line) + " :: " + clean(String(text[k + 1].dropFirst(2))), n + k, "definition list")
                    k += 2; continue
                }
                if let (term, definition) = definition(line) { emit(term + " :: " + definition, n + k, "definition"); k += 1; continue }
                rest.append((n + k, line)); k += 1
            }
            guard !rest.isEmpty else { return }
            let body = rest.map { clean($0.1, keepMarks: true) }.joined(separator: " ")
            if let h = heading, rest.first!.0 == h.line + 1 || rest.first!.0 == h.line + 2 {
                heading = nil
                let plain = clean(body)
                if plain.count <= maxParagraph {
                    emit("What is \(h.title)?\n?\n" + plain, h.line, "heading and paragraph")
                    return
                }
                skipped.append("line \(h.line): heading '\(h.title)': its paragraph has \(plain.count) characters, more than \(maxParagraph) for one answer — shorten it or bold its key phrases")
            }
            var clozed = false
            for sentence in sentences(body) where sentence.contains("**") || sentence.contains("==") {
                let cloze = sentence.replacingOccurrences(of: "**", with: "==")
                if cloze.components(separatedBy: "==").count % 2 == 1 {
                    emit(cloze, rest.first!.0, "cloze"); clozed = true
                }
            }
            if !clozed { skipped.append("line \(rest.first!.0): no definition, heading paragraph or bold/highlighted phrase — add one to make a card") }
        }
        var block: [String] = [], blockStart = 0
        for (i, raw) in lines.enumerated() {
            let n = i + 1, line = raw.trimmed
            if line.hasPrefix("```") || line.hasPrefix("~~~") { fenced.toggle(); continue }
            if fenced { continue }
            if let h = DeckReader.heading(line) {
                if !block.isEmpty { paragraphs.append((blockStart, block)); block = [] }
                flushParagraph()
                if let open = heading { skipped.append("line \(open.line): heading '\(open.title)' has no paragraph under it — write one to make a card") }
                heading = (n, h.title)
                out += "\n" + String(repeating: "#", count: h.level) + " " + h.title + "\n"
                continue
            }
            if line.isEmpty {
                if !block.isEmpty { paragraphs.append((blockStart, block)); block = [] }
                flushParagraph()
                continue
            }
            if block.isEmpty { blockStart = n }
            block.append(line)
        }
        if !block.isEmpty { paragraphs.append((blockStart, block)) }
        flushParagraph()
        if let open = heading { skipped.append("line \(open.line): heading '\(open.title)' has no paragraph under it — write one to make a card") }
        let deck = made.isEmpty ? Deck(id: DeckReader.slug(stem), title: title ?? stem, cards: [], source: file) : try DeckParser.parse(out, file: file)
        return Draft(markdown: out, deck: deck, made: made, skipped: skipped)
    }

    /// `Term: definition` or `**Term** — definition`; the term short, not a sentence or a link.
    static func definition(_ raw: String) -> (String, String)? {
        var line = raw
        for marker in ["- ", "* ", "+ "] where line.hasPrefix(marker) { line = String(line.dropFirst(2)) }
        if line.hasPrefix("**"), let close = line.dropFirst(2).range(of: "**") {
            let term = String(line[line.index(line.startIndex, offsetBy: 2)..<close.lowerBound])
            var rest = line[close.upperBound...].trimmed
            for sep in ["—", "–", "-", ":"] where rest.hasPrefix(sep) {
                rest = String(rest.dropFirst(sep.count)).trimmed
                return rest.isEmpty ? nil : (clean(term), clean(rest))
            }
            return nil
        }
        guard let colon = line.range(of: ": ") else { return nil }
        let term = String(line[..<colon.lowerBound]), definition = String(line[colon.upperBound...]).trimmed
        let words = term.split(separator: " ")
        guard !definition.isEmpty, !words.isEmpty, words.count <= maxTermWords, !term.contains("."), !term.contains("http"),
              !term.contains("::"), !definition.contains("::"), ExtraKey(rawValue: term.lowercased()) == nil else { return nil }
        return (clean(term), clean(definition))
    }

    /// Markdown emphasis and links reduced to text; `keepMarks` keeps ** and == for clozes.
    static func clean(_ text: String, keepMarks: Bool = false) -> String {
        var t = text
        if !keepMarks { t = t.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "==", with: "") }
        t = t.replacingOccurrences(of: #"\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        t = t.replacingOccurrences(of: "::", with: ":")
        return t.trimmed
    }

    static func sentences(_ text: String) -> [String] {
        var out: [String] = [], current = ""
        let chars = Array(text)
        for (i, c) in chars.enumerated() {
            current.append(c)
            // A stop ends a sentence only before a space or the end: "0.25" and "e.g." stay whole.
            if ".!?".contains(c), i + 1 == chars.count || chars[i + 1] == " ", !current.hasSuffix("e.g."), !current.hasSuffix("i.e.") {
                out.append(current.trimmed); current = ""
            }
        }
        let tail = current.trimmed
        return tail.isEmpty ? out : out + [tail]
    }
}
