import XCTest
import Foundation
import GradLab
@testable import GradLabStudy

/// The `.apkg` export checked by Anki itself: scripts/check_anki.py imports the package into a new
/// collection with Anki's own importer (PyPI `anki`) and prints what Anki made of it.
final class AnkiPackageTests: XCTestCase {
    /// A basic card with HTML-special and non-ASCII text, a reversible pair, and a cloze text with
    /// three deletions (one with a hint), in a section and a subsection, with GradLab's extra lines.
    static func sampleDeck(sigmoidAnswer: String = "at most 1/4 — σ′(0) = σ(0)(1 − σ(0))") -> Deck {
        Deck(id: "sample", title: "Gradients", description: "A test deck", cards: [
            Card(id: "k1", kind: .basic, front: "Is a < b & \"c\" > d?\nSecond line", back: "Ja — größer, naïve café",
                 section: ["Basics"], tags: ["html", "non ascii"]),
            Card(id: "k2", kind: .basic, front: "Maximum of the sigmoid's derivative?", back: sigmoidAnswer,
                 section: ["Activations", "Sigmoid"], tags: ["activations"], explain: "σ′ = σ(1 − σ) peaks at x = 0",
                 distractors: ["1", "1/2"], experiment: "demo", claim: "grad_norm(layer 1) / grad_norm(layer 20) < 1e-3"),
            Card(id: "k3", kind: .basic, front: "He initialisation variance", back: "2 / fan_in", section: ["Init"]),
            Card(id: "k3.r", kind: .reversed, front: "2 / fan_in", back: "He initialisation variance", section: ["Init"]),
        ] + (1...3).map { (n: Int) -> Card in
            let text = "The {{c1::chain rule}} multiplies {{c2::per-layer factors::what?}}; {{c3::clipping}} bounds the norm."
            let sides = AnkiCloze.sides(text, ordinal: n)
            return Card(id: "k4.c\(n)", kind: .cloze, front: sides.front, back: sides.back, clozeText: text, clozeOrdinal: n,
                        section: ["Activations"], tags: ["cloze"], explain: "Backprop: ∂L/∂h₁ = ∏ Jᵢ")
        }, source: "sample.md")
    }

    func testAnkiImportsExportedNotesCardsAndClozeOrdinals() throws {
        let path = Interop.tempPath("sample.apkg")
        try AnkiPackage.export(Self.sampleDeck(), to: path)
        let report = try checkAnki([path])
        XCTAssertEqual(report.imports.first?.new, 4)
        XCTAssertEqual(report.note_count, 4)
        XCTAssertEqual(report.card_count, 1 + 1 + 2 + 3)
        XCTAssertEqual(report.notetypes, ["GradLab Basic", "GradLab Basic (and reversed card)", "GradLab Cloze"])
        XCTAssertEqual(report.derived_mismatches.count, 0, "sort field or checksum differs from Anki's: \(report.derived_mismatches)")
        XCTAssertEqual(report.check_database_problems, [], "Anki's Check Database on the package's collection")
        XCTAssertEqual(Set(report.decks), ["Gradients", "Gradients::Basics", "Gradients::Activations", "Gradients::Activations::Sigmoid", "Gradients::Init"])
        let notes = Dictionary(uniqueKeysWithValues: report.notes.map { ($0.guid, $0) })

        let html = try XCTUnwrap(notes["gradlab/sample/k1"])
        XCTAssertEqual(html.notetype, "GradLab Basic")
        XCTAssertEqual(html.fields["Front"], "Is a &lt; b &amp; &quot;c&quot; &gt; d?<br>Second line")
        XCTAssertEqual(html.fields["Back"], "Ja — größer, naïve café")
        XCTAssertEqual(html.tags.sorted(), ["html", "non_ascii"])
        XCTAssertEqual(html.cards.map(\.deck), ["Gradients::Basics"])

        let extra = try XCTUnwrap(notes["gradlab/sample/k2"])
        XCTAssertEqual(extra.fields["Explain"], "σ′ = σ(1 − σ) peaks at x = 0")
        XCTAssertEqual(extra.fields["Distractors"], "1 | 1/2")
        XCTAssertEqual(extra.fields["Experiment"], "demo")
        XCTAssertEqual(extra.fields["Claim"], "grad_norm(layer 1) / grad_norm(layer 20) &lt; 1e-3")
        XCTAssertEqual(extra.cards.map(\.deck), ["Gradients::Activations::Sigmoid"])

        let pair = try XCTUnwrap(notes["gradlab/sample/k3"])
        XCTAssertEqual(pair.notetype, "GradLab Basic (and reversed card)")
        XCTAssertEqual(pair.cards.map(\.ord), [0, 1])
        XCTAssertEqual([pair.fields["Front"], pair.fields["Back"]], ["He initialisation variance", "2 / fan_in"])

        let cloze = try XCTUnwrap(notes["gradlab/sample/k4"])
        XCTAssertEqual(cloze.notetype, "GradLab Cloze")
        XCTAssertEqual(cloze.cards.map(\.ord), [0, 1, 2])
        XCTAssertEqual(cloze.fields["Text"], "The {{c1::chain rule}} multiplies {{c2::per-layer factors::what?}}; {{c3::clipping}} bounds the norm.")
        XCTAssertEqual(cloze.fields["Back Extra"], "Backprop: ∂L/∂h₁ = ∏ Jᵢ")
    }

