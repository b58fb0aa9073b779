import Foundation
import GradLab

/// A short diagnostic run: predict from one forward/backward at initialization, then train with
/// the probe on and apply the rules to what it saw.
public struct DiagnosticRun {
    public let config: RunConfig
    public let prediction: [Verdict]
    public let verdicts: [Verdict]
    public let probe: Probe
    public let history: History
    /// Step-0 look (before training).
    public let initial: ProbeStep

    /// Verdicts from prediction and training merged: one per kind, the earliest.
    public var all: [Verdict] {
        var byKind: [Verdict.Kind: Verdict] = [:]
        for v in prediction + verdicts where byKind[v.kind] == nil || (v.predicted && !(byKind[v.kind]!.predicted)) { byKind[v.kind] = v }
        return Verdict.Kind.allCases.compactMap { byKind[$0] }
    }
    public var healthy: Bool { all.isEmpty }

    public static func run(_ config: RunConfig, steps: Int? = nil, every: Int = 1, jacobian: Bool = false,
                           thresholds: DiagnosisThresholds = DiagnosisThresholds(), jsonl: String? = nil,
                           progress: ProgressBar? = nil) throws -> DiagnosticRun {
        var c = config
        if let steps { c.steps = steps }
        let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        // One probe for both phases: the look before training, then every probed training step,
        // all in one stream (the first record is the look before training).
        let probe = try Probe(model: trainer.model, options: Probe.Options(every: every, jacobian: jacobian, fixedBatchEvery: 1), jsonl: jsonl)
        // A fixed probe batch: the first rows of the training set, the same for every run.
        let batch = train.subset(Array(0..<Swift.min(256, train.count)))
        probe.lastBatch = batch
        let initial = probe.measureOnce(trainer: trainer, batch: batch)
        let prediction = Diagnosis.predict(initial, thresholds: thresholds)
        probe.attach(to: trainer)
        let history = try trainer.fit(train, steps: c.steps, progress: progress)
        let verdicts = Diagnosis.run(Array(probe.steps.dropFirst()), thresholds: thresholds)
        return DiagnosticRun(config: c, prediction: prediction, verdicts: verdicts, probe: probe, history: history, initial: initial)
    }
}
