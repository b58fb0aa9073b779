import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

/// `gradlab study bench`: start-up to the first card, the next-due query on a big store, a big import.
struct StudyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark study mode (build with -c release): start-up to first card, next-due query, deck import.",
        discussion: "Targets: first card ≤ 100 ms; next-due ≤ 5 ms with 100,000 cards and 1,000,000 reviews; 10,000-card import ≤ 2 s.")

    @Option(help: "Cards in the big store.") var cards = 100_000
    @Option(help: "Reviews in the big store.") var reviews = 1_000_000
    @Option(help: "Cards in the imported deck.") var importCards = 10_000
    @Option(help: "Launches timed for the start-up figure.") var launches = 15

    func run() throws {
        guard cards >= 1, reviews >= 0, importCards >= 1, launches >= 1 else {
            throw GradLabError.invalid("--cards, --import-cards and --launches must be at least 1, --reviews at least 0")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-study-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let startup = try launchesToFirstCard(store: dir + "/startup.sqlite")
        print(String(format: "start-up to first card (built-in deck, no experiment): median %.1f ms, first launch (new store) %.1f ms over %d launches  [target ≤ 100 ms]",
                     startup.median * 1000, startup.first * 1000, launches))
        let importSeconds = try StudyBench.importTime(count: importCards, path: dir + "/import.sqlite")
        print(String(format: "import a %d-card deck (parse + store): %.2f s  [target ≤ 2 s]", importCards, importSeconds))
        FileHandle.standardError.write("filling a store with \(cards) cards and \(reviews) reviews…\n".data(using: .utf8)!)
        let fill = DispatchTime.now().uptimeNanoseconds
        let store = try StudyBench.populate(path: dir + "/big.sqlite", cards: cards, reviews: reviews)
        let filled = Double(DispatchTime.now().uptimeNanoseconds - fill) / 1e9
        let query = try StudyBench.nextDueTime(store: store)
        print(String(format: "next-due query, %d cards and %d reviews: median %.3f ms  [target ≤ 5 ms] (store filled in %.1f s)",
                     cards, reviews, query * 1000, filled))
    }

    /// Launches `gradlab study` with no input and times until the first card's text is on stdout.
    func launchesToFirstCard(store: String) throws -> (first: Double, median: Double) {
        let firstFront = try BuiltinDeck.gradients.load().cards[0].front.components(separatedBy: "\n")[0]
        var times: [Double] = []
        for _ in 0..<launches {
            let p = Process(), out = Pipe()
            p.executableURL = Bundle.main.executableURL
            p.arguments = ["study", "--store", store]
            p.standardInput = FileHandle.nullDevice; p.standardOutput = out; p.standardError = FileHandle.nullDevice
            let start = DispatchTime.now().uptimeNanoseconds
            try p.run()
            var seen = ""
            while !seen.contains(firstFront) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            guard seen.contains(firstFront) else { throw GradLabError.io("the study command did not show the first card: \(seen.prefix(200))") }
            p.waitUntilExit()
        }
        return (times[0], times.sorted()[times.count / 2])
    }
}