    /// Importing an edited re-export into the same collection updates the notes (same GUIDs)
    /// instead of adding copies.
    func testReexportAfterEditUpdatesNotesInAnki() throws {
        let first = Interop.tempPath("first.apkg"), second = Interop.tempPath("second.apkg")
        let now = Date()
        try AnkiPackage.export(Self.sampleDeck(), to: first, now: now)
        try AnkiPackage.export(Self.sampleDeck(sigmoidAnswer: "1/4"), to: second, now: now.addingTimeInterval(60))
        let report = try checkAnki([first, second])
        XCTAssertEqual(report.imports.map(\.new), [4, 0])
        XCTAssertEqual(report.imports.last?.updated, 4, "Anki updates every note of a newer package with the same GUIDs")
        XCTAssertEqual(report.note_count, 4)
        XCTAssertEqual(report.card_count, 7)
        XCTAssertEqual(report.notes.first { $0.guid == "gradlab/sample/k2" }?.fields["Back"], "1/4")
    }

    func testExportThenImportGivesTheSameCards() throws {
        let deck = Self.sampleDeck(), path = Interop.tempPath("roundtrip.apkg")
        try AnkiPackage.export(deck, to: path)
        let back = try AnkiPackage.importDeck(path: path)
        XCTAssertEqual(back.id, "sample")
        XCTAssertEqual(back.title, "Gradients")
        XCTAssertEqual(back.cards.count, deck.cards.count)
        for (a, b) in zip(deck.cards, back.cards) {
            XCTAssertEqual([a.id, a.front, a.back], [b.id, b.front, b.back])
            XCTAssertEqual(a.kind, b.kind)
            XCTAssertEqual(a.section, b.section)
            XCTAssertEqual(a.clozeOrdinal, b.clozeOrdinal)
            XCTAssertEqual(a.clozeText, b.clozeText)
            XCTAssertEqual(a.explain, b.explain)
            XCTAssertEqual(a.distractors, b.distractors)
            XCTAssertEqual([a.experiment, a.claim], [b.experiment, b.claim])
            XCTAssertEqual(a.tags.map { $0.replacingOccurrences(of: " ", with: "_") }.sorted(), b.tags.sorted())
        }
    }

    func testExportIsAtomicAndLeavesNothingOnFailure() throws {
        let dir = Interop.tempPath("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AnkiPackage.export(Self.sampleDeck(), to: dir + "/out.apkg")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.apkg"])
        let before = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("gradlab-interop-") }
        XCTAssertThrowsError(try AnkiPackage.export(Self.sampleDeck(), to: dir + "/out.apkg/inside.apkg")) {
            XCTAssertFalse("\($0)".contains("\n"), "\($0)")
        }
        XCTAssertThrowsError(try AnkiPackage.export(Deck(id: "e", title: "Empty", cards: [], source: "empty.md"), to: dir + "/empty.apkg")) {
            XCTAssertEqual("\($0)", "empty.md: the deck has no cards — add cards before exporting it")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.apkg"])
        let after = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("gradlab-interop-") }
        XCTAssertEqual(Set(after), Set(before), "a temporary folder was left behind")
    }

    // MARK: Anki's library

    struct Report: Decodable {
        struct Import: Decodable { var new: Int; var updated: Int; var duplicate: Int }
        struct CardInfo: Decodable { var ord: Int; var deck: String }
        struct Note: Decodable { var guid: String; var notetype: String; var fields: [String: String]; var tags: [String]; var cards: [CardInfo] }
        var imports: [Import]
        var notes: [Note]
        var notetypes: [String]
        var decks: [String]
        var note_count: Int
        var card_count: Int
        struct Mismatch: Decodable { var guid: String }
        var derived_mismatches: [Mismatch]
        var check_database_problems: [String]
    }

    func checkAnki(_ packages: [String]) throws -> Report {
        guard let probe = try? Interop.python(["-c", "import anki.collection"]), probe.status == 0 else {
            throw XCTSkip("python3 with Anki's library is not available (pip install anki)")
        }
        let run = try Interop.python([Interop.repositoryRoot.appendingPathComponent("scripts/check_anki.py").path] + packages)
        XCTAssertEqual(run.status, 0, run.err)
        return try JSONDecoder().decode(Report.self, from: Data(run.out.utf8))
    }
}
