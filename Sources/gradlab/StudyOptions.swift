import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

/// Where the review store is and how cards are scheduled: shared by `study`, `quiz` and `study stats`.
struct StudyOptions: ParsableArguments {
    @Option(help: "The review store (SQLite). Default: \(StudyStore.defaultPath).") var store: String?
    @Option(help: "Scheduler: fsrs (FSRS-6, as Anki since 23.10) or sm2 (SuperMemo-2).") var scheduler = "fsrs"
    @Option(help: "FSRS: the probability of recall to aim for when a card falls due, in (0, 1).") var retention = 0.9
    @Option(help: "FSRS: longest interval in days.") var maximumInterval = 36500
    @Option(help: "FSRS: seed of the interval fuzz.") var fuzzSeed: UInt64 = 0
    @Flag(help: "FSRS: no interval fuzz (intervals exactly as the model gives them).") var noFuzz = false

    func openStore() throws -> StudyStore {
        if let store { try OutputPath.file(store, option: "--store").check() }
        return try StudyStore(path: store ?? StudyStore.defaultPath)
    }

    func makeScheduler() throws -> any Scheduler {
        let kind = try SchedulerKind.parse(scheduler)
        return try kind.make(fsrs: FSRSConfiguration(desiredRetention: retention, maximumInterval: maximumInterval,
                                                     fuzz: noFuzz ? .off : .seeded(fuzzSeed)))
    }
}
