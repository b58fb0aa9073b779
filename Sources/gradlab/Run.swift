import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabExperiments
import GradLabReports
import GradLabKit
import GradLabStore

/// `gradlab run exp.yaml`: every point of an experiment (variants × sweep × seeds), in parallel
/// worker processes, resumable and shardable.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an experiment file (YAML): variants, grid or random sweeps, seeds.",
        discussion: """
        Each point's resolved config, metrics, probe records and verdicts go to
        <dir>/<experiment>/<index>-<point>/; result.json marks a point done. Rerunning the same
        command resumes: finished points are skipped, unfinished ones run again. --shard i/n runs
        every n-th point from i, for cluster job arrays, e.g. Slurm:
          gradlab run sweep.yaml --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
        With a PostgreSQL store, --enqueue puts the points in its work queue instead, for any
        number of `gradlab worker` processes on any number of machines:
          gradlab run sweep.yaml --store postgres://gradlab@db:5432/lab --enqueue
        Examples:
          gradlab run examples/experiments/sigmoid-vs-relu.yaml
          gradlab run examples/experiments/depth-sigma-sweep.yaml --workers 2
          gradlab run examples/experiments/depth-sigma-sweep.yaml --list
        """)

    @Argument(help: "Experiment file (YAML).") var file: String?
    @Option(help: "Runs directory.") var dir = "runs"
    @Option(help: "Run store: a runs directory or postgres://user@host:5432/db (default: GRADLAB_STORE, else the runs directory).") var store: String?
    @Flag(help: "Queue the points in the (PostgreSQL) store's work queue for `gradlab worker`, instead of running them here.") var enqueue = false
    @Option(help: "Parallel worker processes (default: the file's `workers`).") var workers: Int?
    @Option(help: "Run only shard i of n (i/n, 0-based).") var shard: String?
    @Flag(help: "List the points and whether each is done, then exit.") var list = false
    @Flag(name: .customLong("no-progress"), help: "No progress bar.") var noProgress = false
    @Option(help: .hidden) var point: String?
    @Option(help: .hidden) var name: String?
    @Option(help: .hidden) var experiment: String?
    @Option(help: .hidden) var tag: [String] = []
    @Option(help: .hidden) var hparam: [String] = []

    func run() throws {
        let location = try StoreLocation.resolve(store, fallback: dir)
        if let point {
            dieWithParent()
            _ = try PointJob.run(RunDirectory(point), name: name ?? point, store: location.argument, experiment: experiment, tags: tag, hparams: hparam)
            return
        }
        guard let file else { throw GradLabError.invalid("give an experiment file: gradlab run exp.yaml (see gradlab run --help)") }
        let exp = try Experiment.load(file)
        if enqueue {
            let points = try exp.queuedPoints()
            let added = try location.openQueue().enqueue(points)
            print("\(exp.name): queued \(added) points\(added < points.count ? " (\(points.count - added) were queued already)" : "") in \(location)")
            print("start workers: gradlab worker --store \(location) --dir \(dir)   watch: gradlab sweep status --store \(location)")
            return
        }
        try OutputPath.directory(dir, option: "--dir").check()
        let storeArgument = store.map { _ in ["--store", location.argument] } ?? []
        var shardPair = (0, 1)
        if let shard {
            let parts = shard.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let i = parts[0], let n = parts[1] else {
                throw GradLabError.invalid("shard '\(shard)' must be i/n, e.g. 0/4")
            }
            shardPair = (i, n)
        }
        let hparams = try exp.varyingKeys()
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let runner = try SweepRunner(experiment: exp, layout: RunLayout(root: dir), workers: workers ?? exp.workers, shard: shardPair,
                                     executable: FileManager.default.fileExists(atPath: exe.path) ? exe : URL(fileURLWithPath: CommandLine.arguments[0])) {
            ["run", "--point", $0, "--name", $1, "--dir", dir, "--experiment", exp.name] + storeArgument + exp.tags.flatMap { ["--tag", $0] } + hparams.flatMap { ["--hparam", $0.name] }
        }
        if list {
            for (p, d, done) in try runner.prepare() { print("\(done ? "done" : "todo")  \(p.name)  \(d)") }
            return
        }
        try ExperimentBoard.write(name: exp.name, hparams: hparams, layout: RunLayout(root: dir))
        let bar = ProgressBar(total: 1, label: exp.name, enabled: !noProgress)
        var total = 1
        let summary = try runner.run { done, all, name in
            if all != total { total = all }
            bar.update(done, name, total: all)
        }
        print("\(exp.name): \(summary.total) points, \(summary.skipped) already done, \(summary.finished) finished now\(summary.failed.isEmpty ? "" : ", \(summary.failed.count) failed: \(summary.failed.joined(separator: ", "))")")
        let expDir = RunLayout(root: dir).experimentDir(exp.name)
        print("results: \(expDir)")
        // The report of every finished run of the experiment (all shards that are done so far).
        if summary.finished + summary.skipped > 0 {
            let report = RunLayout.file(expDir, "report.html")
            try ReportCommand.write(paths: [expDir], out: report, title: "\(exp.name): \(exp.description)")
            print("report: \(report)")
        }
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}
