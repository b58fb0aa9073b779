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
    /// Where its rows go: the runs directory's store, or a postgres:// URL.
    let runStore: String

    /// Seconds of training per piece: short enough for the controls to feel immediate, long
    /// enough that the per-piece work (batch order, the verdict check) stays negligible.
    static let pieceSeconds = 0.05
    /// How often the rules look at the steps so far, for verdicts that fire during training: every
    /// half second, or less often once a look takes longer (the rules read every step so far, so a
    /// look grows with the run): the looks cost at most 1/`verdictShare` of the training time.
    static let verdictSeconds = 0.5, verdictShare = 40.0

    func run(_ run: LabRun) {
        do { try train(run) } catch {
            let message = "\(error)"
            run.finished(.failed, message: message, event: LiveEvent.End(status: RunPhase.failed.rawValue, message: message, verdicts: [], final: .init(), report: nil))
        }
    }

    private func train(_ run: LabRun) throws {
        let c = run.config
        let dir = try Self.claimDirectory(in: (storeRoot as NSString).appendingPathComponent("web"),
                                          name: "\(c.model)-\(c.data)-depth\(c.depth)-seed\(c.seed)")
        let name = "web-" + dir.name
        try dir.write(config: c)
        let started = Date()
        let session = try DiagnosticSession(c)
        let records = RecordWriter(run: run, stream: try ProbeStream(creating: dir.file(.probePartial)))
        records.probed(session.initial)
        let outputs = try RunOutputs(session: session, name: name, tags: ["web"], store: runStore, tensorboard: nil)
        run.recorded(as: outputs.recorder?.runID)
        run.emit(LiveEvent.Start(config: c, layers: session.initial.layers.map(\.name), recurrent: c.isRecurrent, steps: c.steps,
                                 storeID: outputs.recorder?.runID, baseline: session.baseline))
        let overlay = PredictedOverlay(config: c, step0: session.initial, inputVariance: session.inputVariance)
        run.emit(LiveEvent.Prediction(verdicts: session.prediction.map(VerdictView.init), step0: LiveStep(session.initial),
                                      meanField: overlay?.rows.map { .init(layer: $0.layer, measured: $0.measured, predicted: $0.predicted) }))
        session.probe.onRecord.append(records.probed)

        var history = History()
        var fired = Set(session.prediction.map(\.kind))
        var piece = 1, nextCheck = Date().addingTimeInterval(Self.verdictSeconds)
        let trainer = session.trainer
        while trainer.optimizer.step < c.steps, let allowed = run.nextPiece(upTo: piece) {
            let t0 = Date()
            let part = try trainer.fit(session.train, test: session.test, steps: min(c.steps, trainer.optimizer.step + allowed), runSteps: c.steps,
                                       evalEvery: c.evalEvery == 0 ? c.steps : c.evalEvery)
            history.steps += part.steps
            history.evals += part.evals
            for e in part.evals { records.emit(LiveEvent.Eval(step: e.step, loss: e.loss, accuracy: e.accuracy)) }
            run.progressed(to: trainer.optimizer.step)
            if let reason = part.stopReason { history.stopReason = reason; break }
            // Aim the next piece at `pieceSeconds`, from this piece's time per step.
            let perStep = Date().timeIntervalSince(t0) / Double(max(part.steps.count, 1))
            piece = max(1, min(1000, Int(Self.pieceSeconds / max(perStep, 1e-6))))
            if Date() >= nextCheck {
                let t = Date()
                for v in session.verdictsSoFar() where fired.insert(v.kind).inserted { records.emit(LiveEvent.Fired(verdict: VerdictView(v))) }
                nextCheck = Date().addingTimeInterval(max(Self.verdictSeconds, Self.verdictShare * Date().timeIntervalSince(t)))
            }
        }
        records.drain()
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
        let end: RunPhase = ending ?? (history.stopReason == nil ? .finished : .failed)
        let stored: RunStatus = switch end {
        case .interrupted: .interrupted
        case .stopped: .stopped
        case .failed: .failed
        default: .finished
        }
        try PointJob.record(result, in: dir, outputs: outputs, name: dir.name, started: started, status: stored)
        let last = history.evals.last
        run.finished(end, message: message, event: LiveEvent.End(
            status: end.rawValue, message: message, verdicts: result.all.map(VerdictView.init),
            final: .init(loss: last?.loss ?? history.steps.last?.loss, accuracy: last?.accuracy ?? history.steps.last?.accuracy),
            report: outputs.recorder.map { "/runs/\($0.runID)/report" }))
    }
}

extension TrainJob {
    /// A new run directory `<when>-<name>` (`-2`, `-3`… if taken): created here, never an earlier
    /// run's (live ids start again at r1 when the server restarts; the directories must not).
    static func claimDirectory(in parent: String, name: String) throws -> RunDirectory {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "yyyyMMdd-HHmmss"
        let base = "\(f.string(from: Date()))-\(name)"
        for n in 1...1000 {
            let path = (parent as NSString).appendingPathComponent(n == 1 ? base : "\(base)-\(n)")
            if mkdir(path, 0o755) == 0 { return RunDirectory(path) }
            guard errno == EEXIST else { throw GradLabError.io("\(path): cannot create the run directory (\(String(cString: strerror(errno))))") }
        }
        throw GradLabError.io("\(parent): no free run directory name for \(base)")
    }
}

/// The run's records, written off the training thread: each probed step goes to the probe's
/// JSON Lines file and, cut to a `LiveStep`, to the live log, with the first non-finite value
/// reported once. Encoding a step's records costs about as much as a small step trains, so a
/// serial queue does it on the other core; everything the job logs goes through the same queue,
/// in order, and `drain` waits for it before the run's end is written.
final class RecordWriter: @unchecked Sendable {
    let run: LabRun
    let stream: ProbeStream
    private let queue = DispatchQueue(label: "gradlab.run.records")
    private var reportedNonFinite = false

    init(run: LabRun, stream: ProbeStream) { self.run = run; self.stream = stream }

    func probed(_ s: ProbeStep) {
        queue.async { [self] in
            stream.append(s)
            guard s.beforeTraining != true else { return }
            run.emit(LiveEvent.step(LiveStep(s)))
            if !reportedNonFinite, let origin = NonFiniteOrigin(s) {
                reportedNonFinite = true
                run.emit(LiveEvent.nonFinite(origin))
            }
        }
    }

    func emit<E: Encodable & Sendable>(_ event: E) { queue.async { [run] in run.emit(event) } }

    func drain() { queue.sync {} }
}
