import XCTest
import Foundation
import GRDB
import GradLab
import ZIPFoundation
@testable import GradLabStudy

/// Reading packages Anki made (Fixtures/anki, written by scripts/make_anki_fixture.py with Anki's
/// own library), and one-line refusals of broken or hostile files.
final class AnkiImportTests: XCTestCase {
    func testReadsPackageMadeByAnki() throws {
        let deck = try AnkiPackage.importDeck(path: Interop.fixture("anki/fixture.apkg"))
        XCTAssertEqual(deck.title, "Anki Fixture")
        // Basic 1 + reversed pair 2 + optional reverse filled 2 + optional reverse empty 1 + cloze c1,c2 2 + cloze c1 twice 1
        XCTAssertEqual(deck.cards.count, 9)
        XCTAssertEqual(deck.cards.filter { $0.kind == .basic }.count, 4)
        XCTAssertEqual(deck.cards.filter { $0.kind == .reversed }.count, 2)
        XCTAssertEqual(deck.cards.filter { $0.kind == .cloze }.count, 3)
        func card(_ front: String) throws -> Card { try XCTUnwrap(deck.cards.first { $0.front == front }, front) }

        let relu = try card("What does ReLU output for x < 0?")
        XCTAssertEqual(relu.back, "0\n(its gradient is 0 too)")
        XCTAssertEqual(relu.tags.sorted(), ["activations", "relu"])
        XCTAssertEqual(relu.section, [])

        let glorot = try card("Glorot initialisation variance")
        XCTAssertEqual(glorot.kind, .basic)
        let reversed = try card("2 / (fan_in + fan_out)")
        XCTAssertEqual(reversed.kind, .reversed)
        XCTAssertEqual(reversed.back, "Glorot initialisation variance")
        XCTAssertEqual(reversed.id, glorot.id + ".r")

        XCTAssertEqual(try card("Wave speed").section, ["Physics", "Waves"])
        XCTAssertEqual(try card("v = f·λ").kind, .reversed)
        let periode = try card("Période")
        XCTAssertEqual(periode.tags.sorted(), ["français", "physics"])
        XCTAssertNil(deck.cards.first { $0.front == "T = 1/f" }, "an empty Add Reverse field gives no reversed card")

        let sigmoid = deck.cards.filter { $0.clozeText?.contains("sigmoid") == true }
        XCTAssertEqual(sigmoid.map(\.clozeOrdinal), [1, 2])
        XCTAssertEqual(sigmoid.map(\.front), ["The derivative of [...] is at most 1/4.", "The derivative of sigmoid is at most [a fraction]."])
        XCTAssertEqual(sigmoid.map(\.back), ["sigmoid", "1/4"])
        XCTAssertEqual(sigmoid.first?.explain, "σ'(x) = σ(x)(1 − σ(x)) & peaks at x = 0")
        XCTAssertEqual(Set(sigmoid.map(\.id)).count, 2)

        let residual = try XCTUnwrap(deck.cards.first { $0.clozeText?.hasPrefix("{{c1::Residual}}") == true })
        XCTAssertEqual(residual.front, "[...] connections add the identity; [...] paths keep gradients alive.")
        XCTAssertEqual(residual.back, "Residual … skip")
        XCTAssertEqual(residual.section, ["Physics", "Waves"])
        XCTAssertNil(residual.explain)
        XCTAssertEqual(Set(deck.cards.map(\.id)).count, deck.cards.count, "card ids are unique")
    }

    func testCurrentFormatOnlyPackageAsksForLegacyExport() throws {
        let path = Interop.fixture("anki/fixture-new.apkg")
        assertOneLineError(try AnkiPackage.importDeck(path: path), path + ": the package holds only the compressed collection of Anki 23.10 and later — export it again from Anki with \"Support older Anki versions\" ticked")
    }

    func testBrokenFilesGiveOneLineErrors() throws {
        let missing = Interop.tempPath("missing.apkg")
        assertOneLineError(try AnkiPackage.importDeck(path: missing), missing + ": cannot read the file — check the path and its permissions")

        let text = try Interop.file("notzip.apkg", "front,back\n")
        assertOneLineError(try AnkiPackage.importDeck(path: text), text + ": not an Anki package (not a zip archive) — export it from Anki with File › Export… › Anki Deck Package (.apkg)")

        let empty = try zip("nocollection.apkg", ["media": Data("{}".utf8)])
        assertOneLineError(try AnkiPackage.importDeck(path: empty), empty + ": no Anki collection in the package (no collection.anki21 or collection.anki2) — export the deck again from Anki as an Anki Deck Package (.apkg)")

        let garbage = try zip("garbage.apkg", ["collection.anki2": Data(repeating: 0x5A, count: 8192)])
        assertOneLineError(try AnkiPackage.importDeck(path: garbage), garbage + ": the collection in the package is not a readable Anki database", prefix: true)

        let other = try zip("othersqlite.apkg", ["collection.anki2": try sqlite { db in try db.execute(sql: "CREATE TABLE t(x)") }])
        assertOneLineError(try AnkiPackage.importDeck(path: other), other + ": the collection has no 'col' table, so it is not an Anki collection — export the deck again from Anki with \"Support older Anki versions\" ticked")
    }

