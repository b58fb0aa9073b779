import Foundation
import GradLab
import GradLabDiagnostics

/// Identifies one run in a store (the database's row id; stable, never reused).
package typealias RunID = Int64

/// Where a run stands: `running` until it is finished, failed (training stopped on its own, e.g.
/// a non-finite loss, or crashed), stopped (ended on purpose before its last step) or interrupted
/// (its process was shut down mid-run, after checkpointing it).
package enum RunStatus: String, Codable, CaseIterable, Sendable {
    case running, finished, failed, stopped, interrupted

    /// Parses a status name; the error lists the allowed names.
    package static func named(_ s: String) throws -> RunStatus {
        guard let v = RunStatus(rawValue: s) else {
            throw GradLabError.invalid("status '\(s)' is not known; allowed: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}

/// What starting a run records: its name, the experiment (sweep) it belongs to, its config as a
/// JSON object (flat keys, e.g. `RunConfig.json`), free-form tags and when it started.
package struct NewRun: Sendable {
    package var name: String
    package var experiment: String?
    package var configJSON: String
    package var tags: [String]
    package var startedAt: Date

    package init(name: String, experiment: String? = nil, configJSON: String, tags: [String] = [], startedAt: Date = Date()) {
        self.name = name; self.experiment = experiment; self.configJSON = configJSON; self.tags = tags; self.startedAt = startedAt
    }

    package init(name: String, experiment: String? = nil, config: RunConfig, tags: [String] = [], startedAt: Date = Date()) {
        self.init(name: name, experiment: experiment, configJSON: config.json, tags: tags, startedAt: startedAt)
    }
}

/// One training step's metrics as stored (`StepRecord` without the trainer). A NaN (a diverged
/// loss) reads back as missing.
package struct MetricRow: Codable, Equatable, Sendable {
    package var step: Int
    package var epoch: Int
    package var loss: Double?
    package var accuracy: Double?
    package var gradNorm: Double?
    package var learningRate: Double?

    package init(step: Int, epoch: Int = 0, loss: Double?, accuracy: Double? = nil, gradNorm: Double? = nil, learningRate: Double? = nil) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.accuracy = accuracy
        self.gradNorm = gradNorm; self.learningRate = learningRate
    }

    package init(_ r: StepRecord) {
        self.init(step: r.step, epoch: r.epoch, loss: r.loss, accuracy: r.accuracy, gradNorm: r.gradNorm, learningRate: r.learningRate)
    }
}

/// A held-out evaluation as stored.
package struct EvalRow: Codable, Equatable, Sendable {
    package var step: Int
    package var loss: Double?
    package var accuracy: Double?

    package init(step: Int, loss: Double?, accuracy: Double? = nil) { self.step = step; self.loss = loss; self.accuracy = accuracy }
    package init(_ r: EvalRecord) { self.init(step: r.step, loss: r.loss, accuracy: r.accuracy) }
}

/// How a run ended: the test-set loss and accuracy of its last evaluation (else its last training
/// step's), the steps it ran and its wall-clock time.
package struct FinalMetrics: Codable, Equatable, Sendable {
    package var loss: Double?
    package var accuracy: Double?
    package var wallSeconds: Double?

    package init(loss: Double? = nil, accuracy: Double? = nil, wallSeconds: Double? = nil) {
        self.loss = loss; self.accuracy = accuracy; self.wallSeconds = wallSeconds
    }
}

/// A file a run produced (checkpoint, report, probe stream…), relative to the runs directory.
package struct Artifact: Codable, Equatable, Sendable {
    package var kind: String
    package var path: String
    package init(kind: String, path: String) { self.kind = kind; self.path = path }
}

/// One run as listed: identity, status, progress, final metrics and flattened config values.
/// As JSON (`runs --json`), `config` keeps each value's type: numbers, booleans and strings as
/// the run's config file has them.
package struct RunSummary: Encodable, Equatable, Sendable {
    package var id: RunID
    package var name: String
    package var experiment: String?
    package var status: RunStatus
    package var tags: [String]
    package var startedAt: Date
    package var finishedAt: Date?
    /// Steps recorded so far (highest step + 1).
    package var steps: Int
    package var final: FinalMetrics
    /// Why the run failed or stopped, if it said.
    package var message: String?
    /// Top-level config keys and their values as text (numbers in Swift's shortest form,
    /// booleans as true/false; missing keys are absent).
    package var config: [String: String]
    package var configJSON: String

    enum CodingKeys: String, CodingKey {
        case id, name, experiment, status, tags, startedAt, finishedAt, steps, final, message, config, configJSON
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(experiment, forKey: .experiment)
        try c.encode(status, forKey: .status)
        try c.encode(tags, forKey: .tags)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try c.encode(steps, forKey: .steps)
        try c.encode(final, forKey: .final)
        try c.encodeIfPresent(message, forKey: .message)
        let typed = try? JSONDecoder().decode([String: JSONValue].self, from: Data(configJSON.utf8))
        try c.encode(typed?.filter { $0.value != .null } ?? config.mapValues(JSONValue.string), forKey: .config)
        try c.encode(configJSON, forKey: .configJSON)
    }
}

/// One run with everything recorded about it.
package struct RunDetail: Sendable {
    package var summary: RunSummary
    package var metrics: [MetricRow]
    package var evals: [EvalRow]
    package var verdicts: [Verdict]
    package var artifacts: [Artifact]
    /// Rows of per-layer probe statistics and of through-time statistics.
    package var probeRows: Int
    package var timeProbeRows: Int
}

/// Which runs to list; every condition given must hold.
package struct RunFilter: Sendable {
    package var experiment: String?
    package var status: RunStatus?
    /// Config conditions `key = value`; numbers compare by value (`lr=1e-3` matches 0.001).
    package var config: [(key: String, value: String)]
    /// Case-insensitive substring of the run's name.
    package var nameContains: String?
    package var tag: String?
    /// At most this many runs, newest first (nil: all).
    package var limit: Int?

    package init(experiment: String? = nil, status: RunStatus? = nil, config: [(key: String, value: String)] = [],
                nameContains: String? = nil, tag: String? = nil, limit: Int? = nil) {
        self.experiment = experiment; self.status = status; self.config = config
        self.nameContains = nameContains; self.tag = tag; self.limit = limit
    }

    /// Parses `key=value` (e.g. `activation=relu`).
    package static func condition(_ s: String) throws -> (key: String, value: String) {
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex else {
            throw GradLabError.invalid("filter '\(s)' must be key=value, e.g. activation=relu")
        }
        return (String(s[..<eq]).trimmingCharacters(in: .whitespaces), String(s[s.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
    }
}

/// Runs side by side: their summaries (in the order asked) and the config keys whose values
/// are not the same in all of them, with each run's value (nil: key absent).
package struct RunComparison: Sendable {
    package var runs: [RunSummary]
    package var differing: [(key: String, values: [String?])]
}

/// Where runs are recorded: `SQLiteRunStore` (a runs directory) or `PostgresRunStore` (a database
/// many machines share; `StoreLocation` opens either). Writes may come from several processes at
/// once (parallel sweep workers); each call is atomic. Calls naming a run that does not exist throw `GradLabError`.
package protocol RunStore: AnyObject {
    /// Starts a run (status `running`) and returns its id.
    func createRun(_ run: NewRun) throws -> RunID
    /// Appends training-step metrics; a step recorded again replaces the earlier row.
    func appendMetrics(_ run: RunID, _ rows: [MetricRow]) throws
    func appendEvals(_ run: RunID, _ rows: [EvalRow]) throws
    /// Appends probe records: each step's per-layer statistics and through-time statistics.
    func appendProbe(_ run: RunID, _ steps: [ProbeStep]) throws
    /// Records the run's verdicts, replacing any recorded before (so a resumed run's end, written
    /// again, leaves one set).
    func recordVerdicts(_ run: RunID, _ verdicts: [Verdict]) throws
    /// Records a file the run produced; the same kind and path recorded again is kept once.
    func recordArtifact(_ run: RunID, _ artifact: Artifact) throws
    /// Ends a run: its status (not `running`), final metrics and an optional reason.
    func finishRun(_ run: RunID, status: RunStatus, final: FinalMetrics, message: String?) throws
    /// Runs matching `filter`, newest first.
    func listRuns(_ filter: RunFilter) throws -> [RunSummary]
    /// One run with its metrics, verdicts and artifacts.
    func run(_ id: RunID) throws -> RunDetail
    /// Final metrics side by side and the config keys that differ.
    func compare(_ ids: [RunID]) throws -> RunComparison
}

extension RunStore {
    package func appendMetrics(_ run: RunID, steps: [StepRecord]) throws { try appendMetrics(run, steps.map(MetricRow.init)) }
    package func appendEvals(_ run: RunID, evals: [EvalRecord]) throws { try appendEvals(run, evals.map(EvalRow.init)) }
    package func finishRun(_ run: RunID, status: RunStatus, final: FinalMetrics) throws {
        try finishRun(run, status: status, final: final, message: nil)
    }
    package func listRuns() throws -> [RunSummary] { try listRuns(RunFilter()) }

    /// Compares from the runs' summaries; stores may override with a single query.
    package func compare(_ ids: [RunID]) throws -> RunComparison {
        guard ids.count >= 2 else { throw GradLabError.invalid("compare needs at least two run ids, got \(ids.count)") }
        return RunComparison.of(try ids.map { try run($0).summary })
    }
}

extension RunComparison {
    /// Side by side: every key present in some run whose value is not the same in all of them.
    package static func of(_ runs: [RunSummary]) -> RunComparison {
        let keys = Set(runs.flatMap(\.config.keys)).sorted()
        let differing = keys.compactMap { key -> (key: String, values: [String?])? in
            let values = runs.map { $0.config[key] }
            return Set(values.map { $0 ?? "\u{0}" }).count > 1 ? (key, values) : nil
        }
        return RunComparison(runs: runs, differing: differing)
    }
}
