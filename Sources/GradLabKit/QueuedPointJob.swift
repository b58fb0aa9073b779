import Foundation
import GradLab
import GradLabDiagnostics
import GradLabStore

/// One claimed point of the work queue, run in this process: as `PointJob` (the same run
/// directory, records and `result.json`), but trained in pieces with a checkpoint after each,
/// so a worker that takes the point over after a crash resumes where the last piece ended and
/// gets the numbers of a run that never stopped.
///
/// The checkpoint and the records before it live in the point's run directory under the runs
/// directory (`--dir`), which workers on several machines share (NFS, a ReadWriteMany volume);
/// a worker that cannot see an earlier attempt's directory starts the point from step 0, which
/// costs time but gives the same numbers. Each piece's rows are in the store before its
/// checkpoint is written, so the store never misses a step that a resume would skip.
package enum QueuedPointJob {
    /// - Parameters:
    ///   - checkpointEvery: steps per piece (0: a tenth of the run).
    ///   - stillHeld: whether this worker still holds the lease (checked after each piece).
    package static func run(_ claim: ClaimedPoint, queue: any SweepQueue, store: any RunStore, runsDirectory: String,
                            checkpointEvery: Int = 0, stillHeld: () -> Bool) throws -> RunResult {
        let started = Date()
        let dir = RunDirectory((runsDirectory as NSString).appendingPathComponent(claim.point.directory))
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let configData = Data(claim.point.configJSON.utf8)
        if FileManager.default.contents(atPath: dir.file(.config)) != configData { try atomicWrite(configData, to: dir.file(.config)) }
        let config = try dir.readConfig()
        Backend.setThreads(config.threads)

        // An earlier attempt's checkpoint and the records written with it.
        let checkpoint = dir.file(.checkpoint)
        let resuming = claim.attempt > 1 && FileManager.default.fileExists(atPath: checkpoint)
        if !resuming { try? FileManager.default.removeItem(atPath: checkpoint) }
        let earlierProbe = resuming ? try ProbeStream.read(dir.file(.probePartial)) : []
        let session = try DiagnosticSession(config, jsonl: dir.file(.probePartial), resume: resuming ? checkpoint : nil, earlier: earlierProbe)
        let resumedAt = session.trainer.optimizer.step
        var history = History()
        if resuming {
            history.steps = try dir.readMetrics().filter { $0.step < resumedAt }
            history.evals = try dir.readEvals().filter { $0.step <= resumedAt }
        }

        let runID = try queue.run(for: claim, make: NewRun(name: claim.point.name, experiment: claim.point.experiment,
                                                             configJSON: claim.point.configJSON, tags: claim.point.tags))
        let recorder = try RunRecorder(store: store, runID: runID)
        let outputs = try RunOutputs(session: session, recorder: recorder, artifactRoot: runsDirectory, hparams: claim.point.hparams,
                                     tensorboard: dir.file(.tensorboard))
        let total = config.steps
        let every = checkpointEvery > 0 ? checkpointEvery : max(1, (total + 9) / 10)
        let evalEvery = config.evalEvery == 0 ? total : config.evalEvery
        while session.trainer.optimizer.step < total {
            let target = min((session.trainer.optimizer.step / every + 1) * every, total)
            let piece = try session.trainer.fit(session.train, test: session.test, steps: target, runSteps: total, evalEvery: evalEvery)
            history.steps += piece.steps; history.evals += piece.evals
            if let reason = piece.stopReason { history.stopReason = reason; break }
            guard stillHeld() else { throw LeaseLost(claim.point) }
            if target < total {
                try recorder.flush()
                try dir.write(metrics: history.steps)
                try dir.write(evals: history.evals)
                try session.trainer.saveCheckpoint(checkpoint, metadata: ["config": config.json])
            }
        }
        guard stillHeld() else { throw LeaseLost(claim.point) }
        let result = try PointJob.record(session.conclude(history), in: dir, outputs: outputs, name: claim.point.name, started: started)
        try? FileManager.default.removeItem(atPath: checkpoint)
        return result
    }
}
