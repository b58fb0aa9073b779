import Foundation
import GradLab
import GradLabDiagnostics

/// Where an experiment's runs live: `<root>/<experiment>/<index>-<point name>/`, each holding
/// `config.json` (the resolved config: rerun it with `gradlab train --config`), `metrics.jsonl`,
/// `probe.jsonl`, `verdicts.json` and, written last, `result.json` — a point is done exactly when
/// its result exists.
public struct RunLayout: Sendable {
    public let root: String
    public init(root: String) { self.root = root }

    public func experimentDir(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }
    public func pointDir(_ experiment: String, _ point: Experiment.Point) -> String {
        let safe = point.name.map { $0.isLetter || $0.isNumber || "._-=,".contains($0) ? $0 : "_" }
        return (experimentDir(experiment) as NSString).appendingPathComponent(String(format: "%04d-", point.index) + String(safe))
    }
    public static func file(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
}

/// The summary of one finished point (`result.json`).
public struct PointResult: Codable, Sendable {
    public var name: String
    public var status: String            // "finished" or "stopped: <reason>"
    public var steps: Int
    public var finalLoss: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var verdicts: [String]
    public var seconds: Double
    public var started: Date
    public var finished: Date
    enum CodingKeys: String, CodingKey {
        case name, status, steps, finalLoss = "final_loss", testLoss = "test_loss", testAccuracy = "test_accuracy"
        case verdicts, seconds, started, finished
    }

    public static func read(_ dir: String) -> PointResult? {
        guard let d = FileManager.default.contents(atPath: RunLayout.file(dir, "result.json")) else { return nil }
        return try? JSONDecoder.records.decode(PointResult.self, from: d)
    }
}

/// Runs one point in this process: train with the probe on, diagnose, write every output
/// atomically and `result.json` last.
public enum PointRunner {
    /// Extra things to do with a run (the run store, TensorBoard): called before training with
    /// the point's directory, name, config, trainer and probe; the closure returned is called
    /// after training with the history and the verdicts.
    public typealias Hook = (_ dir: String, _ name: String, _ config: RunConfig, Trainer<Float>, Probe) throws -> ((History, [Verdict]) throws -> Void)
    nonisolated(unsafe) public static var hooks: [Hook] = []

    public static func run(dir: String, name: String, probeEvery: Int) throws -> PointResult {
        let configPath = RunLayout.file(dir, "config.json")
        let config = try RunConfig.load(configPath)
        let started = Date()
        Backend.setThreads(config.threads)
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try config.build()
        let probe = try Probe(model: trainer.model, options: Probe.Options(every: probeEvery), jsonl: RunLayout.file(dir, "probe.jsonl.partial"))
        probe.attach(to: trainer)
        let finishers = try hooks.map { try $0(dir, name, config, trainer, probe) }
        let history = try trainer.fit(train, test: test, steps: config.steps,
                                      evalEvery: config.evalEvery == 0 ? config.steps : config.evalEvery)
        let verdicts = Diagnosis.run(probe.steps)
        let enc = JSONEncoder.records
        let metrics = try history.steps.map { String(data: try enc.encode($0), encoding: .utf8)! }.joined(separator: "\n") + "\n"
        try atomicWrite(Data(metrics.utf8), to: RunLayout.file(dir, "metrics.jsonl"))
        let evals = try history.evals.map { String(data: try enc.encode($0), encoding: .utf8)! }.joined(separator: "\n") + "\n"
        try atomicWrite(Data(evals.utf8), to: RunLayout.file(dir, "evals.jsonl"))
        try FileManager.default.moveItemReplacing(RunLayout.file(dir, "probe.jsonl.partial"), to: RunLayout.file(dir, "probe.jsonl"))
        let verdictObjects = verdicts.map { ["kind": $0.kind.rawValue, "line": $0.line, "explanation": $0.explanation, "remedies": $0.remedies] as [String: Any] }
        try atomicWrite(try JSONSerialization.data(withJSONObject: verdictObjects, options: [.sortedKeys, .prettyPrinted]),
                        to: RunLayout.file(dir, "verdicts.json"))
        for f in finishers { try f(history, verdicts) }
        let last = history.evals.last
        let result = PointResult(name: name, status: history.stopReason.map { "stopped: \($0)" } ?? "finished",
                                 steps: history.steps.count, finalLoss: history.steps.last?.loss,
                                 testLoss: last?.loss, testAccuracy: last?.accuracy, verdicts: verdicts.map(\.line),
                                 seconds: Date().timeIntervalSince(started), started: started, finished: Date())
        try atomicWrite(try enc.encode(result), to: RunLayout.file(dir, "result.json"))
        return result
    }
}

extension FileManager {
    /// Renames `src` over `dst` (rename(2): atomic on one file system).
    func moveItemReplacing(_ src: String, to dst: String) throws {
        guard rename(src, dst) == 0 else { throw GradLabError.io("cannot move \(src) to \(dst): \(String(cString: strerror(errno)))") }
    }
}
