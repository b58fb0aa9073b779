import Foundation
import GradLab
import GradLabTheory

/// The one way a config is run with the probe on, whichever command asks (`diagnose`,
/// `train --diagnose`, `run`, `repair`): the config is resolved, the model built, one
/// forward/backward on a fixed probe batch (the first 256 training rows) predicts from the
/// architecture and initialization alone, and training is then probed every `probe-every` steps
/// with the fixed-batch loss measured at each probed step. One config, one set of verdicts.
///
/// Callers that also record the run (run store, TensorBoard, live charts) attach to `trainer`
/// and `probe` between `init` and `run`. A resumed run loads its checkpoint before the look, so
/// the prediction describes the weights that go on training.
public final class DiagnosticSession {
    public let config: RunConfig
    public let trainer: Trainer<Float>
    public let train: Dataset<Float>, test: Dataset<Float>
    public let probe: Probe
    /// Step-0 look (before training) and what it predicts.
    public let initial: ProbeStep
    public let prediction: [Verdict]
    /// ‖x‖²/N of the training inputs, recorded with the run for the mean-field prediction.
    public let inputVariance: Double
    /// What a constant answer scores on the training data: the yardstick of "learned nothing".
    public let baseline: TaskBaseline
    let thresholds: DiagnosisThresholds

    /// - Parameter earlier: a resumed run's probe records from before its checkpoint, look first
    ///   (`ProbeStream.read` of its stream): they are kept, and the look is not taken again, so
    ///   the prediction and verdicts are those of the run had it never stopped.
    public init(_ config: RunConfig, jacobian: Bool = false, thresholds: DiagnosisThresholds = DiagnosisThresholds(),
                jsonl: String? = nil, resume: String? = nil, allowNonFiniteCheckpoint: Bool = false, earlier: [ProbeStep] = []) throws {
        let c = try config.resolved()
        self.config = c
        self.thresholds = thresholds
        (trainer, train, test) = try c.build()
        if let resume { _ = try trainer.resume(from: resume, allowNonFinite: allowNonFiniteCheckpoint) }
        // One probe for both phases: the look before training, then every probed training step,
        // all in one stream (the first record is the look before training).
        probe = try Probe(model: trainer.model, options: Probe.Options(every: c.probeEvery, jacobian: jacobian, fixedBatchEvery: 1), jsonl: jsonl)
        let batch = train.subset(Array(0..<Swift.min(256, train.count)))
        probe.lastBatch = batch
        if resume != nil, let look = earlier.first, look.beforeTraining == true {
            let resumed = trainer.optimizer.step
            probe.restore([look] + earlier.dropFirst().filter { $0.step < resumed })
            initial = look
        } else {
            initial = probe.measureOnce(trainer: trainer, batch: batch)
        }
        prediction = Diagnosis.predict(initial, config: c, thresholds: thresholds)
        probe.attach(to: trainer)
        inputVariance = train.features.moments().sumOfSquares / Double(Swift.max(train.features.count, 1))
        baseline = TaskBaseline(of: train)
    }

    /// Trains for the config's steps (evaluating on the test set every `eval-every` steps) and
    /// applies the rules to what the probe saw.
    public func run(checkpoint: String? = nil, checkpointEvery: Int = 0, progress: ProgressBar? = nil) throws -> DiagnosticRun {
        let c = config
        let history = try trainer.fit(train, test: test, steps: c.steps, evalEvery: c.evalEvery == 0 ? c.steps : c.evalEvery,
                                      checkpoint: checkpoint, checkpointEvery: checkpointEvery == 0 ? c.steps : checkpointEvery,
                                      metadata: ["config": c.json], progress: progress)
        return conclude(history)
    }

    /// The verdicts of the training steps probed so far (a live view's, while the run goes on).
    public func verdictsSoFar() -> [Verdict] {
        Diagnosis.run(Array(probe.steps.dropFirst()), config: config, baseline: baseline, thresholds: thresholds)
    }

    /// What the run found, for a run trained by the caller (in pieces, or stopped early) with
    /// `history` its steps and evaluations.
    public func conclude(_ history: History) -> DiagnosticRun {
        DiagnosticRun(config: config, prediction: prediction, verdicts: verdictsSoFar(), probe: probe, history: history,
                      initial: initial, inputVariance: inputVariance, baseline: baseline)
    }
}

/// What a diagnostic run found: the step-0 prediction, the verdicts of training, the probe's
/// records and the training history.
public struct DiagnosticRun {
    public let config: RunConfig
    public let prediction: [Verdict]
    public let verdicts: [Verdict]
    public let probe: Probe
    public let history: History
    /// Step-0 look (before training).
    public let initial: ProbeStep
    public let inputVariance: Double
    public let baseline: TaskBaseline

    /// Verdicts from prediction and training merged (one per kind, the earliest), causes first
    /// and each consequence advised by its cause (`Diagnosis.ranked`).
    public var all: [Verdict] { Diagnosis.ranked(Verdict.merged(prediction + verdicts), config: config) }
    public var healthy: Bool { all.isEmpty }

    /// The mean-field prediction beside the measured step-0 gradients, where the theory applies.
    public var overlay: PredictedOverlay? { PredictedOverlay(config: config, step0: initial, inputVariance: inputVariance) }

    /// Runs `config` (for `steps` steps and probing every `every`, when given) with the probe on.
    public static func run(_ config: RunConfig, steps: Int? = nil, every: Int? = nil, jacobian: Bool = false,
                           thresholds: DiagnosisThresholds = DiagnosisThresholds(), jsonl: String? = nil,
                           progress: ProgressBar? = nil) throws -> DiagnosticRun {
        var c = config
        if let steps { c.steps = steps }
        if let every { c.probeEvery = every }
        return try DiagnosticSession(c, jacobian: jacobian, thresholds: thresholds, jsonl: jsonl).run(progress: progress)
    }
}
