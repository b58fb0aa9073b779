import Foundation
import GRDB
import GradLab
import ZIPFoundation

extension AnkiPackage {
    /// The largest collection read from a package (uncompressed): a bound on disk and memory for
    /// hostile files, far above any real deck.
    static let maxCollectionBytes: UInt64 = 512 << 20

    /// Reads an `.apkg` exported by Anki: Basic-like note types (first field the front, second the
    /// back; each template that asks the second field gives a reversed card) and Cloze note types
    /// (one card per deletion number). Fields are reduced to plain text; tags are kept; the deck
    /// path below a common top deck becomes the card's section. Every failure is one line naming
    /// the file and the fix.
    public static func importDeck(path: String) throws -> Deck { try importDeck(path: path, limit: maxCollectionBytes) }

    /// `importDeck(path:)` with another bound on the unpacked collection, in bytes.
    static func importDeck(path: String, limit: UInt64) throws -> Deck {
        let name = (path as NSString).lastPathComponent
        func fail(_ problem: String, _ fix: String) -> GradLabError { .data("\(path): \(problem) — \(fix)") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw fail("cannot read the file", "check the path and its permissions")
        }
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw fail("not an Anki package (not a zip archive)", "export it from Anki with File › Export… › Anki Deck Package (.apkg)")
        }
        guard let entry = archive["collection.anki21"] ?? (archive["collection.anki21b"] == nil ? archive["collection.anki2"] : nil) else {
            if archive["collection.anki21b"] != nil {
                throw fail("the package holds only the compressed collection of Anki 23.10 and later",
                           "export it again from Anki with \"Support older Anki versions\" ticked")
            }
            throw fail("no Anki collection in the package (no collection.anki21 or collection.anki2)",
                       "export the deck again from Anki as an Anki Deck Package (.apkg)")
        }
        guard entry.uncompressedSize <= limit else {
            throw fail("its collection is \(entry.uncompressedSize) bytes, above GradLab's limit of \(limit) bytes", "export a smaller deck from Anki")
        }
        let work = try TemporaryFolder()
        defer { work.remove() }
        let collection = work.path("collection")
        do { try extract(entry, from: archive, to: collection, limit: limit) } catch {
            throw fail("the collection in the package cannot be unpacked (\(error))", "export the deck again from Anki")
        }
        let notes: [ImportedNote]
        do { notes = try readNotes(collection) } catch let problem as CollectionProblem {
            throw fail(problem.problem, problem.fix)
        } catch {
            throw fail("the collection in the package is not a readable Anki database (\(oneLine(error)))", "export the deck again from Anki")
        }
        guard !notes.isEmpty else { throw fail("the package has no notes", "export a deck that has cards") }
        return try deck(from: notes, name: name, path: path, fail: fail)
    }

    /// Streams an entry to a file, stopping at `limit` bytes whatever the header claimed.
    private static func extract(_ entry: Entry, from archive: Archive, to path: String, limit: UInt64) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw GradLabError.io("cannot create \(path)")
        }
        defer { try? out.close() }
        var written: UInt64 = 0
        _ = try archive.extract(entry, skipCRC32: false) { chunk in
            written += UInt64(chunk.count)
            guard written <= limit else { throw GradLabError.data("more than \(limit) bytes") }
            try out.write(contentsOf: chunk)
        }
    }

    static func oneLine(_ error: Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
