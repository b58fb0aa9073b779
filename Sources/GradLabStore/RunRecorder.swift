import Foundation
import GradLab
import GradLabDiagnostics

/// Records a training run into a store as it happens: observes a trainer's steps (and a probe's
/// `onRecord`), buffers the rows and writes them in batches, so storing costs one transaction
/// every `flushEvery` steps rather than one per step.
///
/// The callbacks cannot throw, so a failed write is kept and rethrown by the next `flush()` or by
/// `finish`; rows stay buffered until a write succeeds.
package final class RunRecorder {
    package let store: any RunStore
    package let runID: RunID
    /// Write buffered rows once this many steps are waiting (and always at `finish`).
    package var flushEvery: Int
    /// The first write that failed inside a hook, if any.
    package private(set) var error: Error?
    private var metrics: [MetricRow] = []
    private var probes: [ProbeStep] = []
    private var lastStep: MetricRow?
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    /// Starts a new run in `store` for `config`.
    package convenience init(store: any RunStore, name: String, experiment: String? = nil, config: RunConfig,
                            tags: [String] = [], flushEvery: Int = 50) throws {
        let id = try store.createRun(NewRun(name: name, experiment: experiment, config: config, tags: tags))
        try self.init(store: store, runID: id, flushEvery: flushEvery)
    }

    /// Records into an existing run (e.g. one created by a sweep driver).
    package init(store: any RunStore, runID: RunID, flushEvery: Int = 50) throws {
        guard flushEvery >= 1 else { throw GradLabError.invalid("flush-every \(flushEvery) must be ≥ 1 step") }
        self.store = store; self.runID = runID; self.flushEvery = flushEvery
        started = clock.now
    }

    /// Records every training step of `trainer`.
    package func attach<S: Scalar>(to trainer: Trainer<S>) {
        // Held strongly: the recorder holds neither trainer nor probe, so there is no cycle.
        trainer.observers.append(StepRecording<S>(recorder: self))
    }

    /// The recorder as a trainer's observer (the recorder itself serves any scalar type).
    final class StepRecording<S: Scalar>: TrainingObserver {
        let recorder: RunRecorder
        init(recorder: RunRecorder) { self.recorder = recorder }
        func stepDidFinish(_ record: StepRecord, trainer: Trainer<S>) { recorder.record(MetricRow(record)) }
    }

    /// Records every probed step (per-layer and through-time statistics). Attach the probe to
    /// the trainer first, so its record of a step is complete before the recorder sees it.
    package func attach(to probe: Probe) {
        probe.onRecord.append { s in self.record(s) }
    }

    package func record(_ step: MetricRow) {
        metrics.append(step); lastStep = step
        if metrics.count >= flushEvery { tryFlush() }
    }

    package func record(_ probe: ProbeStep) {
        probes.append(probe)
        // Usually written with the metrics; counted too, for a probe recorded without a trainer.
        if probes.count >= flushEvery { tryFlush() }
    }

    /// Writes everything buffered; rethrows an earlier failure from a hook.
    package func flush() throws {
        if let e = error { error = nil; throw e }
        // Metrics first: a reader that sees probe rows of a step also sees the step.
        if !metrics.isEmpty { try store.appendMetrics(runID, metrics); metrics.removeAll(keepingCapacity: true) }
        if !probes.isEmpty { try store.appendProbe(runID, probes); probes.removeAll(keepingCapacity: true) }
    }

    private func tryFlush() {
        guard error == nil else { return }
        do { try flush() } catch { self.error = error }
    }

    package func recordArtifact(kind: String, path: String) throws { try store.recordArtifact(runID, Artifact(kind: kind, path: path)) }

    /// Seconds since the recorder started.
    package var wallSeconds: Double {
        let d = clock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Ends the run: writes what is buffered, the evaluations and verdicts, and the final metrics
    /// (the last evaluation's loss and accuracy, else the last step's). A history with a stop
    /// reason ends as `failed` with that reason, unless `status` says otherwise.
    @discardableResult
    package func finish(history: History, verdicts: [Verdict] = [], status: RunStatus? = nil) throws -> FinalMetrics {
        try flush()
        try store.appendEvals(runID, evals: history.evals)
        try store.recordVerdicts(runID, verdicts)
        let last = history.evals.last
        let final = FinalMetrics(loss: last?.loss ?? lastStep?.loss, accuracy: last != nil ? last?.accuracy : lastStep?.accuracy,
                                 wallSeconds: wallSeconds)
        let status = status ?? (history.stopReason == nil ? .finished : .failed)
        try store.finishRun(runID, status: status, final: final, message: history.stopReason)
        return final
    }

    /// Ends the run as failed (or stopped) with a reason, after writing what is buffered.
    package func fail(_ message: String, status: RunStatus = .failed) throws {
        try? flush()
        try store.finishRun(runID, status: status, final: FinalMetrics(loss: lastStep?.loss, accuracy: lastStep?.accuracy, wallSeconds: wallSeconds),
                            message: message)
    }
}
