import Foundation
import GradLab
import GradLabDiagnostics
import GradLabKit
import GradLabStore

/// What the hub runs on a run's thread.
protocol LabJob: Sendable {
    func run(_ run: LabRun)
}

/// A training run from the browser, recorded as an ordinary stored run: a run directory under
/// `<store>/web/` (config, metrics, probe records, verdicts, result, as `gradlab run` writes) and
/// rows in the run store, so `gradlab runs show ID` and `gradlab report` find it. It trains in
/// pieces of about 50 ms, so pause, step and stop take effect between pieces, and streams every
/// probed step, evaluation and newly fired verdict to the run's live log.
struct TrainJob: LabJob {
    let storeRoot: String

    /// Seconds of training per piece: short enough for the controls to feel immediate, long
    /// enough that the per-piece work (batch order, the verdict check) stays negligible.
    static let pieceSeconds = 0.05
    /// How often the rules look at the steps so far, for verdicts that fire during training.
    static let verdictSeconds = 0.5

    func run(_ run: LabRun) {
        do { try train(run) } catch {
            let message = "\(error)"
            run.finished(.failed, message: message, event: LiveEvent.End(status: RunPhase.failed.rawValue, message: message, verdicts: [], final: .init(), report: nil))
        }
    }

    private func train(_ run: LabRun) throws {
        let c = run.config
        let name = "web-\(run.id)-\(c.model)-\(c.data)-depth\(c.depth)-seed\(c.seed)"
        let dir = RunDirectory(((storeRoot as NSString).appendingPathComponent("web") as NSString).appendingPathComponent(name))
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        try dir.write(config: c)
        let started = Date()
        let session = try DiagnosticSession(c, jsonl: dir.file(.probePartial))
        let outputs = try RunOutputs(session: session, name: name, tags: ["web"], store: storeRoot, tensorboard: nil)
        run.recorded(as: outputs.recorder?.runID)
        run.emit(LiveEvent.Start(config: c, layers: session.initial.layers.map(\.name), recurrent: c.isRecurrent, steps: c.steps,
                                 storeID: outputs.recorder?.runID, baseline: session.baseline))
        let overlay = PredictedOverlay(config: c, step0: session.initial, inputVariance: session.inputVariance)
        run.emit(LiveEvent.Prediction(verdicts: session.prediction.map(VerdictView.init), step0: LiveStep(session.initial),
                                      meanField: overlay?.rows.map { .init(layer: $0.layer, measured: $0.measured, predicted: $0.predicted) }))
        let watcher = StepWatcher(run: run)
        session.probe.onRecord.append(watcher.saw)

        var history = History()
        var fired = Set(session.prediction.map(\.kind))
        var piece = 1, lastCheck = Date()
        let trainer = session.trainer
        while trainer.optimizer.step < c.steps, let allowed = run.nextPiece(upTo: piece) {
            let t0 = Date()
            let part = try trainer.fit(session.train, test: session.test, steps: min(c.steps, trainer.optimizer.step + allowed), runSteps: c.steps,
                                       evalEvery: c.evalEvery == 0 ? c.steps : c.evalEvery)
            history.steps += part.steps
            history.evals += part.evals
            for e in part.evals { run.emit(LiveEvent.Eval(step: e.step, loss: e.loss, accuracy: e.accuracy)) }
            run.progressed(to: trainer.optimizer.step)
            if let reason = part.stopReason { history.stopReason = reason; break }
            // Aim the next piece at `pieceSeconds`, from this piece's time per step.
            let perStep = Date().timeIntervalSince(t0) / Double(max(part.steps.count, 1))
            piece = max(1, min(1000, Int(Self.pieceSeconds / max(perStep, 1e-6))))
            if Date().timeIntervalSince(lastCheck) >= Self.verdictSeconds {
                lastCheck = Date()
                for v in session.verdictsSoFar() where fired.insert(v.kind).inserted { run.emit(LiveEvent.Fired(verdict: VerdictView(v))) }
            }
        }
        try finish(run, session: session, outputs: outputs, history: history, dir: dir, started: started)
    }

    /// Writes everything measured (an interrupted run is checkpointed first, so it can resume),
    /// records the end in the store and tells the watchers.
    private func finish(_ run: LabRun, session: DiagnosticSession, outputs: RunOutputs, history: History, dir: RunDirectory, started: Date) throws {
        let ending = run.ending
        var message = history.stopReason
        if ending == .interrupted {
            let path = dir.path + "/checkpoint.safetensors"
            try session.trainer.saveCheckpoint(path, metadata: ["config": session.config.json])
            try outputs.recorder?.recordArtifact(kind: "checkpoint", path: "web/\(dir.name)/checkpoint.safetensors")
            message = "the server shut down at step \(session.trainer.optimizer.step); resume with gradlab train --config \(dir.file(.config)) --resume \(path)"
        } else if ending == .stopped {
            message = "stopped from the web lab at step \(session.trainer.optimizer.step)"
        }
        // The store records the reason a run ended early as its message.
        var history = history
        if ending != nil { history.stopReason = message }
        let result = session.conclude(history)
        try dir.write(metrics: history.steps)
        try dir.write(evals: history.evals)
        try dir.finishProbeStream()
        try dir.write(verdicts: result.all)
        let end: RunPhase = ending ?? (history.stopReason == nil ? .finished : .failed)
        let stored: RunStatus = switch end {
        case .interrupted: .interrupted
        case .stopped: .stopped
        case .failed: .failed
        default: .finished
        }
        try outputs.finish(result, directory: dir, status: stored)
        try dir.write(result: RunResult(name: dir.name, run: result, started: started))
        let last = history.evals.last
        run.finished(end, message: message, event: LiveEvent.End(
            status: end.rawValue, message: message, verdicts: result.all.map(VerdictView.init),
            final: .init(loss: last?.loss ?? history.steps.last?.loss, accuracy: last?.accuracy ?? history.steps.last?.accuracy),
            report: outputs.recorder.map { "/runs/\($0.runID)/report" }))
    }
}

/// Streams each probed training step to the live log, and the first non-finite value once.
final class StepWatcher: @unchecked Sendable {
    let run: LabRun
    private var reportedNonFinite = false
    init(run: LabRun) { self.run = run }

    func saw(_ s: ProbeStep) {
        guard s.beforeTraining != true else { return }
        run.emit(LiveEvent.step(LiveStep(s)))
        if !reportedNonFinite, let origin = NonFiniteOrigin(s) {
            reportedNonFinite = true
            run.emit(LiveEvent.nonFinite(origin))
        }
    }
}
