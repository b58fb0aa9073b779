import Foundation
import GradLab

/// The study benchmarks that need no child process: the next-due query on a large store and the
/// import of a large deck. (Start-up to the first card is timed by the CLI, which launches itself.)
public enum StudyBench {
    /// A deck file of `count` one-line cards in `sections` sections.
    public static func syntheticDeck(count: Int, sections: Int = 100) -> String {
        var text = "---\ntitle: Synthetic \(count)\nid: synthetic\n---\n"
        for s in 0..<sections {
            text += "\n# Section \(s)\n"
            for k in stride(from: s, to: count, by: sections) { text += "question \(k) :: answer \(k)\n" }
        }
        return text
    }

    /// Seconds to parse and import a `count`-card deck into a fresh store at `path`.
    public static func importTime(count: Int, path: String) throws -> Double {
        let text = syntheticDeck(count: count)
        let start = DispatchTime.now().uptimeNanoseconds
        let deck = try DeckParser.parse(text, file: "synthetic.md")
        try StudyStore(path: path).importDeck(deck)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Fills a fresh store with `cards` cards and `reviews` reviews spread over them and over the
    /// past two years (seeded); returns the store.
    public static func populate(path: String, cards: Int, reviews: Int, seed: UInt64 = 1) throws -> StudyStore {
        let store = try StudyStore(path: path)
        let deck = try DeckParser.parse(syntheticDeck(count: cards), file: "synthetic.md")
        let now = Date()
        try store.importDeck(deck, at: now)
        var random = SeededRandom(seed: seed)
        let perCard = max(1, reviews / cards)
        var batch: [ReviewRecord] = []
        batch.reserveCapacity(100_000)
        for (k, card) in deck.cards.enumerated() {
            var time = now.addingTimeInterval(-730 * 86_400 * random.uniform())
            var memory = Memory.fresh(at: time)
            for r in 0..<perCard where k * perCard + r < reviews {
                var after = memory
                after.state = .review; after.reps += 1; after.lastReview = time
                after.stability = 1 + 100 * random.uniform(); after.difficulty = 1 + 9 * random.uniform()
                after.due = time.addingTimeInterval(86_400 * after.stability!)
                batch.append(ReviewRecord(id: 0, deckID: deck.id, cardID: card.id, time: time, rating: Rating(rawValue: 1 + random.int(below: 4))!,
                                          elapsedDays: nil, scheduler: .fsrs, kind: .study, before: memory, after: after))
                memory = after
                time = after.due
            }
            if batch.count >= 100_000 { try store.appendHistory(batch); batch.removeAll(keepingCapacity: true) }
        }
        try store.appendHistory(batch)
        return store
    }

    /// Median seconds of the next-due query (the earliest due card, as a session asks) over `runs`.
    public static func nextDueTime(store: StudyStore, runs: Int = 200) throws -> Double {
        var times: [Double] = []
        let now = Date()
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try store.dueCards(deck: nil, now: now, limit: 1)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
