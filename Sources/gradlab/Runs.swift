import ArgumentParser
import Foundation
import GradLab
import GradLabStore

/// `gradlab runs`: the recorded runs of a runs directory — list and filter, show one, compare.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and compare recorded runs (runs/runs.sqlite, or a PostgreSQL store).",
        discussion: """
        Examples:
          gradlab runs                                   # every run, newest first
          gradlab runs --experiment depth-sweep --filter activation=relu --status finished
          gradlab runs --filter lr=1e-3 --filter depth=8 --json
          gradlab runs show 12
          gradlab runs compare 12 13 14
          gradlab runs --store postgres://gradlab@db.lab:5432/sweeps --experiment depth-sweep
        """,
        subcommands: [ListRuns.self, ShowRun.self, CompareRuns.self],
        defaultSubcommand: ListRuns.self)
}

/// Where the run database is: `--store` (a runs directory or a postgres:// URL), `--dir` (a runs
/// directory, as other commands spell it), else `GRADLAB_STORE`, else `runs`.
struct RunsDirectory: ParsableArguments {
    @Option(help: "Runs directory holding runs.sqlite (default: runs, or GRADLAB_STORE).") var dir: String?
    @Option(help: "The run store: a runs directory or postgres://user@host:5432/db (default: GRADLAB_STORE, else runs).") var store: String?

    func open() throws -> any RunStore {
        if dir != nil && store != nil { throw GradLabError.invalid("give --dir or --store, not both (--store takes a directory too)") }
        return try StoreLocation.resolve(store ?? dir).open(create: false)
    }
}

struct ListRuns: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs as a table, newest first.")

    @OptionGroup var location: RunsDirectory
    @Option(name: .customLong("filter"), help: "Config condition key=value (repeatable), e.g. activation=relu; numbers match by value.")
    var filters: [String] = []
    @Option(help: "Only runs of this experiment (sweep).") var experiment: String?
    @Option(help: "Only runs with this status: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).") var status: String?
    @Option(help: "Only runs whose name contains this (case-insensitive).") var name: String?
    @Option(help: "Only runs with this tag.") var tag: String?
    @Option(help: "At most this many runs.") var limit: Int?
    @Flag(help: "One JSON object per run and line.") var json = false

    func run() throws {
        if let limit, limit < 1 { throw GradLabError.invalid("limit \(limit) must be ≥ 1") }
        let filter = RunFilter(experiment: experiment, status: try status.map(RunStatus.named),
                               config: try filters.map(RunFilter.condition), nameContains: name, tag: tag, limit: limit)
        let runs = try location.open().listRuns(filter)
        if json {
            for r in runs { print(try RunsFormat.jsonLine(r)) }
            return
        }
        guard !runs.isEmpty else { print("no runs match"); return }
        let keys = RunsFormat.configKeys(runs)
        var rows = [["id", "name", "experiment", "status", "steps", "loss", "acc"] + keys]
        for r in runs {
            rows.append(["\(r.id)", r.name, r.experiment ?? "—", r.status.rawValue, "\(r.steps)",
                         RunsFormat.loss(r.final.loss), RunsFormat.percent(r.final.accuracy)] + keys.map { r.config[$0] ?? "—" })
        }
        print(RunsFormat.table(rows, rightAligned: [0, 4, 5, 6]))
    }
}

