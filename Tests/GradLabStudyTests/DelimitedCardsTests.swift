import XCTest
import Foundation
import GradLab
@testable import GradLabStudy

/// Two-column card files: Quizlet exports, Anki's "Notes in Plain Text", RFC 4180 CSV, and TSV.
final class DelimitedCardsTests: XCTestCase {
    func pairs(_ deck: Deck) -> [[String]] { deck.cards.map { [$0.front, $0.back] } }

    func testQuizletTabAndNewlineExport() throws {
        let path = try Interop.file("quizlet.txt", "vanishing gradient\tgradients shrink layer by layer\nReLU'(x) for x < 0\t0\n\n")
        let deck = try DelimitedCards.importDeck(path: path)
        XCTAssertEqual(pairs(deck), [["vanishing gradient", "gradients shrink layer by layer"], ["ReLU'(x) for x < 0", "0"]])
        XCTAssertEqual(deck.title, "quizlet")
        XCTAssertEqual(deck.cards.map(\.line), [1, 2])
        XCTAssertEqual(deck.cards.map(\.kind), [.basic, .basic])
        XCTAssertEqual(deck.cards[0].id, CardID.derived(from: "vanishing gradient"))
    }

    func testQuizletCustomSeparators() throws {
        let path = try Interop.file("custom.txt", "tanh'(0)=1;σ'(0)=1/4;He init=2/fan_in;")
        let deck = try DelimitedCards.importDeck(path: path, fieldSeparator: "=", rowSeparator: ";")
        XCTAssertEqual(pairs(deck), [["tanh'(0)", "1"], ["σ'(0)", "1/4"], ["He init", "2/fan_in"]])
    }

    func testAnkiNotesInPlainText() throws {
        let path = try Interop.file("anki-notes.txt", """
            #separator:tab
            #html:true
            #tags column:3
            What is <b>σ′(0)</b>?\t1/4<br>(the maximum)\tactivations Sigmoid
            "A ""quoted""\tfront"\tx &amp; y &lt; z\t
            The {{c1::forget gate}} keeps {{c2::the cell::what?}} alive\t<i>Hochreiter &amp; Schmidhuber 1997</i>\tlstm

            """)
        let deck = try DelimitedCards.importDeck(path: path)
        XCTAssertEqual(pairs(deck), [["What is σ′(0)?", "1/4\n(the maximum)"], ["A \"quoted\"\tfront", "x & y < z"],
                                     ["The [...] keeps the cell alive", "forget gate"], ["The forget gate keeps [what?] alive", "the cell"]])
        XCTAssertEqual(deck.cards.map(\.line), [4, 5, 6, 6])
        XCTAssertEqual(deck.cards[0].tags, ["activations", "sigmoid"])
        XCTAssertEqual(deck.cards[2].kind, .cloze)
        XCTAssertEqual(deck.cards.compactMap(\.clozeOrdinal), [1, 2])
        XCTAssertEqual(deck.cards[3].explain, "Hochreiter & Schmidhuber 1997")
        XCTAssertEqual(deck.cards[3].clozeText, "The {{c1::forget gate}} keeps {{c2::the cell::what?}} alive")
    }

    func testAnkiDeckColumnAndExtraFields() throws {
        let path = try Interop.file("anki-deck.txt", "#separator:Semicolon\n#deck column:1\nGrad::Init;He;2/fan_in;extra field\n")
        let deck = try DelimitedCards.importDeck(path: path)
        XCTAssertEqual(pairs(deck), [["He", "2/fan_in"]])
        XCTAssertEqual(deck.title, "Grad")
        XCTAssertEqual(deck.cards[0].section, ["Init"])
    }

