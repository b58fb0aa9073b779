import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

/// `gradlab study`: flashcards with spaced repetition in the terminal.
struct Study: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Review flashcards with spaced repetition (FSRS); each answer can run its experiment.",
        discussion: """
        Keys: space or enter flips, 1 again · 2 hard · 3 good · 4 easy, e runs the card's experiment,
        u undoes the last rating, q saves and quits. Without a terminal, one command per line of stdin.
        Examples:
          gradlab study                          # the built-in deck "Vanishing and exploding gradients"
          gradlab study my-notes.md --new-per-day 10
          gradlab study stats --html study.html
        """,
        subcommands: [StudyCards.self, StudyStatsCommand.self, StudyBenchCommand.self],
        defaultSubcommand: StudyCards.self)
}

struct StudyCards: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cards", abstract: "Study due and new cards (the default).")

    @Argument(help: "A deck file (Markdown), or a built-in deck name (gradients). Default: gradients.") var deck: String?
    @OptionGroup var options: StudyOptions
    @Option(parsing: .unconditional, help: "New cards per day.") var newPerDay = 20
    @Option(parsing: .unconditional, help: "Reviews per day (new cards included).") var reviewsPerDay = 200
    @Option(help: "Where card experiments cache their results. Default: beside the store.") var cache: String?

    func run() throws {
        let limits = try StudyLimits(newPerDay: newPerDay, reviewsPerDay: reviewsPerDay)
        let scheduler = try options.makeScheduler()
        let parsed = try BuiltinDeck.resolve(deck)
        let store = try options.openStore()
        try store.importDeck(parsed)
        let session = try StudySession(store: store, scheduler: scheduler, deck: parsed.id, limits: limits, now: Date())
        let lab = CardLab(cacheDirectory: cache ?? ((store.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("experiments"))
        let keyboard = Keyboard()
        keyboard.start()
        defer { keyboard.restore() }
        try StudyLoop(session: session, deck: parsed, keyboard: keyboard, lab: lab).run()
        keyboard.restore()
        let p = try session.progress()
        print("studied \(p.done) card\(p.done == 1 ? "" : "s"); \(p.left) left today; saved to \(store.path)")
    }
}

/// The card-by-card loop shared by both keyboards: front, flip, back, rate (or undo, experiment, quit).
struct StudyLoop {
    let session: StudySession
    let deck: Deck
    let keyboard: Keyboard
    let lab: CardLab

    func run() throws {
        var flipped = false
        var note = ""
        while let stored = session.current {
            let card = stored.card
            let path = card.section.first == deck.title ? Array(card.section.dropFirst()) : card.section   // a heading that repeats the title
            var screen = deck.title + (path.isEmpty ? "" : " › " + path.joined(separator: " › ")) + "\n\n"
            screen += card.front + "\n"
            if flipped {
                screen += "\n─── answer ───\n" + card.back + "\n"
                if let e = card.explain { screen += "\nwhy: " + e + "\n" }
                if !note.isEmpty { screen += "\n" + note + "\n" }
                screen += "\n[1] again  [2] hard  [3] good  [4] easy" + (card.experiment != nil ? "  [e] run the experiment" : "") + "  [u] undo  [q] quit"
            } else {
                screen += "\n[space/enter] show the answer  [u] undo  [q] quit"
            }
            screen += "\n" + (try session.progressLine())
            keyboard.show(screen)
            guard let key = keyboard.next() else { return }
            switch key {
            case "q": return
            case "u":
                note = try session.undo() ? "" : "nothing to undo yet"
                flipped = false
            case " " where !flipped:
                flipped = true
            case "1", "2", "3", "4" where flipped:
                try session.rate(Rating(rawValue: Int(String(key))!)!, at: Date())
                flipped = false; note = ""
            case "e" where flipped:
                if card.experiment != nil {
                    keyboard.show(screen + "\n\nrunning the experiment…")
                    note = lab.explainRun(card)
                } else { note = "this card has no experiment" }
            default:
                note = flipped ? "press 1–4 to rate, e, u or q" : "press space or enter to see the answer"
                if !flipped { keyboard.show(screen + "\n" + note); note = "" }
            }
        }
        keyboard.show("No more cards due today. " + (try session.progressLine()))
    }
}