struct ShowRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One run's config, final metrics, verdicts and artifacts.")

    @OptionGroup var location: RunsDirectory
    @Argument(help: "Run id (as listed by 'gradlab runs').") var id: String
    @Flag(help: "Also print every recorded step's metrics.") var steps = false

    func run() throws {
        let d = try location.open().run(try RunsFormat.id(id))
        let s = d.summary
        print("run \(s.id)  \(s.name)  (\(s.experiment.map { "experiment \($0), " } ?? "")\(s.status.rawValue))")
        let wall = s.final.wallSeconds.map { String(format: ", %.1f s", $0) } ?? ""
        print("started \(RunsFormat.date(s.startedAt))\(wall), \(s.steps) steps\(s.tags.isEmpty ? "" : "; tags: " + s.tags.joined(separator: ", "))")
        print("final: loss \(RunsFormat.loss(s.final.loss)), accuracy \(RunsFormat.percent(s.final.accuracy))")
        if let m = s.message { print("message: \(m)") }
        print("recorded: \(d.metrics.count) steps, \(d.evals.count) evaluations, \(d.probeRows) probe rows, \(d.timeProbeRows) through-time rows")
        print("config:\n" + s.configJSON)
        print(d.verdicts.isEmpty ? "verdicts: none" : "verdicts:\n" + d.verdicts.map { "  ✗ \($0.line)" }.joined(separator: "\n"))
        if !d.artifacts.isEmpty { print("artifacts:\n" + d.artifacts.map { "  \($0.kind): \($0.path)" }.joined(separator: "\n")) }
        if steps {
            var rows = [["step", "loss", "acc", "grad norm", "lr"]]
            for m in d.metrics {
                rows.append(["\(m.step)", RunsFormat.loss(m.loss), RunsFormat.percent(m.accuracy),
                             m.gradNorm.map { String(format: "%.4g", $0) } ?? "—", m.learningRate.map { String(format: "%.3g", $0) } ?? "—"])
            }
            print(RunsFormat.table(rows, rightAligned: [0, 1, 2, 3, 4]))
        }
    }
}

struct CompareRuns: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Final metrics side by side and the config keys that differ.")

    @OptionGroup var location: RunsDirectory
    @Argument(help: "Two or more run ids.") var ids: [String] = []

    func run() throws {
        let c = try location.open().compare(try ids.map(RunsFormat.id))
        var rows = [[""] + c.runs.map { "#\($0.id)" }]
        rows.append(["name"] + c.runs.map(\.name))
        rows.append(["experiment"] + c.runs.map { $0.experiment ?? "—" })
        rows.append(["status"] + c.runs.map(\.status.rawValue))
        rows.append(["steps"] + c.runs.map { "\($0.steps)" })
        rows.append(["loss"] + c.runs.map { RunsFormat.loss($0.final.loss) })
        rows.append(["accuracy"] + c.runs.map { RunsFormat.percent($0.final.accuracy) })
        rows.append(["wall"] + c.runs.map { $0.final.wallSeconds.map { String(format: "%.1f s", $0) } ?? "—" })
        rows.append([c.differing.isEmpty ? "config: identical" : "config that differs:"] + c.runs.map { _ in "" })
        for (key, values) in c.differing { rows.append(["  " + key] + values.map { $0 ?? "—" }) }
        print(RunsFormat.table(rows, rightAligned: []))
    }
}

/// Text formats shared by the `runs` subcommands.
enum RunsFormat {
    static func id(_ s: String) throws -> RunID {
        guard let v = RunID(s), v > 0 else { throw GradLabError.invalid("run id '\(s)' must be a positive number, as listed by 'gradlab runs'") }
        return v
    }

    static func loss(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.4f", $0) : "\($0)" } ?? "—" }
    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }

    static func date(_ d: Date) -> String {
        let f = DateFormatter(); f.dateFormat = "yyyy-MM-dd HH:mm:ss"; f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: d)
    }

    /// The config keys worth a column: those that differ among the runs (at most 6), else a few
    /// that describe any run.
    static func configKeys(_ runs: [RunSummary]) -> [String] {
        let differing = RunComparison.of(runs).differing.map(\.key)
        if runs.count > 1 && !differing.isEmpty { return Array(differing.prefix(6)) }
        return ["model", "depth", "width", "activation", "optimizer", "lr"].filter { k in runs.contains { $0.config[k] != nil } }
    }

    static func jsonLine(_ r: RunSummary) throws -> String {
        let enc = JSONEncoder.records
        enc.outputFormatting.insert(.withoutEscapingSlashes)
        return String(decoding: try enc.encode(r), as: UTF8.self)
    }

    /// Columns padded to their widest cell (counted in characters, so "—" is one).
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return rightAligned.contains(c) ? pad + cell : (c == row.count - 1 ? cell : cell + pad)
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}
