import Foundation
import GradLab
import GradLabDiagnostics

/// Runs an experiment's points with a bounded number of worker processes.
///
/// - Resumable: a point is done when its `result.json` exists; a rerun skips done points and
///   redoes only unfinished ones (a killed worker leaves no result). Workers die with the parent
///   (Linux parent-death signal), so no orphan keeps writing after a kill.
/// - Shardable: `shard (i, n)` takes the points whose index ≡ i (mod n), so a cluster's job
///   array (Slurm `--array`, Kubernetes Indexed Jobs) splits a sweep across machines, each task
///   running `gradlab run exp.yaml --shard $INDEX/$COUNT` on a shared runs directory.
package final class SweepRunner {
    package let experiment: Experiment
    package let layout: RunLayout
    package let workers: Int
    package let shard: (index: Int, count: Int)
    /// The command that runs one point: arguments for `executable`, given the point's dir and name.
    package let executable: URL
    package let pointArguments: (String, String) -> [String]

    package struct Summary: Sendable {
        package var total: Int, skipped: Int, finished: Int, failed: [String]
    }

    package init(experiment: Experiment, layout: RunLayout, workers: Int, shard: (Int, Int) = (0, 1), executable: URL,
                pointArguments: @escaping (String, String) -> [String]) throws {
        guard shard.1 >= 1, shard.0 >= 0, shard.0 < shard.1 else {
            throw GradLabError.invalid("shard \(shard.0)/\(shard.1) must be i/n with 0 ≤ i < n (e.g. --shard 0/4)")
        }
        guard workers >= 1 && workers <= 64 else { throw GradLabError.invalid("workers \(workers) must be in 1…64") }
        self.experiment = experiment; self.layout = layout; self.workers = workers; self.shard = shard
        self.executable = executable; self.pointArguments = pointArguments
    }

    /// This shard's points, with their directories (created, configs written) and whether done.
    package func prepare() throws -> [(point: Experiment.Point, dir: String, done: Bool)] {
        let all = try experiment.points().filter { $0.index % shard.count == shard.index }
        let fm = FileManager.default
        try fm.createDirectory(atPath: layout.experimentDir(experiment.name), withIntermediateDirectories: true)
        try atomicWrite(Data(experiment.sourceText.utf8), to: RunLayout.file(layout.experimentDir(experiment.name), "experiment.yaml"))
        return try all.map { p in
            let dir = layout.pointDir(experiment.name, p)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let configPath = RunDirectory(dir).file(.config)
            if let old = try? RunConfig.load(configPath), old != p.config {
                throw GradLabError.invalid("\(dir) holds a run of a different config; give the changed experiment a new name or delete that directory")
            }
            if !fm.fileExists(atPath: configPath) { try atomicWrite(Data(p.config.json.utf8), to: configPath) }
            return (p, dir, RunDirectory(dir).readResult() != nil)
        }
    }

    /// Runs every unfinished point of this shard; `progress(done, total, name)` after each.
    package func run(progress: ((Int, Int, String) -> Void)? = nil) throws -> Summary {
        let points = try prepare()
        let todo = points.filter { !$0.done }
        var summary = Summary(total: points.count, skipped: points.count - todo.count, finished: 0, failed: [])
        var next = 0, running: [(name: String, dir: String, process: Process)] = []
        var done = summary.skipped
        let exited = DispatchSemaphore(value: 0)
        progress?(done, points.count, "\(summary.skipped) already done")
        while next < todo.count || !running.isEmpty {
            while running.count < workers && next < todo.count {
                let (p, dir, _) = todo[next]; next += 1
                let proc = Process()
                proc.executableURL = executable
                proc.arguments = pointArguments(dir, p.name)
                proc.standardOutput = FileHandle.nullDevice
                proc.standardError = FileHandle(forWritingAtPath: "/dev/null")
                let log = RunLayout.file(dir, "log.txt")
                _ = FileManager.default.createFile(atPath: log, contents: nil)
                if let h = FileHandle(forWritingAtPath: log) { proc.standardOutput = h; proc.standardError = h }
                proc.terminationHandler = { _ in exited.signal() }
                proc.environment = ProcessInfo.processInfo.environment.merging(["GRADLAB_SWEEP_PARENT": "\(getpid())"]) { $1 }
                try proc.run()
                running.append((p.name, dir, proc))
            }
            exited.wait()      // one worker has finished
            for (i, r) in running.enumerated().reversed() where !r.process.isRunning {
                running.remove(at: i)
                done += 1
                if RunDirectory(r.dir).readResult() != nil { summary.finished += 1 } else { summary.failed.append(r.name) }
                progress?(done, points.count, r.name)
            }
        }
        return summary
    }
}

/// Makes this process die when its parent does (Linux `prctl(PR_SET_PDEATHSIG, SIGKILL)`), for
/// sweep workers: a killed sweep leaves no orphan writing into the runs directory. The sweep
/// passes its pid, so a worker whose sweep died while it was starting exits at once.
package func dieWithParent() {
    #if os(Linux)
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
    _ = unsafeBitCast(sym, to: Prctl.self)(1 /* PR_SET_PDEATHSIG */, UInt(SIGKILL), 0, 0, 0)
    if let expected = ProcessInfo.processInfo.environment["GRADLAB_SWEEP_PARENT"].flatMap(Int32.init), getppid() != expected { exit(1) }
    #endif
}
