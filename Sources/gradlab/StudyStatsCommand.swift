import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

/// `gradlab study stats`: reviews per day, true retention and a due forecast.
struct StudyStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Reviews per day, true retention and a 30-day due forecast.")

    @Option(help: "Only this deck (its id, e.g. gradients). Default: every deck.") var deck: String?
    @Option(parsing: .unconditional, help: "Days of history and of forecast.") var days = 30
    @Option(help: "Also write the charts as an HTML page.") var html: String?
    @OptionGroup var options: StudyOptions

    func run() throws {
        if let html { try OutputPath.file(html, option: "--html").check() }
        guard days >= 1 else { throw GradLabError.invalid("--days \(days): give at least 1 day") }
        let store = try options.openStore()
        let known = try store.decks().map(\.id)
        if let deck, !known.contains(deck) {
            throw GradLabError.invalid("no deck '\(deck)' in \(store.path) — " + (known.isEmpty ? "study one first (gradlab study)" : "known: " + known.joined(separator: ", ")))
        }
        let stats = try StudyStats(store: store, deck: deck, now: Date(), days: days)
        print(stats.text())
        if let html {
            try atomicWrite(Data(stats.html(title: "Study statistics" + (deck.map { " — \($0)" } ?? "")).utf8), to: html)
            print("wrote \(html)")
        }
    }
}
