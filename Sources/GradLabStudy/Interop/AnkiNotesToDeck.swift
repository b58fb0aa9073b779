import Foundation
import GradLab

/// Anki's cloze syntax `{{cN::hidden}}` / `{{cN::hidden::hint}}`, read from an imported field.
enum AnkiCloze {
    struct Deletion { var range: Range<String.Index>; var ordinal: Int; var hidden: String; var hint: String? }

    static func deletions(_ text: String) -> [Deletion] {
        var out: [Deletion] = []
        var from = text.startIndex
        while let open = text.range(of: "{{c", range: from..<text.endIndex),
              let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) {
            let parts = text[open.upperBound..<close.lowerBound].components(separatedBy: "::")
            if parts.count >= 2, let n = Int(parts[0]), n >= 1 {
                out.append(Deletion(range: open.lowerBound..<close.upperBound, ordinal: n, hidden: parts[1],
                                    hint: parts.count > 2 && !parts[2].isEmpty ? parts[2...].joined(separator: "::") : nil))
            }
            from = close.upperBound
        }
        return out
    }

    /// The question for one ordinal (its deletions as `[...]` or `[hint]`, the others shown) and
    /// the answer (its hidden texts, in order).
    static func sides(_ text: String, ordinal: Int) -> (front: String, back: String) {
        var front = "", answers: [String] = []
        var at = text.startIndex
        for d in deletions(text) {
            front += text[at..<d.range.lowerBound]
            if d.ordinal == ordinal { front += "[\(d.hint ?? "...")]"; answers.append(d.hidden) } else { front += d.hidden }
            at = d.range.upperBound
        }
        front += text[at...]
        return (front, answers.joined(separator: " … "))
    }
}

/// Anki deck names (`Top::Sub::Subsub`) as a deck title and card sections: when every card sits
/// in one top deck (not "Default"), that deck is the title and the path below it the section.
struct DeckPaths {
    /// The top deck every card shares, if any.
    let top: String?

    init(_ names: [String]) {
        let first = names.first?.components(separatedBy: "::").first
        top = first != nil && first != "Default" && names.allSatisfy { $0.components(separatedBy: "::").first == first } ? first : nil
    }

    func section(_ deck: String) -> [String] {
        let parts = deck.components(separatedBy: "::").filter { !$0.isEmpty }
        return top != nil ? Array(parts.dropFirst()) : (deck == "Default" ? [] : parts)
    }
}

extension AnkiPackage {
    /// Imported notes → a deck: one card per Anki card, sections from the deck names below the
    /// top deck they share, ids from GradLab GUIDs where present, else derived from the question.
    static func deck(from notes: [ImportedNote], name: String, path: String,
                     fail: (String, String) -> GradLabError) throws -> Deck {
        let stem = (name as NSString).deletingPathExtension
        let decks = DeckPaths(notes.flatMap { $0.cards.map(\.deck) })
        func section(_ deck: String) -> [String] { decks.section(deck) }
        var cards: [Card] = []
        var usedKeys: Set<String> = []
        var gradlabDeckIDs: Set<String> = []
        for note in notes {
            let type = note.type
            func text(_ i: Int?) -> String? {
                guard let i, i < note.fields.count else { return nil }
                let t = AnkiHTML.plainText(note.fields[i])
                return t.isEmpty ? nil : t
            }
            let explain = text(type.explainField), experiment = text(type.field(named: "experiment")), claim = text(type.field(named: "claim"))
            let distractors = (text(type.field(named: "distractors")) ?? "").components(separatedBy: "|")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            func key(derivedFrom question: String) -> String {
                var base = CardID.derived(from: question)
                let parts = note.guid.components(separatedBy: "/")
                if parts.count >= 3, parts[0] == "gradlab", let last = parts.last, !last.isEmpty {
                    base = last; gradlabDeckIDs.insert(parts[1..<(parts.count - 1)].joined(separator: "/"))
                }
                var k = base, n = 2
                while usedKeys.contains(k) { k = "\(base)-\(n)"; n += 1 }
                usedKeys.insert(k)
                return k
            }
            func card(_ id: String, _ kind: CardKind, _ front: String, _ back: String, deck: String, cloze: (String, Int)? = nil) -> Card {
                Card(id: id, kind: kind, front: front, back: back, clozeText: cloze?.0, clozeOrdinal: cloze?.1, section: section(deck),
                     tags: note.tags, explain: explain, distractors: distractors, experiment: experiment, claim: claim)
            }
            let firstDeck = note.cards.first?.deck ?? "Default"
            if type.isCloze {
                if type.fields.contains(where: { $0.lowercased() == "occlusion" }) || type.templates.contains(where: { $0.question.contains("image-occlusion") }) {
                    throw fail("note type '\(type.name)' (image occlusion) has no text GradLab can ask", "leave its notes out of the export")
                }
                let textField = type.templates.first.flatMap { type.firstField(in: $0.question) } ?? 0
                guard let body = text(textField) else { continue }
                let ordinals = Set(AnkiCloze.deletions(body).map(\.ordinal)).sorted()
                guard !ordinals.isEmpty else { continue }
                let k = key(derivedFrom: body)
                for n in ordinals {
                    let sides = AnkiCloze.sides(body, ordinal: n)
                    let deck = note.cards.first { $0.ordinal == n - 1 }?.deck ?? firstDeck
                    cards.append(card("\(k).c\(n)", .cloze, sides.front, sides.back, deck: deck, cloze: (body, n)))
                }
                continue
            }
            guard type.fields.count >= 2 else {
                throw fail("note type '\(type.name)' has \(type.fields.count) field; GradLab reads note types with a front and a back field, and Cloze",
                           "change the notes to a Basic note type in Anki (Browse › Notes › Change Note Type) and export again")
            }
            var k: String?
            var madeBasic = false, madeReversed = false
            for c in note.cards {
                guard c.ordinal < type.templates.count else {
                    throw fail("a card of note type '\(type.name)' has template \(c.ordinal + 1), which the note type does not define", "export the deck again from Anki")
                }
                let template = type.templates[c.ordinal]
                let q = type.firstField(in: template.question) ?? 0
                let a = type.firstField(in: template.answer, excluding: [q]) ?? (q == 0 ? 1 : 0)
                guard let front = text(q), let back = text(a) else { continue }
                let noteKey = k ?? key(derivedFrom: text(0) ?? front)
                k = noteKey
                let kind: CardKind = q == 0 ? .basic : .reversed
                let id: String
                switch kind {
                case .basic: id = madeBasic ? "\(noteKey).t\(c.ordinal + 1)" : noteKey; madeBasic = true
                default: id = madeReversed ? "\(noteKey).t\(c.ordinal + 1)" : "\(noteKey).r"; madeReversed = true
                }
                cards.append(card(id, kind, front, back, deck: c.deck))
            }
        }
        guard !cards.isEmpty else { throw fail("the package's notes give no cards (all their questions are empty)", "export a deck that has cards") }
        let id = gradlabDeckIDs.count == 1 ? gradlabDeckIDs.first! : slug(stem)
        return Deck(id: id, title: decks.top ?? stem, cards: cards, source: path)
    }

    /// A file name as a deck id: lower-case letters, digits and `-`.
    static func slug(_ name: String) -> String {
        let s = name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        return s.split(separator: "-").joined(separator: "-").isEmpty ? "deck" : s.split(separator: "-").joined(separator: "-")
    }
}
