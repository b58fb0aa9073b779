import Foundation
import GradLab
import GradLabDiagnostics
import GradLabStore

/// One point of an experiment, in this process: the diagnostic run of its `config.json`, every
/// record written atomically into its run directory, the run store and TensorBoard fed as it
/// trains, and `result.json` written last (a point is done exactly when it exists).
package enum PointJob {
    package static func run(_ dir: RunDirectory, name: String, store: String, experiment: String?, tags: [String] = [],
                           hparams: [String] = []) throws -> RunResult {
        let started = Date()
        let config = try dir.readConfig()
        Backend.setThreads(config.threads)
        let session = try DiagnosticSession(config, jsonl: dir.file(.probePartial))
        let outputs = try RunOutputs(session: session, name: name, experiment: experiment, tags: tags, hparams: hparams, store: store, tensorboard: dir.file(.tensorboard))
        return try record(try session.run(), in: dir, outputs: outputs, name: name, started: started)
    }

    /// Writes a finished (or ended) run into its directory and the store, `result.json` last:
    /// metrics, evaluations, the probe stream moved into place, verdicts, exports, the store's end.
    package static func record(_ run: DiagnosticRun, in dir: RunDirectory, outputs: RunOutputs, name: String, started: Date,
                               status: RunStatus? = nil) throws -> RunResult {
        try dir.write(metrics: run.history.steps)
        try dir.write(evals: run.history.evals)
        try dir.finishProbeStream()
        try dir.write(verdicts: run.all)
        try outputs.finish(run, directory: dir, status: status)
        let result = RunResult(name: name, run: run, started: started)
        try dir.write(result: result)
        return result
    }
}
