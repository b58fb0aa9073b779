import GradLab
import GradLabDiagnostics

/// Logs a training run to TensorBoard as a trainer's observer (and a probe's record consumer):
///
/// - every step, one event: `train/loss`, `train/accuracy` (classification), `train/grad_norm`
///   (before clipping), `train/learning_rate` (0 on steps the non-finite guard skipped);
/// - every probed step, one event with each probed layer's `grad_norm/<layer>`,
///   `update_ratio/<layer>` (‖ΔW‖/‖W‖; NaN where the probe measured no update, e.g. its look
///   before training) and `gain/<layer>` (‖δ_l‖/‖δ_{l+1}‖, absent for the top layer);
/// - every `histogramEvery`-th step, in that step's event: `gradients/<param>` and
///   `weights/<param>` of every weight parameter (names ending `weight…`: Dense and normalization
///   weights, recurrent `weight_ih`/`weight_hh`), taken after clipping and before the update.
///   Steps the non-finite guard skips have none: their gradients are discarded before that hook.
///
/// The trainer's observers keep the logger alive. Callbacks cannot throw: the first write error
/// stops logging and is rethrown by `close()`, which every run should call at its end.
package final class TrainingLogger: TrainingObserver {
    package let writer: TensorBoardWriter
    /// Histogram period in steps; 0: no histograms.
    package let histogramEvery: Int
    /// The first write error, after which nothing more is written.
    package private(set) var error: Error?
    private let weights: [(name: String, parameter: Parameter<Float>)]
    private var pending = TensorBoardSummary()

    /// Logs into a new event file in `directory`.
    package convenience init(trainer: Trainer<Float>, probe: Probe? = nil, directory: String, histogramEvery: Int = 50) throws {
        guard histogramEvery >= 0 else {
            throw GradLabError.invalid("histogram period \(histogramEvery) must be ≥ 0 (0 turns histograms off)")
        }
        try self.init(trainer: trainer, probe: probe, writer: TensorBoardWriter(directory: directory), histogramEvery: histogramEvery)
    }

    package init(trainer: Trainer<Float>, probe: Probe? = nil, writer: TensorBoardWriter, histogramEvery: Int = 50) throws {
        guard histogramEvery >= 0 else {
            throw GradLabError.invalid("histogram period \(histogramEvery) must be ≥ 0 (0 turns histograms off)")
        }
        self.writer = writer; self.histogramEvery = histogramEvery
        weights = trainer.model.namedParameters.filter { $0.name.split(separator: ".").last?.hasPrefix("weight") == true }
        trainer.observers.append(self)
        probe?.onRecord.append { record in self.log(record) }
    }

    /// Flushes and closes the event file; throws the first error met while logging, if any.
    package func close() throws {
        let closing = Result { try writer.close() }
        if let error { throw error }
        try closing.get()
    }

    package func stepWillUpdate(_ step: Int, trainer: Trainer<Float>) { collectHistograms(step: step) }
    package func stepDidFinish(_ record: StepRecord, trainer: Trainer<Float>) { log(record) }

    private func collectHistograms(step: Int) {
        guard histogramEvery > 0, step % histogramEvery == 0, error == nil else { return }
        for (name, p) in weights {
            if let g = p.grad { pending.histogram("gradients/\(name)", values: g.scalars) }
            pending.histogram("weights/\(name)", values: p.value.scalars)
        }
    }

    private func log(_ r: StepRecord) {
        var s = pending
        pending = TensorBoardSummary()
        s.scalar("train/loss", r.loss)
        if let a = r.accuracy { s.scalar("train/accuracy", a) }
        s.scalar("train/grad_norm", r.gradNorm)
        s.scalar("train/learning_rate", r.learningRate)
        write(s, step: r.step)
    }

    private func log(_ r: ProbeStep) {
        var s = TensorBoardSummary()
        for l in r.layers {
            s.scalar("grad_norm/\(l.name)", l.gradNorm)
            s.scalar("update_ratio/\(l.name)", l.updateRatio)
            if let g = l.gain { s.scalar("gain/\(l.name)", g) }
        }
        write(s, step: r.step)
    }

    private func write(_ s: TensorBoardSummary, step: Int) {
        guard error == nil else { return }
        do { try writer.write(s, step: step) } catch { self.error = error }
    }
}
