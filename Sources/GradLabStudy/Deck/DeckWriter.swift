import Foundation

/// Writes a `Deck` as a deck file that `DeckParser` reads back to the same cards.
///
/// Every entry gets its `^anchor`, so ids survive later edits; a reversible pair is written once
/// with `:::`, a cloze text once in Anki's `{{cN::…}}` form.
public enum DeckWriter {
    public static func markdown(_ deck: Deck) -> String {
        var out = "---\ntitle: \(yamlText(deck.title))\nid: \(deck.id)\n"
        if let d = deck.description { out += "description: \(yamlText(d))\n" }
        if !deck.tags.isEmpty { out += "tags: [\(deck.tags.map(yamlText).joined(separator: ", "))]\n" }
        out += "---\n"
        var section: [String] = []
        var written = Set<String>()
        let reversible = Set(deck.cards.filter { $0.kind == .reversed }.map(\.noteID))
        for card in deck.cards where !written.contains(card.noteID) {
            written.insert(card.noteID)
            if card.section != section {
                let common = zip(card.section, section).prefix { $0 == $1 }.count
                for (depth, title) in card.section.enumerated().dropFirst(common) {
                    out += "\n" + String(repeating: "#", count: min(depth + 1, 6)) + " " + title + "\n"
                }
                section = card.section
            }
            out += "\n" + entry(card, reversible: reversible.contains(card.noteID)) + "\n"
        }
        return out
    }

    static func entry(_ card: Card, reversible: Bool) -> String {
        let anchor = " ^" + anchorName(card.noteID)
        var text: String
        switch card.kind {
        case .cloze:
            text = (card.clozeText ?? card.front) + anchor
        case .basic, .reversed:
            let (q, a) = card.kind == .reversed ? (compact(card.back), compact(card.front)) : (compact(card.front), compact(card.back))
            if q.contains("\n") || a.contains("\n") || q.contains("::") || a.contains("::") {
                text = q + anchor + "\n" + (reversible ? "??" : "?") + "\n" + a
            } else {
                text = q + (reversible ? " ::: " : " :: ") + a + anchor
            }
        }
        if let e = card.explain { text += "\nexplain: " + e.replacingOccurrences(of: "\n", with: " ") }
        if !card.distractors.isEmpty { text += "\ndistractors: " + card.distractors.joined(separator: " | ") }
        if let e = card.experiment { text += "\nexperiment: " + e }
        if let c = card.claim { text += "\nclaim: " + c }
        return text
    }

    /// A blank line would end the card: keep paragraphs on consecutive lines.
    static func compact(_ text: String) -> String {
        text.components(separatedBy: "\n").filter { !$0.trimmed.isEmpty }.joined(separator: "\n")
    }

    /// Ids from other tools may hold characters an anchor cannot.
    static func anchorName(_ id: String) -> String {
        String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
    }

    static func yamlText(_ s: String) -> String {
        let plain = s.allSatisfy { $0.isLetter || $0.isNumber || " -_.,()".contains($0) } && !s.hasPrefix("-") && !s.isEmpty
        return plain ? s : "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
