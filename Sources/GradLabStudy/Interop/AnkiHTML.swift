import Foundation

/// Anki stores every field as HTML. GradLab's card text is plain text, so fields are escaped on the
/// way out and reduced to plain text on the way in.
enum AnkiHTML {
    /// Plain text → field HTML: `& < > "` escaped, newlines as `<br>`.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\r\n": out += "<br>"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Field HTML → plain text: `<br>` and block ends become newlines, other tags are dropped,
    /// entities decoded (`&nbsp;` as a plain space), runs of blank lines and edge spaces trimmed.
    static func plainText(_ html: String) -> String { tidy(decode(html, breaks: true)) }

    /// Anki's sort-field and checksum form (`strip_html_preserving_media_filenames`): tags
    /// removed without a trace, entities decoded.
    static func sortField(_ html: String) -> String { decode(html, breaks: false) }

    private static func decode(_ html: String, breaks: Bool) -> String {
        var out = ""
        var i = html.startIndex
        while i < html.endIndex {
            let ch = html[i]
            if ch == "<", let close = html[i...].firstIndex(of: ">") {
                let tag = html[html.index(after: i)..<close].lowercased()
                let name = tag.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber })
                if breaks, name == "br" || (tag.hasPrefix("/") && ["div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"].contains(String(name))) {
                    out.append("\n")
                }
                i = html.index(after: close)
            } else if ch == "&", let semi = html[i...].prefix(12).firstIndex(of: ";"),
                      let decoded = entity(String(html[html.index(after: i)..<semi])) {
                out.append(decoded)
                i = html.index(after: semi)
            } else {
                out.append(ch)
                i = html.index(after: i)
            }
        }
        return out
    }

    private static func tidy(_ out: String) -> String {
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var kept: [String] = []
        for line in lines where !(line.isEmpty && (kept.last?.isEmpty ?? true)) { kept.append(line) }
        while kept.last?.isEmpty == true { kept.removeLast() }
        return kept.joined(separator: "\n")
    }

    private static let named: [String: Character] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ndash": "–", "mdash": "—",
        "hellip": "…", "laquo": "«", "raquo": "»", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
        "times": "×", "divide": "÷", "le": "≤", "ge": "≥", "ne": "≠", "minus": "−", "deg": "°",
    ]

    private static func entity(_ body: String) -> Character? {
        if body.hasPrefix("#x") || body.hasPrefix("#X") {
            return UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map(Character.init)
        }
        if body.hasPrefix("#") { return UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init).map(Character.init) }
        return named[body]
    }
}
