import Foundation

/// The three note types an exported package carries, in Anki's legacy (schema 11) JSON form.
///
/// Anki's stock kinds (Basic, Basic (and reversed card), Cloze) with their first fields (Front,
/// Back; Text, Back Extra), named "GradLab …": Anki renames an incoming note type whose name is
/// taken ("Basic+"), and this keeps the user's own Basic apart. GradLab's extra lines travel in
/// extra fields, shown on the back: Explain (a Cloze note's Back Extra), Distractors, Experiment,
/// Claim. The ids and `mod` are fixed, so a re-exported deck lands on the same note types.
enum AnkiNoteType: Int, CaseIterable {
    case basic = 1_700_000_000_001
    case basicAndReversed = 1_700_000_000_002
    case cloze = 1_700_000_000_003

    var id: Int64 { Int64(rawValue) }

    var name: String {
        switch self {
        case .basic: "GradLab Basic"
        case .basicAndReversed: "GradLab Basic (and reversed card)"
        case .cloze: "GradLab Cloze"
        }
    }

    var fields: [String] {
        switch self {
        case .basic, .basicAndReversed: ["Front", "Back", "Explain", "Distractors", "Experiment", "Claim"]
        case .cloze: ["Text", "Back Extra", "Distractors", "Experiment", "Claim"]
        }
    }

    /// (name, question format, answer format) per card ordinal.
    var templates: [(String, String, String)] {
        let extras = """
            {{#Experiment}}<div class="experiment">experiment: {{Experiment}}{{#Claim}}<br>claim: {{Claim}}{{/Claim}}</div>{{/Experiment}}
            """
        let explain = "{{#Explain}}<div class=\"explain\">{{Explain}}</div>{{/Explain}}\n"
        switch self {
        case .basic:
            return [("Card 1", "{{Front}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}\n" + explain + extras)]
        case .basicAndReversed:
            return [("Card 1", "{{Front}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}\n" + explain + extras),
                    ("Card 2", "{{Back}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}\n" + explain + extras)]
        case .cloze:
            return [("Cloze", "{{cloze:Text}}", "{{cloze:Text}}<br>\n{{Back Extra}}\n" + extras)]
        }
    }

    /// The note type's JSON object in the collection's `models` column.
    var json: [String: Any] {
        let css = ".card { font-family: arial; font-size: 20px; line-height: 1.5; text-align: center; color: black; background-color: white; }\n"
            + ".explain, .experiment { font-size: 16px; color: #555; margin-top: 1em; }\n.cloze { font-weight: bold; color: blue; }\n"
        return [
            "id": id, "name": name, "type": self == .cloze ? 1 : 0, "mod": 1_700_000_000, "usn": 0, "sortf": 0,
            "did": NSNull(), "tags": [String](), "vers": [Int](), "css": css,
            "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
            "latexPost": "\\end{document}", "latexsvg": false,
            "flds": fields.enumerated().map { i, name in
                ["name": name, "ord": i, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "media": [String]()] as [String: Any]
            },
            "tmpls": templates.enumerated().map { i, t in
                ["name": t.0, "ord": i, "qfmt": t.1, "afmt": t.2, "bqfmt": "", "bafmt": "", "did": NSNull(), "bfont": "", "bsize": 0] as [String: Any]
            },
            "req": self == .cloze ? [Any]() : templates.indices.map { [$0, "any", [$0]] as [Any] } as [Any],
        ]
    }
}
