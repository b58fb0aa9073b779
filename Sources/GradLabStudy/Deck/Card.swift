import Foundation

/// How a card was written in its deck file, and so how it is asked.
public enum CardKind: String, Codable, Sendable, CaseIterable {
    /// `question :: answer`, or a multi-line card with `?` between question and answer.
    case basic
    /// The answer-to-question side of a `question ::: answer` pair.
    case reversed
    /// One deletion of a cloze text (`==hidden==` or `{{c1::hidden::hint}}`).
    case cloze
}

/// One card: what is asked, what answers it, and what backs the answer.
///
/// A reversible pair gives two cards; a cloze text gives one card per deletion number. The `id` is
/// stable across edits of the answer and the extra lines: it is the explicit `^anchor` when the
/// card has one, otherwise derived from the question side (see `CardID`).
public struct Card: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var kind: CardKind
    /// The prompt as shown: for a cloze, the text with this card's deletion replaced by `[...]`
    /// (or `[hint]`) and every other deletion shown.
    public var front: String
    /// The answer: for a cloze, the hidden text of this card's deletion(s).
    public var back: String
    /// The whole cloze text as written (Anki's Text field), for cloze cards only.
    public var clozeText: String?
    /// The deletion number this card asks (1-based), for cloze cards only.
    public var clozeOrdinal: Int?
    /// The heading path above the card, outermost first.
    public var section: [String]
    /// Front-matter tags, heading tags and inline `#tags`, lower-cased, without `#`.
    public var tags: [String]
    /// Why the answer holds (the `explain:` line).
    public var explain: String?
    /// Wrong options for multiple choice (the `distractors:` line, `|`-separated).
    public var distractors: [String]
    /// The experiment that backs the answer (the `experiment:` line), as written.
    public var experiment: String?
    /// What the experiment must measure (the `claim:` line), as written.
    public var claim: String?
    /// 1-based line of the card's first line in its file.
    public var line: Int

    public init(id: String, kind: CardKind, front: String, back: String, clozeText: String? = nil, clozeOrdinal: Int? = nil,
                section: [String] = [], tags: [String] = [], explain: String? = nil, distractors: [String] = [],
                experiment: String? = nil, claim: String? = nil, line: Int = 0) {
        self.id = id; self.kind = kind; self.front = front; self.back = back
        self.clozeText = clozeText; self.clozeOrdinal = clozeOrdinal
        self.section = section; self.tags = tags; self.explain = explain; self.distractors = distractors
        self.experiment = experiment; self.claim = claim; self.line = line
    }
}

extension Card {
    /// The id of the entry in the deck file this card comes from: a reversible pair's two cards and
    /// a cloze text's cards share it (their ids add `.r` and `.cN`; anchors cannot contain a dot).
    public var noteID: String {
        switch kind {
        case .basic: return id
        case .reversed, .cloze: return id.firstIndex(of: ".").map { String(id[..<$0]) } ?? id
        }
    }

    /// The id of a card made from an entry: `note`, `note.r` (the reversed side), `note.cN` (a deletion).
    public static func id(note: String, kind: CardKind, ordinal: Int? = nil) -> String {
        switch kind {
        case .basic: return note
        case .reversed: return note + ".r"
        case .cloze: return note + ".c\(ordinal ?? 1)"
        }
    }
}

/// A parsed deck file: its front matter and its cards in file order.
public struct Deck: Codable, Sendable, Hashable {
    /// Stable deck id: the front matter's `id`, else derived from the file name.
    public var id: String
    public var title: String
    public var description: String?
    public var tags: [String]
    public var cards: [Card]
    /// Where it was read from (a path, or `builtin:NAME`).
    public var source: String

    public init(id: String, title: String, description: String? = nil, tags: [String] = [], cards: [Card], source: String) {
        self.id = id; self.title = title; self.description = description; self.tags = tags; self.cards = cards; self.source = source
    }
}

/// Stable card ids derived from content: 64-bit FNV-1a of the normalised text, in base 36.
public enum CardID {
    /// Lower-cased, whitespace collapsed: re-wrapping or re-capitalising a question keeps its id.
    public static func normalised(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    public static func derived(from text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in normalised(text).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 36)
    }
}

/// A deck file that cannot be read: where, what is wrong, how to fix it.
/// `description` is the one line the CLI prints: `file:line:col: problem — fix`.
public struct DeckError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int
    public var column: Int
    public var problem: String
    public var fix: String

    public init(file: String, line: Int, column: Int, problem: String, fix: String) {
        self.file = file; self.line = line; self.column = column; self.problem = problem; self.fix = fix
    }

    public var description: String { "\(file):\(line):\(column): \(problem) — \(fix)" }
}
