import Foundation
import GradLab

/// One run's directory and every file in it: the only place that knows the layout and how each
/// file is written and read. The experiment runner, the CLI, the reports and the run store all
/// go through it.
///
/// | file | what |
/// |---|---|
/// | `config.json` | the resolved config (`gradlab train --config` reruns it) |
/// | `metrics.jsonl` | one `StepRecord` per training step |
/// | `evals.jsonl` | one `EvalRecord` per test-set evaluation |
/// | `probe.jsonl` | the probe's record stream (`ProbeStream`); `.partial` while training |
/// | `verdicts.json` | the diagnosis, `[Verdict]` |
/// | `metrics.csv`, `probe.csv` | the same records as CSV |
/// | `tb/` | TensorBoard event files |
/// | `result.json` | the summary, written last: a run is finished exactly when it exists |
///
/// Every file is written atomically in the `JSONEncoder.records` spelling: non-finite numbers as
/// "NaN", "Infinity", "-Infinity", read back as numbers.
public struct RunDirectory: Sendable {
    public enum File: String, CaseIterable, Sendable {
        case config = "config.json", metrics = "metrics.jsonl", evals = "evals.jsonl", probe = "probe.jsonl"
        case probePartial = "probe.jsonl.partial", verdicts = "verdicts.json", result = "result.json"
        case metricsCSV = "metrics.csv", probeCSV = "probe.csv", tensorboard = "tb"
        /// A queued point's latest checkpoint, for the worker that takes it over.
        case checkpoint = "checkpoint.safetensors"
    }

    public let path: String
    public init(_ path: String) { self.path = path }

    public var name: String { (path as NSString).lastPathComponent }
    public func file(_ f: File) -> String { (path as NSString).appendingPathComponent(f.rawValue) }
    public func exists(_ f: File) -> Bool { FileManager.default.fileExists(atPath: file(f)) }

    // MARK: writing

    public func write(config: RunConfig) throws { try atomicWrite(Data(config.json.utf8), to: file(.config)) }
    public func write(metrics: [StepRecord]) throws { try writeLines(metrics, .metrics) }
    public func write(evals: [EvalRecord]) throws { try writeLines(evals, .evals) }
    public func write(verdicts: [Verdict]) throws { try atomicWrite(try JSONEncoder.records.encode(verdicts), to: file(.verdicts)) }
    public func write(result: RunResult) throws { try atomicWrite(try JSONEncoder.records.encode(result), to: file(.result)) }
    /// Moves the probe stream written during training into place (rename(2): atomic).
    public func finishProbeStream() throws {
        guard rename(file(.probePartial), file(.probe)) == 0 else {
            throw GradLabError.io("cannot move \(file(.probePartial)) to \(file(.probe)): \(String(cString: strerror(errno)))")
        }
    }

    func writeLines<T: Encodable>(_ records: [T], _ f: File) throws {
        let enc = JSONEncoder.records
        var text = ""
        for r in records { text += String(decoding: try enc.encode(r), as: UTF8.self) + "\n" }
        try atomicWrite(Data(text.utf8), to: file(f))
    }

    // MARK: reading

    public func readConfig() throws -> RunConfig { try RunConfig.load(file(.config)) }
    public func readMetrics() throws -> [StepRecord] { try readLines(.metrics) }
    public func readEvals() throws -> [EvalRecord] { try readLines(.evals) }
    public func readProbe() throws -> [ProbeStep] { try ProbeStream.read(file(.probe)) }
    /// The verdicts (none if the file is missing).
    public func readVerdicts() throws -> [Verdict] {
        guard let d = FileManager.default.contents(atPath: file(.verdicts)) else { return [] }
        return try JSONDecoder.records.decode([Verdict].self, from: d)
    }
    /// The result, or nil while the run is unfinished.
    public func readResult() -> RunResult? {
        guard let d = FileManager.default.contents(atPath: file(.result)) else { return nil }
        return try? JSONDecoder.records.decode(RunResult.self, from: d)
    }

    /// One record per line. A last line without its newline that does not parse is what a run
    /// killed mid-write leaves: it is skipped with a warning naming the file and line.
    func readLines<T: Decodable>(_ f: File) throws -> [T] {
        guard let text = try? String(contentsOfFile: file(f), encoding: .utf8) else { return [] }
        let dec = JSONDecoder.records
        let lines = text.split(separator: "\n")
        var out: [T] = []
        for (i, line) in lines.enumerated() {
            do { out.append(try dec.decode(T.self, from: Data(line.utf8))) } catch {
                if i == lines.count - 1 && !text.hasSuffix("\n") {
                    FileHandle.standardError.write(Data("warning: \(file(f)):\(i + 1): truncated last line skipped (the run was stopped mid-write)\n".utf8))
                    break
                }
                throw GradLabError.data("\(file(f)):\(i + 1): not a valid record")
            }
        }
        return out
    }
}

/// The summary of one finished run (`result.json`).
public struct RunResult: Codable, Sendable {
    public var name: String
    public var status: String            // "finished" or "stopped: <reason>"
    public var steps: Int
    public var finalLoss: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var verdicts: [String]
    /// ‖x‖²/N of the training inputs (for the mean-field prediction, without reloading the data).
    public var inputVariance: Double?
    /// What a constant answer scores on the training data (absent in runs recorded before it was).
    public var baseline: TaskBaseline?
    public var seconds: Double
    public var started: Date
    public var finished: Date
    enum CodingKeys: String, CodingKey {
        case name, status, steps, finalLoss = "final_loss", testLoss = "test_loss", testAccuracy = "test_accuracy"
        case verdicts, inputVariance = "input_variance", baseline, seconds, started, finished
    }

    public init(name: String, run: DiagnosticRun, started: Date) {
        let last = run.history.evals.last
        self.name = name
        status = run.history.stopReason.map { "stopped: \($0)" } ?? "finished"
        steps = run.history.steps.count
        finalLoss = run.history.steps.last?.loss
        testLoss = last?.loss; testAccuracy = last?.accuracy
        verdicts = run.all.map(\.line)
        inputVariance = run.inputVariance
        baseline = run.baseline
        seconds = Date().timeIntervalSince(started)
        self.started = started; finished = Date()
    }
}
