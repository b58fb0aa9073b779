import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

/// `gradlab deck`: check decks, make them from notes, move them to and from Anki and Quizlet.
struct DeckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deck",
        abstract: "Check a deck, make one from notes, import or export Anki packages and CSV.",
        discussion: """
        Examples:
          gradlab deck check my-deck.md
          gradlab deck make notes.md -o my-deck.md
          gradlab deck export gradients --apkg gradients.apkg
          gradlab deck import exported.apkg -o imported.md
        """,
        subcommands: [DeckCheck.self, DeckMake.self, DeckExport.self, DeckImport.self])
}

struct DeckCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Parse a deck and summarise it (exit 2 with file:line:col on a problem).")
    @Argument(help: "A deck file, or a built-in deck name.") var deck: String

    func run() throws {
        let d = try BuiltinDeck.resolve(deck)
        let kinds = Dictionary(grouping: d.cards, by: \.kind).mapValues(\.count)
        print("\(d.title) (\(d.id)): \(d.cards.count) cards — " + CardKind.allCases.map { "\(kinds[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        print("  \(Set(d.cards.map(\.section)).count) sections, \(d.cards.filter { !$0.distractors.isEmpty }.count) with distractors, \(d.cards.filter { $0.experiment != nil }.count) with an experiment")
    }
}

struct DeckMake: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "make", abstract: "Turn ordinary Markdown notes into a draft deck to edit (offline, by plain rules).")
    @Argument(help: "Notes in Markdown.") var notes: String
    @Option(name: .shortAndLong, help: "The deck file to write.") var output: String
    @Option(help: "The deck's title. Default: the notes' file name.") var title: String?

    func run() throws {
        try OutputPath.file(output, option: "--output").check()
        guard let data = FileManager.default.contents(atPath: notes), let text = String(data: data, encoding: .utf8) else {
            throw GradLabError.io("cannot read notes '\(notes)': no such UTF-8 file — check the path")
        }
        let draft = try NotesToDeck.make(notes: text, file: notes, title: title)
        guard !draft.deck.cards.isEmpty else {
            throw GradLabError.invalid("\(notes): no cards made — write definitions (Term: meaning), a heading with a short paragraph, or **bold** key phrases")
        }
        try atomicWrite(Data(draft.markdown.utf8), to: output)
        print("made \(draft.made.count) card entr\(draft.made.count == 1 ? "y" : "ies") (\(draft.deck.cards.count) cards):")
        for m in draft.made { print("  + " + m) }
        if !draft.skipped.isEmpty {
            print("skipped \(draft.skipped.count):")
            for s in draft.skipped { print("  - " + s) }
        }
        print("wrote \(output); edit it, then: gradlab study \(output)")
    }
}

struct DeckExport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a deck as an Anki package (.apkg) or a two-column CSV/TSV.")
    @Argument(help: "A deck file, or a built-in deck name.") var deck: String
    @Option(help: "Write an Anki package here (opens in Anki: File › Import).") var apkg: String?
    @Option(help: "Write comma-separated question,answer rows here (Quizlet, Anki).") var csv: String?
    @Option(help: "Write tab-separated rows here.") var tsv: String?

    func run() throws {
        guard apkg != nil || csv != nil || tsv != nil else {
            throw GradLabError.invalid("say where to write: --apkg OUT.apkg, --csv OUT.csv or --tsv OUT.tsv")
        }
        try OutputPath.check(apkg.map { .file($0, option: "--apkg") }, csv.map { .file($0, option: "--csv") }, tsv.map { .file($0, option: "--tsv") })
        let d = try BuiltinDeck.resolve(deck)
        if let apkg { try AnkiPackage.export(d, to: apkg); print("wrote \(apkg): \(d.cards.count) cards") }
        if let csv { try DelimitedCards.export(d, to: csv, format: .csv); print("wrote \(csv)") }
        if let tsv { try DelimitedCards.export(d, to: tsv, format: .tsv); print("wrote \(tsv)") }
    }
}

struct DeckImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Turn an Anki package or a CSV/TSV/Anki text export into a deck file.")
    @Argument(help: "An .apkg, .csv, .tsv or .txt file.") var file: String
    @Option(name: .shortAndLong, help: "The deck file to write.") var output: String

    func run() throws {
        try OutputPath.file(output, option: "--output").check()
        let deck = try CardFileFormat.importDeck(path: file)
        let text = DeckWriter.markdown(deck)
        _ = try DeckParser.parse(text, file: output)   // what is written must load
        try atomicWrite(Data(text.utf8), to: output)
        print("wrote \(output): \(deck.cards.count) cards from \(file)")
    }
}
