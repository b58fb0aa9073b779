import ArgumentParser
import Foundation
import GradLab
import GradLabStore

/// `gradlab sweep status|retry`: the work queue of a PostgreSQL store.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch and manage queued sweeps in a PostgreSQL store.",
        discussion: """
        Examples:
          gradlab sweep status --store postgres://gradlab@db:5432/lab
          gradlab sweep status --experiment depth-sweep --json
          gradlab sweep retry --experiment depth-sweep
          gradlab sweep bench --store postgres://gradlab@localhost:5432/lab --workers 8
        """,
        subcommands: [SweepStatusCommand.self, SweepRetry.self, SweepBench.self],
        defaultSubcommand: SweepStatusCommand.self)
}

/// The queue's store (`--store` or `GRADLAB_STORE`).
struct QueueLocation: ParsableArguments {
    @Option(help: "The PostgreSQL store: postgres://user@host:5432/db (default: GRADLAB_STORE).") var store: String?

    func open(for command: String) throws -> any SweepQueue { try StoreLocation.postgres(try url(for: command)).openQueue() }
    func url(for command: String) throws -> PostgresURL { try StoreLocation.requirePostgres(store, for: command) }
}

struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Queued, running, done and failed points, live workers, time left.")

    @OptionGroup var location: QueueLocation
    @Option(help: "Only this experiment.") var experiment: String?
    @Flag(help: "As one JSON object.") var json = false

    func run() throws {
        let s = try location.open(for: "gradlab sweep status").status(experiment: experiment)
        if json {
            let enc = JSONEncoder.records
            print(String(decoding: try enc.encode(s), as: UTF8.self))
            return
        }
        guard !s.experiments.isEmpty else {
            print(experiment.map { "nothing queued for experiment '\($0)'" } ?? "nothing queued; gradlab run EXP.yaml --store URL --enqueue queues a sweep")
            return
        }
        var rows = [["experiment", "queued", "running", "done", "failed", "mean", "left"]]
        for e in s.experiments {
            rows.append([e.name, "\(e.queued)", "\(e.running)", "\(e.done)", "\(e.failed)",
                         e.meanSeconds.map { String(format: "%.1f s", $0) } ?? "—", e.etaSeconds.map(Self.duration) ?? "—"])
        }
        print(RunsFormat.table(rows, rightAligned: [1, 2, 3, 4, 5, 6]))
        for e in s.experiments {
            let bar = Self.bar(done: e.done, failed: e.failed, running: e.running, total: e.total)
            print("\(e.name)  \(bar)  \(e.done)/\(e.total)")
        }
        print(s.workers.isEmpty ? "workers: none live" : "workers (\(s.workers.count) live):")
        for w in s.workers { print("  \(w.id)  \(w.point ?? "idle")  seen \(String(format: "%.0f", w.lastSeen)) s ago") }
        if !s.failures.isEmpty {
            print("failed points (gradlab sweep retry queues them again):")
            for f in s.failures { print("  \(f.experiment)/\(f.name) after \(f.attempts) attempt\(f.attempts == 1 ? "" : "s"): \(f.error)") }
        }
    }

    static func duration(_ s: Double) -> String {
        s < 90 ? String(format: "%.0f s", s) : s < 5400 ? String(format: "%.0f min", s / 60) : String(format: "%.1f h", s / 3600)
    }

    /// done █, failed ✗, running ▒, queued ·, in 40 columns.
    static func bar(done: Int, failed: Int, running: Int, total: Int) -> String {
        guard total > 0 else { return "" }
        let w = 40
        func cols(_ n: Int) -> Int { Int((Double(n) / Double(total) * Double(w)).rounded()) }
        let d = cols(done), f = cols(failed), r = min(cols(running), w - d - f)
        return String(repeating: "█", count: d) + String(repeating: "✗", count: f) + String(repeating: "▒", count: max(r, 0))
            + String(repeating: "·", count: max(w - d - f - r, 0))
    }
}

struct SweepRetry: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue failed points again.")

    @OptionGroup var location: QueueLocation
    @Option(help: "Only this experiment's failed points.") var experiment: String?

    func run() throws {
        let n = try location.open(for: "gradlab sweep retry").retry(experiment: experiment)
        print(n == 0 ? "no failed points\(experiment.map { " in \($0)" } ?? "")" : "queued \(n) failed point\(n == 1 ? "" : "s") again; start workers to run them")
    }
}

/// The work queue's benchmark: claims per second and per-point overhead over SQLite.
struct SweepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure the work queue: claims per second, per-point store overhead.")

    @OptionGroup var location: QueueLocation
    @Option(help: "Concurrent workers claiming (1…64).") var workers = 8
    @Option(help: "No-op points to claim (10…1000000).") var points = 4000
    @Option(name: .customLong("overhead-points"), help: "Points for the overhead comparison with SQLite (1…100000).") var overheadPoints = 200
    @Flag(help: "As one JSON object.") var json = false

    func run() throws {
        guard (1...64).contains(workers) else { throw GradLabError.invalid("--workers \(workers) must be in 1…64") }
        guard (10...1_000_000).contains(points) else { throw GradLabError.invalid("--points \(points) must be in 10…1000000") }
        guard (1...100_000).contains(overheadPoints) else { throw GradLabError.invalid("--overhead-points \(overheadPoints) must be in 1…100000") }
        let url = try location.url(for: "gradlab sweep bench")
        #if PostgreSQL
        let scratch = NSTemporaryDirectory() + "gradlab-queue-bench-\(getpid())"
        let r = try QueueBenchmark.run(url, workers: workers, points: points, overheadPoints: overheadPoints, scratch: scratch) {
            if !json { FileHandle.standardError.write(Data("… \($0)\n".utf8)) }
        }
        if json { print(String(decoding: try JSONEncoder.records.encode(r), as: UTF8.self)); return }
        print(String(format: "claims: %.0f per second with %d worker%@ (claim + complete: p50 %.2f ms, p99 %.2f ms; %d points)",
                     r.claimsPerSecond, r.workers, r.workers == 1 ? "" : "s", r.claimMillisecondsP50, r.claimMillisecondsP99, r.points))
        print(String(format: "per-point store overhead: PostgreSQL %.2f ms, SQLite %.2f ms (+%.2f ms a point; %d points)",
                     r.postgresMillisecondsPerPoint, r.sqliteMillisecondsPerPoint, r.postgresMillisecondsPerPoint - r.sqliteMillisecondsPerPoint, r.overheadPoints))
        #else
        throw StoreLocation.noPostgres
        #endif
    }
}
