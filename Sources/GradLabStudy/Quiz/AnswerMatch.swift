import Foundation

/// Whether a typed answer matches: case, whitespace and punctuation are forgiven.
public enum AnswerMatch {
    /// The comparable form: lower-cased, diacritics folded, punctuation dropped, spaces collapsed.
    /// Mathematical symbols (≤, ×, ², …) are kept: they carry meaning.
    public static func key(_ text: String) -> String {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        let kept = folded.unicodeScalars.map { CharacterSet.punctuationCharacters.contains($0) ? " " : Character($0) }
        return String(kept).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// A typed answer is right when its key equals the answer's, or, for an answer with several
    /// parts (a cloze hiding more than one span, written `a … b`), equals them joined.
    public static func matches(_ typed: String, answer: String) -> Bool {
        let k = key(typed)
        guard !k.isEmpty else { return false }
        if k == key(answer) { return true }
        let parts = answer.components(separatedBy: " … ").map(key)
        return parts.count > 1 && (k == parts.joined(separator: " ") || k == parts.joined(separator: " and "))
    }
}
