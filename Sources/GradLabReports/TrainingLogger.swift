import GradLab
import GradLabDiagnostics

/// Logs a training run to TensorBoard as a trainer's observer (and a probe's record consumer):
///
/// - every step, one event: `train/loss`, `train/accuracy` (classification), `train/grad_norm`
///   (before clipping), `train/learning_rate` (0 on steps the non-finite guard skipped);
/// - every evaluation on the test set: `eval/loss` and `eval/accuracy` (classification);
/// - every probed step, one event with each probed layer's `grad_norm/<layer>`,
///   `update_ratio/<layer>` (‖ΔW‖/‖W‖; NaN where the probe measured no update, e.g. its look
///   before training) and `gain/<layer>` (‖δ_l‖/‖δ_{l+1}‖, absent for the top layer); for a
///   recurrent layer, ‖∂L/∂h_t‖ for every time step t as `grad_by_time/<layer>/t<t>` (1-based,
///   zero-padded), so the curves sort in time order;
/// - every `histogramEvery`-th step, in that step's event: `gradients/<param>` and
///   `weights/<param>` of every weight parameter (names ending `weight…`: Dense and normalization
///   weights, recurrent `weight_ih`/`weight_hh`), taken after clipping and before the update.
///   Steps the non-finite guard skips have none: their gradients are discarded before that hook;
/// - with `hparams`, the HParams plugin's session start at step 0 and its end at `close`.
///
/// `<layer>` is the layer's `LayerLabel` with the index zero-padded (`03 · layers.4`), and a
/// parameter carries the label of its layer (`03 · layers.4.weight`): TensorBoard sorts tags as
/// text, where `layers.10` would come before `layers.2`.
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
    private let tags: LayerTags
    private var pending = TensorBoardSummary()
    private let hparams: [String: JSONValue]

    /// Logs into a new event file in `directory`.
    package convenience init(trainer: Trainer<Float>, probe: Probe? = nil, directory: String, histogramEvery: Int = 50,
                             hparams: [String: JSONValue] = [:]) throws {
        guard histogramEvery >= 0 else {
            throw GradLabError.invalid("histogram period \(histogramEvery) must be ≥ 0 (0 turns histograms off)")
        }
        try self.init(trainer: trainer, probe: probe, writer: TensorBoardWriter(directory: directory), histogramEvery: histogramEvery,
                      hparams: hparams)
    }

    /// - Parameter hparams: this run's values of the settings a sweep varies (HParams plugin).
    package init(trainer: Trainer<Float>, probe: Probe? = nil, writer: TensorBoardWriter, histogramEvery: Int = 50,
                 hparams: [String: JSONValue] = [:]) throws {
        guard histogramEvery >= 0 else {
            throw GradLabError.invalid("histogram period \(histogramEvery) must be ≥ 0 (0 turns histograms off)")
        }
        self.writer = writer; self.histogramEvery = histogramEvery; self.hparams = hparams
        let parameters = trainer.model.namedParameters
        tags = LayerTags(layers: probe?.layerNames ?? [], parameters: parameters.map(\.name))
        weights = parameters.filter { $0.name.split(separator: ".").last?.hasPrefix("weight") == true }
        trainer.observers.append(self)
        probe?.onRecord.append { record in self.log(record) }
        if !hparams.isEmpty { try writer.write(TensorBoardHParams.sessionStart(hparams), step: 0) }
    }

    /// Flushes and closes the event file; throws the first error met while logging, if any.
    /// `succeeded` is the run's end as the HParams plugin shows it (when hparams were given).
    package func close(succeeded: Bool = true) throws {
        if !hparams.isEmpty && error == nil { write(TensorBoardHParams.sessionEnd(succeeded: succeeded), step: 0) }
        let closing = Result { try writer.close() }
        if let error { throw error }
        try closing.get()
    }

    package func stepWillUpdate(_ step: Int, trainer: Trainer<Float>) { collectHistograms(step: step) }
    package func stepDidFinish(_ record: StepRecord, trainer: Trainer<Float>) { log(record) }
    package func evaluationDidFinish(_ record: EvalRecord, trainer: Trainer<Float>) {
        var s = TensorBoardSummary()
        s.scalar("eval/loss", record.loss)
        if let a = record.accuracy { s.scalar("eval/accuracy", a) }
        write(s, step: record.step)
    }

    private func collectHistograms(step: Int) {
        guard histogramEvery > 0, step % histogramEvery == 0, error == nil else { return }
        for (name, p) in weights {
            if let g = p.grad { pending.histogram("gradients/\(tags.parameter(name))", values: g.scalars) }
            pending.histogram("weights/\(tags.parameter(name))", values: p.value.scalars)
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
            let layer = tags.layer(l.label)
            s.scalar("grad_norm/\(layer)", l.gradNorm)
            s.scalar("update_ratio/\(layer)", l.updateRatio)
            if let g = l.gain { s.scalar("gain/\(layer)", g) }
        }
        for t in r.time {
            let width = max(2, String(t.gradNormByTime.count).count)
            for (i, norm) in t.gradNormByTime.enumerated() {
                s.scalar("grad_by_time/\(t.name)/t\(LayerTags.padded(i + 1, width))", norm)
            }
        }
        write(s, step: r.step)
    }

    private func write(_ s: TensorBoardSummary, step: Int) {
        guard error == nil else { return }
        do { try writer.write(s, step: step) } catch { self.error = error }
    }
}

/// TensorBoard tag names for layers and their parameters that sort in layer order: the 1-based
/// `LayerLabel` index, zero-padded to the widest index (at least two digits), then the dotted
/// name. A parameter takes the index of its layer, or of the last layer before it (a
/// normalization's weight after its linear map); 0 before any.
struct LayerTags {
    let width: Int
    private let indexOfParameter: [String: Int]

    init(layers: [String], parameters: [String]) {
        width = max(2, String(layers.count).count)
        var index: [String: Int] = [:], last = 0
        let layerIndex = Dictionary(layers.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { a, _ in a })
        for p in parameters {
            if let i = layerIndex[p.split(separator: ".").dropLast().joined(separator: ".")] { last = i }
            index[p] = last
        }
        indexOfParameter = index
    }

    static func padded(_ i: Int, _ width: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    func layer(_ label: LayerLabel) -> String { "\(Self.padded(label.index, width)) · \(label.name)" }
    func parameter(_ name: String) -> String { "\(Self.padded(indexOfParameter[name] ?? 0, width)) · \(name)" }
}
