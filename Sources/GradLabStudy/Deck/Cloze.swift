import Foundation

/// Cloze deletions in a card's text: Anki's `{{c1::hidden::hint}}` and Obsidian's `==hidden==`.
///
/// Every distinct number is one card; deletions sharing a number are hidden together. Each `==x==`
/// is its own card, numbered in reading order. The canonical form (what Anki stores and exports)
/// is Anki's; `==x==` is rewritten into it.
public struct ClozeText: Sendable, Hashable {
    public struct Deletion: Sendable, Hashable {
        public var ordinal: Int
        public var hidden: String
        public var hint: String?
    }

    enum Piece: Sendable, Hashable {
        case text(String)
        case deletion(Deletion)
    }

    let pieces: [Piece]

    /// The ordinals in ascending order, each once.
    public var ordinals: [Int] { Array(Set(deletions.map(\.ordinal))).sorted() }
    public var deletions: [Deletion] { pieces.compactMap { if case .deletion(let d) = $0 { d } else { nil } } }

    /// Anki's form: `{{cN::hidden}}` or `{{cN::hidden::hint}}`.
    public var ankiText: String {
        pieces.map {
            switch $0 {
            case .text(let t): return t
            case .deletion(let d): return "{{c\(d.ordinal)::\(d.hidden)\(d.hint.map { "::" + $0 } ?? "")}}"
            }
        }.joined()
    }

    /// The question for one ordinal: its deletions as `[...]` (or `[hint]`), the others shown.
    public func front(ordinal: Int) -> String {
        pieces.map {
            switch $0 {
            case .text(let t): return t
            case .deletion(let d) where d.ordinal == ordinal: return "[\(d.hint ?? "...")]"
            case .deletion(let d): return d.hidden
            }
        }.joined()
    }

    /// The answer for one ordinal: its hidden texts, in order.
    public func back(ordinal: Int) -> String {
        deletions.filter { $0.ordinal == ordinal }.map(\.hidden).joined(separator: " … ")
    }

    /// Whether a text holds any cloze marker (so a block is a cloze card).
    public static func hasMarkers(_ text: String) -> Bool { text.contains("{{c") || text.contains("==") }

    /// Parses a text. A problem is reported as a `DeckError` with file "" and line 0 and the 1-based
    /// column within `text` (counted in characters); the deck parser re-bases it.
    public static func parse(_ text: String) throws -> ClozeText {
        let chars = Array(text)
        var pieces: [Piece] = []
        var plain = ""
        var highlights = 0, explicit = 0
        var i = 0
        func fail(_ at: Int, _ problem: String, _ fix: String) -> DeckError {
            DeckError(file: "", line: 0, column: at + 1, problem: problem, fix: fix)
        }
        func flush() { if !plain.isEmpty { pieces.append(.text(plain)); plain = "" } }
        while i < chars.count {
            if chars[i] == "{", i + 2 < chars.count, chars[i + 1] == "{", chars[i + 2] == "c" {
                guard let close = find("}}", in: chars, from: i + 3) else {
                    throw fail(i, "unclosed cloze '{{c…'", "close it with '}}', e.g. {{c1::hidden}}")
                }
                let inner = String(chars[(i + 3)..<close])
                let parts = inner.components(separatedBy: "::")
                guard parts.count >= 2, let n = Int(parts[0]), n >= 1 else {
                    throw fail(i, "bad cloze '{{c\(inner)}}'", "write {{cN::hidden}} or {{cN::hidden::hint}} with N = 1, 2, …")
                }
                guard parts.count <= 3 else { throw fail(i, "cloze has more than one hint", "write {{c\(n)::hidden::hint}}") }
                let hidden = parts[1].trimmed
                guard !hidden.isEmpty else { throw fail(i, "empty cloze deletion", "put the hidden text after 'c\(n)::'") }
                let hint = parts.count == 3 ? parts[2].trimmed : nil
                flush()
                pieces.append(.deletion(Deletion(ordinal: n, hidden: hidden, hint: hint?.isEmpty == true ? nil : hint)))
                explicit += 1
                i = close + 2
            } else if chars[i] == "=", i + 1 < chars.count, chars[i + 1] == "=" {
                guard let close = find("==", in: chars, from: i + 2) else {
                    throw fail(i, "unclosed highlight '=='", "close the hidden text with '==', e.g. ==hidden==")
                }
                let hidden = String(chars[(i + 2)..<close]).trimmed
                guard !hidden.isEmpty else { throw fail(i, "empty highlight '===='", "put the hidden text between the '=='") }
                highlights += 1
                flush()
                pieces.append(.deletion(Deletion(ordinal: highlights, hidden: hidden, hint: nil)))
                i = close + 2
            } else {
                plain.append(chars[i]); i += 1
            }
        }
        flush()
        if highlights > 0 && explicit > 0 {
            throw fail(0, "card mixes ==hidden== and {{cN::hidden}} deletions", "use one form per card")
        }
        return ClozeText(pieces: pieces)
    }

    private static func find(_ needle: String, in chars: [Character], from start: Int) -> Int? {
        let n = Array(needle)
        guard chars.count >= n.count else { return nil }
        var j = start
        while j + n.count <= chars.count {
            if Array(chars[j..<(j + n.count)]) == n { return j }
            j += 1
        }
        return nil
    }
}