    /// Anki's own "Notes in Plain Text" export of the fixture notes (scripts/make_anki_fixture.py):
    /// GUID, note type, deck and tags columns around the fields, HTML fields.
    func testNotesInPlainTextWrittenByAnki() throws {
        let deck = try DelimitedCards.importDeck(path: Interop.fixture("anki/fixture-notes.txt"))
        XCTAssertEqual(deck.title, "Anki Fixture")
        XCTAssertEqual(pairs(deck), [
            ["What does ReLU output for x < 0?", "0\n(its gradient is 0 too)"],
            ["Glorot initialisation variance", "2 / (fan_in + fan_out)"], ["2 / (fan_in + fan_out)", "Glorot initialisation variance"],
            ["Wave speed", "v = f·λ"], ["Période", "T = 1/f"],
            ["The derivative of [...] is at most 1/4.", "sigmoid"], ["The derivative of sigmoid is at most [a fraction].", "1/4"],
            ["[...] connections add the identity; [...] paths keep gradients alive.", "Residual … skip"],
        ])
        XCTAssertEqual(deck.cards.map(\.kind), [.basic, .basic, .reversed, .basic, .basic, .cloze, .cloze, .cloze])
        XCTAssertEqual(deck.cards.map(\.section), [[], [], [], ["Physics", "Waves"], ["Physics", "Waves"], [], [], ["Physics", "Waves"]])
        XCTAssertEqual(deck.cards[4].tags, ["français", "physics"])
        XCTAssertEqual(deck.cards[5].explain, "σ'(x) = σ(x)(1 − σ(x)) & peaks at x = 0")
        XCTAssertEqual(deck.cards.map(\.line), [7, 8, 8, 9, 10, 11, 11, 12])
    }

    func testRFC4180QuotedFields() throws {
        let path = try Interop.file("cards.csv", "\"a, b\",\"line 1\r\nline 2\"\r\n\"he said \"\"hi\"\"\",plain \"inner\" quote\r\nx,y")
        let deck = try DelimitedCards.importDeck(path: path)
        XCTAssertEqual(pairs(deck), [["a, b", "line 1\nline 2"], ["he said \"hi\"", "plain \"inner\" quote"], ["x", "y"]])
        XCTAssertEqual(deck.cards.map(\.line), [1, 3, 4])
    }

    func testExportCSVAndTSVReadBack() throws {
        let deck = AnkiPackageTests.sampleDeck()
        let csv = Interop.tempPath("out.csv"), tsv = Interop.tempPath("out.tsv")
        try DelimitedCards.export(deck, to: csv, format: .csv)
        try DelimitedCards.export(deck, to: tsv, format: .tsv)
        // The reversible pair is one row; every other card one row.
        let expected = deck.cards.filter { $0.kind != .reversed }.map { [$0.front, $0.back] }
        XCTAssertEqual(pairs(try DelimitedCards.importDeck(path: csv)), expected)
        XCTAssertEqual(pairs(try DelimitedCards.importDeck(path: tsv)), expected)
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("\"Is a < b & \"\"c\"\" > d?\nSecond line\",\"Ja — größer, naïve café\"\r\n"), text)
        XCTAssertTrue(try String(contentsOfFile: tsv, encoding: .utf8).contains("He initialisation variance\t2 / fan_in\n"))
    }

    func testErrorsNameLineAndColumn() throws {
        func assertError(_ name: String, _ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let path = try Interop.file(name, text)
            XCTAssertThrowsError(try DelimitedCards.importDeck(path: path), file: file, line: line) { error in
                XCTAssertEqual("\(error)", path + expected, file: file, line: line)
            }
        }
        try assertError("one.tsv", "a\tb\nonly a front\n", ":2:13: row has 1 field; a card needs two (front and back) — separate the front and the back with a tab")
        try assertError("three.csv", "a,b\nx,1,000\n", ":2:5: row has 3 fields; a card has two (front and back) — put a field that contains ',' in double quotes, or choose another separator")
        try assertError("open.csv", "a,b\nc,\"never closed\n", ":2:3: quoted field never closed — end it with \" and write a quote inside it as \"\"")
        try assertError("after.csv", "\"quoted\" tail,b\n", ":1:9: text after the closing quote of a quoted field — put the whole field in quotes and double the quotes inside it (\"\")")
        try assertError("nofront.csv", "a,b\n  ,b\n", ":2:1: empty front — write the question in the first column")
        try assertError("noback.tsv", "a\t\n", ":1:3: empty back — write the answer in the second column")
        try assertError("empty.csv", "\n\n", ": no cards in the file — write one card per row: front,back")
        let bad = Interop.tempPath("latin1.csv")
        try Data([0x63, 0x61, 0x66, 0xE9, 0x2C, 0x78, 0x0A]).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try DelimitedCards.importDeck(path: bad)) {
            XCTAssertEqual("\($0)", bad + ": not UTF-8 text — save it as UTF-8 (in a spreadsheet: CSV UTF-8)")
        }
        let missing = Interop.tempPath("missing.csv")
        XCTAssertThrowsError(try DelimitedCards.importDeck(path: missing)) {
            XCTAssertEqual("\($0)", missing + ": cannot read the file — check the path and its permissions")
        }
    }
}
