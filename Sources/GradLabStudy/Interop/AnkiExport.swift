import Foundation
import GradLab
import ZIPFoundation

/// Anki packages (`.apkg`): a zip holding a legacy collection (`collection.anki2`) and a media
/// map (`media`, here `{}`).
///
/// Export: a `question :: answer` card is a Basic note; a reversible pair (`:::`) is one
/// "Basic (and reversed card)" note with two cards; a cloze text is one Cloze note with one card per
/// deletion number. The heading path becomes a subdeck (`Deck title::Section::Subsection`), card
/// tags become Anki tags (spaces as `_`). Each note's GUID is `gradlab/<deck id>/<note id>`, from the
/// card ids, so importing a re-exported, edited deck updates the notes in Anki instead of adding
/// copies (keep a deck's front-matter `id` to keep its GUIDs when the file is renamed).
public enum AnkiPackage {
    /// Writes `deck` as an `.apkg` at `path`, atomically (nothing is left behind on failure).
    /// `now` stamps the notes' modification time: Anki updates a note only from a newer one.
    public static func export(_ deck: Deck, to path: String, now: Date = Date()) throws {
        try OutputPath.file(path).check()
        guard !deck.cards.isEmpty else {
            throw GradLabError.invalid("\(deck.source): the deck has no cards — add cards before exporting it")
        }
        let notes = ankiNotes(deck)
        let work = try TemporaryFolder()
        defer { work.remove() }
        let collection = work.path("collection.anki2"), zip = work.path("package.apkg")
        try AnkiCollection.write(notes, deckDescription: deck.description, now: now, to: collection)
        do {
            let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create)
            try archive.addEntry(with: "collection.anki2", fileURL: URL(fileURLWithPath: collection), compressionMethod: .deflate)
            let media = Data("{}".utf8)
            try archive.addEntry(with: "media", type: .file, uncompressedSize: Int64(media.count), modificationDate: now) { position, size in
                media.subdata(in: Int(position)..<Int(position) + size)
            }
        } catch {
            throw GradLabError.io("cannot write \(path): \(error); choose another path")
        }
        try atomicWrite(try Data(contentsOf: URL(fileURLWithPath: zip)), to: path)
    }

    /// The deck's cards grouped into Anki notes, in deck order.
    static func ankiNotes(_ deck: Deck) -> [AnkiCollection.Note] {
        let title = deck.title.trimmingCharacters(in: .whitespaces).isEmpty ? "GradLab" : deck.title
        var notes: [AnkiCollection.Note] = []
        var index: [String: Int] = [:]
        for card in deck.cards {
            let key = card.noteID
            let slot = (card.kind == .cloze ? "cloze/" : "basic/") + key
            let deckName = ([title] + card.section).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .joined(separator: "::")
            let tags = card.tags.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: "_") }
            if let i = index[slot] {
                switch card.kind {
                case .cloze: notes[i].ordinals.append((card.clozeOrdinal ?? 1) - 1)
                case .reversed: notes[i].type = .basicAndReversed; notes[i].ordinals = [0, 1]
                case .basic:   // the question side of a pair that began with its reversed card
                    notes[i].fields = fields(card, type: .basicAndReversed); notes[i].type = .basicAndReversed; notes[i].ordinals = [0, 1]
                }
                for t in tags where !notes[i].tags.contains(t) { notes[i].tags.append(t) }
                continue
            }
            let type: AnkiNoteType = card.kind == .cloze ? .cloze : .basic
            index[slot] = notes.count
            notes.append(AnkiCollection.Note(guid: "gradlab/\(deck.id)/\(key)", type: type, fields: fields(card, type: type),
                                             tags: tags, deck: deckName, ordinals: [type == .cloze ? (card.clozeOrdinal ?? 1) - 1 : 0]))
        }
        return notes
    }

    private static func fields(_ card: Card, type: AnkiNoteType) -> [String] {
        let extra = [card.distractors.joined(separator: " | "), card.experiment ?? "", card.claim ?? ""].map(AnkiHTML.escape)
        if type == .cloze { return [AnkiHTML.escape(card.clozeText ?? card.front), AnkiHTML.escape(card.explain ?? "")] + extra }
        return [AnkiHTML.escape(card.front), AnkiHTML.escape(card.back), AnkiHTML.escape(card.explain ?? "")] + extra
    }
}

/// A private folder under the system's temporary directory, removed with everything in it.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-interop-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false) } catch {
            throw GradLabError.io("cannot create a temporary folder in \(url.deletingLastPathComponent().path): \(error.localizedDescription); set TMPDIR to a writable folder")
        }
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}
