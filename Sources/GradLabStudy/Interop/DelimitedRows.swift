import Foundation

/// Rows of delimiter-separated text (RFC 4180 CSV, and the same rules with any separator): a field
/// that starts with `"` is quoted, may hold separators and line breaks, and writes a quote as `""`.
/// Rows end at `\n`, `\r\n` or a chosen row separator.
struct DelimitedRows {
    struct Field { var text: String; var column: Int }
    struct Row { var line: Int; var fields: [Field]; var endColumn: Int }
    struct Problem: Error { var line: Int; var column: Int; var problem: String; var fix: String }

    var fieldSeparator: Character
    /// nil: a line break ends a row.
    var rowSeparator: Character?

    /// Splits `text` (lines and columns 1-based, columns in characters) starting at line `firstLine`.
    func rows(_ text: Substring, firstLine: Int) throws -> [Row] {
        var rows: [Row] = []
        var fields: [Field] = []
        var field = "", fieldColumn = 1, rowLine = firstLine
        var line = firstLine, column = 1
        var i = text.startIndex
        func endsRow(_ c: Character) -> Bool { rowSeparator.map { c == $0 } ?? (c == "\n" || c == "\r\n" || c == "\r") }
        func finishRow() {
            fields.append(Field(text: field, column: fieldColumn))
            if !(fields.count == 1 && fields[0].text.trimmingCharacters(in: .whitespaces).isEmpty) {
                rows.append(Row(line: rowLine, fields: fields, endColumn: column))
            }
            fields = []; field = ""
        }
        func advance(_ c: Character) {
            if c == "\n" || c == "\r\n" || c == "\r" { line += 1; column = 1 } else { column += 1 }
        }
        var atFieldStart = true
        while i < text.endIndex {
            let c = text[i]
            if atFieldStart && c == "\"" {
                // A quoted field runs to the quote that is not doubled.
                let openLine = line, openColumn = column
                advance(c); i = text.index(after: i)
                var closed = false
                while i < text.endIndex {
                    let q = text[i]
                    advance(q); i = text.index(after: i)
                    if q == "\"" {
                        if i < text.endIndex, text[i] == "\"" { field.append("\""); advance("\""); i = text.index(after: i); continue }
                        closed = true; break
                    }
                    field.append(q)
                }
                guard closed else {
                    throw Problem(line: openLine, column: openColumn, problem: "quoted field never closed",
                                  fix: "end it with \" and write a quote inside it as \"\"")
                }
                if i < text.endIndex, text[i] != fieldSeparator, !endsRow(text[i]) {
                    throw Problem(line: line, column: column, problem: "text after the closing quote of a quoted field",
                                  fix: "put the whole field in quotes and double the quotes inside it (\"\")")
                }
                atFieldStart = false
                continue
            }
            atFieldStart = false
            if c == fieldSeparator {
                fields.append(Field(text: field, column: fieldColumn)); field = ""
                advance(c); i = text.index(after: i)
                fieldColumn = column; atFieldStart = true
            } else if endsRow(c) {
                finishRow()
                advance(c); i = text.index(after: i)
                if rowSeparator != nil, c != "\n" {   // a custom row separator: a line break after it is layout
                    while i < text.endIndex, text[i] == "\n" || text[i] == "\r\n" { advance(text[i]); i = text.index(after: i) }
                }
                rowLine = line; fieldColumn = column; atFieldStart = true
            } else {
                field.append(c)
                advance(c); i = text.index(after: i)
            }
        }
        if !field.isEmpty || !fields.isEmpty { finishRow() }
        return rows
    }

    /// One row as text: a field is quoted when it holds the separator, a quote or a line break.
    func format(_ fields: [String]) -> String {
        fields.map { f in
            let needsQuotes = f.contains(fieldSeparator) || f.contains("\"") || f.contains(where: { $0.isNewline })
                || rowSeparator.map { f.contains($0) } ?? false
            return needsQuotes ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: String(fieldSeparator))
    }
}
