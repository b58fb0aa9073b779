import ArgumentParser
import Foundation
import GradLab
import GradLabExperiments
import GradLabKit
import GradLabStore

/// `gradlab worker`: runs points from a PostgreSQL store's work queue until the sweep is done.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run queued sweep points from a PostgreSQL store (any number of workers, on any machines).",
        discussion: """
        Each worker claims one point at a time (SELECT … FOR UPDATE SKIP LOCKED) under a lease it
        renews every third of --lease. A worker that dies stops renewing; once its lease expires
        another worker takes the point over from its last checkpoint, which lives in the point's
        run directory under --dir: share that directory between machines (NFS, a ReadWriteMany
        volume) to resume there, else the point starts again from step 0 with the same numbers.
        A point is recorded done exactly once. The worker exits when no point is queued or
        running (--wait keeps it for new work).
        Examples:
          gradlab run sweep.yaml --store postgres://gradlab@db:5432/lab --enqueue
          gradlab worker --store postgres://gradlab@db:5432/lab --dir /shared/runs --jobs 2
          GRADLAB_STORE=postgres://gradlab@db:5432/lab gradlab worker --experiment depth-sweep
        """)

    @Option(help: "The PostgreSQL store: postgres://user@host:5432/db (default: GRADLAB_STORE).") var store: String?
    @Option(help: "Runs directory for the points' run directories and checkpoints (shared between machines).") var dir = "runs"
    @Option(help: "Worker processes on this machine (1…64).") var jobs = 1
    @Option(help: "Only points of this experiment.") var experiment: String?
    @Option(help: "Lease length in seconds (2…3600): how long a dead worker's point waits before another takes it.") var lease = 30.0
    @Option(name: .customLong("max-attempts"), help: "Claims of one point before it is marked failed (1…100).") var maxAttempts = 3
    @Option(name: .customLong("checkpoint-every"), help: "Steps between a point's checkpoints (0: a tenth of its steps).") var checkpointEvery = 0
    @Flag(help: "Keep waiting for new points when the queue is empty.") var wait = false

    func run() throws {
        guard (1...64).contains(jobs) else { throw GradLabError.invalid("--jobs \(jobs) must be in 1…64") }
        guard lease >= 2 && lease <= 3600 else { throw GradLabError.invalid("--lease \(lease) must be in 2…3600 seconds") }
        guard (1...100).contains(maxAttempts) else { throw GradLabError.invalid("--max-attempts \(maxAttempts) must be in 1…100") }
        guard checkpointEvery >= 0 else { throw GradLabError.invalid("--checkpoint-every \(checkpointEvery) must be ≥ 0 steps") }
        let location = StoreLocation.postgres(try StoreLocation.requirePostgres(store, for: "gradlab worker"))
        try OutputPath.directory(dir, option: "--dir").check()
        if jobs > 1 { return try runChildren() }
        var options = QueueWorker.Options()
        options.runsDirectory = dir; options.experiment = experiment; options.lease = lease
        options.maxAttempts = maxAttempts; options.checkpointEvery = checkpointEvery; options.wait = wait
        dieWithParent()
        let worker = try QueueWorker(location: location, options: options)
        print("worker \(worker.id): claiming points from \(location)")
        let s = try worker.run { print("[\(Self.clock())] \($0)") }
        print("worker \(worker.id): \(s.done) done, \(s.failed) failed\(s.lost > 0 ? ", \(s.lost) handed over after a lost lease" : ""); queue finished")
        if s.failed > 0 { throw ExitCode(1) }
    }

    /// `--jobs N`: N single-job worker processes that die with this one.
    private func runChildren() throws {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var args = CommandLine.arguments.dropFirst().map { $0 }
        if let i = args.firstIndex(where: { $0 == "--jobs" }), i + 1 < args.count { args.removeSubrange(i...(i + 1)) }
        args.removeAll { $0.hasPrefix("--jobs=") }
        let children = try (0..<jobs).map { _ -> Process in
            let p = Process()
            p.executableURL = FileManager.default.fileExists(atPath: exe.path) ? exe : URL(fileURLWithPath: CommandLine.arguments[0])
            p.arguments = args
            p.environment = ProcessInfo.processInfo.environment.merging(["GRADLAB_SWEEP_PARENT": "\(getpid())"]) { $1 }
            try p.run()
            return p
        }
        for c in children { c.waitUntilExit() }
        if let bad = children.first(where: { $0.terminationStatus != 0 }) { throw ExitCode(bad.terminationStatus) }
    }

    static func clock() -> String {
        let f = DateFormatter(); f.dateFormat = "HH:mm:ss"; f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date())
    }
}