    /// The unpacked collection is bounded: a package whose collection claims more is refused
    /// before anything is unpacked. (The real bound is 512 MiB; a small one stands in for it.)
    func testCollectionAboveTheSizeBoundIsRefused() throws {
        let path = Interop.fixture("anki/fixture.apkg")
        let size = try XCTUnwrap(try Archive(url: URL(fileURLWithPath: path), accessMode: .read)["collection.anki21"]).uncompressedSize
        XCTAssertEqual(try AnkiPackage.importDeck(path: path, limit: size).cards.count, 9)
        assertOneLineError(try AnkiPackage.importDeck(path: path, limit: size - 1),
                           path + ": its collection is \(size) bytes, above GradLab's limit of \(size - 1) bytes — export a smaller deck from Anki")
    }

    func testCardFileFormatFromExtension() throws {
        XCTAssertEqual(CardFileFormat(path: "deck.APKG"), .apkg)
        XCTAssertEqual(CardFileFormat(path: "a/b.tsv"), .tsv)
        XCTAssertNil(CardFileFormat(path: "notes.md"))
        XCTAssertEqual(try CardFileFormat.importDeck(path: Interop.fixture("anki/fixture.apkg")).cards.count, 9)
        XCTAssertEqual(try CardFileFormat.importDeck(path: Interop.fixture("anki/fixture-notes.txt")).cards.count, 8)
        assertOneLineError(try CardFileFormat.importDeck(path: "notes.md"), "notes.md: not a card file GradLab imports — give an .apkg, .csv, .tsv or .txt file")
    }

    func testUnknownAndUnreadableNoteTypesAreRefused() throws {
        let valid = Interop.tempPath("valid.apkg")
        try AnkiPackage.export(AnkiPackageTests.sampleDeck(), to: valid)
        let collection = try XCTUnwrap(try Archive(url: URL(fileURLWithPath: valid), accessMode: .read)["collection.anki2"])
        func edited(_ name: String, _ sql: String) throws -> String {
            var bytes = Data()
            _ = try Archive(url: URL(fileURLWithPath: valid), accessMode: .read).extract(collection) { bytes.append($0) }
            let db = Interop.tempPath(name + ".anki2")
            try bytes.write(to: URL(fileURLWithPath: db))
            let queue = try DatabaseQueue(path: db)
            try queue.write { try $0.execute(sql: sql) }
            try queue.close()
            return try zip(name, ["collection.anki2": try Data(contentsOf: URL(fileURLWithPath: db))])
        }
        let unknown = try edited("unknown.apkg", "UPDATE notes SET mid = 42 WHERE guid = 'gradlab/sample/k1'")
        assertOneLineError(try AnkiPackage.importDeck(path: unknown), unknown + ": note ", prefix: true)
        assertOneLineError(try AnkiPackage.importDeck(path: unknown), "uses note type 42, which the collection does not define", prefix: false)

        let single = try edited("single.apkg", """
            UPDATE col SET models = json_set(models, '$."\(AnkiNoteType.basic.id)".flds', json('[{"name": "Only", "ord": 0}]'))
            """)
        assertOneLineError(try AnkiPackage.importDeck(path: single), single + ": note type 'GradLab Basic' has 1 field; GradLab reads note types with a front and a back field, and Cloze — change the notes to a Basic note type in Anki (Browse › Notes › Change Note Type) and export again")

        let newer = try edited("schema18.apkg", "UPDATE col SET ver = 18, models = ''")
        assertOneLineError(try AnkiPackage.importDeck(path: newer), newer + ": the collection has schema 18, newer than the legacy schema 11 GradLab reads — export the deck again from Anki with \"Support older Anki versions\" ticked")

        let badJSON = try edited("badjson.apkg", "UPDATE col SET models = '{not json'")
        assertOneLineError(try AnkiPackage.importDeck(path: badJSON), badJSON + ": the collection's note types are not valid JSON — export the deck again from Anki")
    }

    // MARK: helpers

    func assertOneLineError(_ body: @autoclosure () throws -> Deck, _ expected: String, prefix: Bool? = nil,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            switch prefix {
            case nil: XCTAssertEqual(message, expected, file: file, line: line)
            case true?: XCTAssertTrue(message.hasPrefix(expected), message, file: file, line: line)
            case false?: XCTAssertTrue(message.contains(expected), message, file: file, line: line)
            }
        }
    }

    /// A zip holding `entries`.
    func zip(_ name: String, _ entries: [String: Data]) throws -> String {
        let path = Interop.tempPath(name)
        try? FileManager.default.removeItem(atPath: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (entry, data) in entries.sorted(by: { $0.key < $1.key }) {
            try archive.addEntry(with: entry, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return path
    }

    /// The bytes of a new SQLite database made by `make`.
    func sqlite(_ make: (Database) throws -> Void) throws -> Data {
        let path = Interop.tempPath("db-\(UUID().uuidString).sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write(make)
        try queue.close()
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}
