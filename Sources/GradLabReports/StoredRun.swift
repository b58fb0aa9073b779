import Foundation
import GradLab
import GradLabDiagnostics

/// One stored run, read back from its `RunDirectory`: config, metrics, probe records, verdicts.
package struct StoredRun {
    package var name: String
    package var dir: String
    package var config: RunConfig
    package var steps: [StepRecord]
    package var evals: [EvalRecord]
    package var probe: [ProbeStep]
    package var verdicts: [Verdict]
    /// ‖x‖²/N of the training inputs, from `result.json` (for the mean-field prediction).
    package var inputVariance: Double?

    package static func load(_ dir: String) throws -> StoredRun {
        let d = RunDirectory(dir)
        let run = StoredRun(name: d.name, dir: dir, config: try d.readConfig(), steps: try d.readMetrics(), evals: try d.readEvals(),
                            probe: try d.readProbe(), verdicts: try d.readVerdicts(), inputVariance: d.readResult()?.inputVariance)
        guard !run.steps.isEmpty else { throw GradLabError.data("\(dir): no metrics yet (is the run finished? its result.json marks it done)") }
        return run
    }

    /// Run directories under `path`: itself if it holds a run, else its sub-directories that do.
    package static func directories(_ path: String) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw GradLabError.io("\(path): no such run or experiment directory")
        }
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("metrics.jsonl")) { return [path] }
        let subs = try fm.contentsOfDirectory(atPath: path).sorted().map { (path as NSString).appendingPathComponent($0) }
            .filter { fm.fileExists(atPath: ($0 as NSString).appendingPathComponent("metrics.jsonl")) }
        guard !subs.isEmpty else { throw GradLabError.data("\(path) holds no finished runs (directories with metrics.jsonl)") }
        return subs
    }
}
