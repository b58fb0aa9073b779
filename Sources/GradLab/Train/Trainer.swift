import Foundation

/// Metrics of one training step.
public struct StepRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var epoch: Int
    public var loss: Double
    /// Batch accuracy (classification only).
    public var accuracy: Double?
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    public var learningRate: Double
}

/// Loss and accuracy on a held-out set at some step.
public struct EvalRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Double
    public var accuracy: Double?
}

public struct History: Sendable {
    public var steps: [StepRecord] = []
    public var evals: [EvalRecord] = []
    /// Why training ended early (e.g. a non-finite loss), nil if it ran to the end.
    public var stopReason: String?

    public init() {}
}

/// Mini-batch training: forward, loss, backward, clipping, update — with metrics, evaluation,
/// atomic checkpoints and exact resume. Batches and dropout masks derive from (seed, step) alone,
/// so a run resumed from a checkpoint continues with identical numbers.
public final class Trainer<S: Scalar> {
    public let model: Sequential<S>
    public let optimizer: Optimizer<S>
    public var clipping: GradientClipping = .none
    /// Unit-wise adaptive gradient clipping λ (Brock et al. 2021), applied after `clipping`.
    public var adaptiveClipping: Double?
    /// Skip steps whose loss or gradient is not finite and back the learning rate off (in-run
    /// repair, no restart); nil: a non-finite loss stops training.
    public var nonFiniteGuard: NonFiniteGuard?
    /// Steps skipped by the guard so far.
    public private(set) var skippedSteps = 0
    public var batchSize: Int
    public let seed: UInt64
    /// Summary statistics of each parameter's gradient in the last step, keyed by parameter
    /// identity (valid when each parameter was used once; see `step`).
    public private(set) var gradientSummaries: [ObjectIdentifier: BufferSummary] = [:]
    /// Whoever watches training: called at each step's events and handed to each step's tape.
    public var observers: [any TrainingObserver<S>] = []

    public init(model: Sequential<S>, optimizer: Optimizer<S>, batchSize: Int, seed: UInt64) {
        self.model = model; self.optimizer = optimizer; self.batchSize = batchSize; self.seed = seed
    }

    /// Loss of a batch on `tape`: softmax cross-entropy for classes, MSE for values.
    public func loss(_ batch: Dataset<S>, tape: Tape<S>) -> (loss: Var<S>, accuracy: Double?) {
        let out = model(tape.constant(batch.features))
        switch batch.targets {
        case let .classes(labels, _), let .sequenceClasses(labels, _, _):
            return (out.softmaxCrossEntropy(labels: labels), accuracy(logits: out.value, labels: labels))
        case let .values(t): return (out.mseLoss(t), nil)
        }
    }

    /// One optimization step on `batch` as step number `optimizer.step`.
    public func step(_ batch: Dataset<S>, epoch: Int) -> StepRecord {
        let s = optimizer.step
        for o in observers { o.stepWillStart(s, trainer: self) }
        optimizer.measureUpdates = observers.contains { $0.wantsUpdateNorms(step: s) }
        let tape = Tape<S>(rng: SeededRandom.derived(seed: seed, 0xD20, UInt64(s)))
        tape.observers = observers
        let (loss, acc) = loss(batch, tape: tape)
        optimizer.zeroGrad()
        // Summarize each parameter's gradient the moment it is complete (still in cache); the
        // global norm then needs no second pass over cold gradients, and probes reuse them.
        tape.summarizesParameterGradients = true
        gradientSummaries.removeAll(keepingCapacity: true)
        swap(&gradientSummaries, &tape.parameterGradientSummaries)   // reuse the table's storage
        tape.backward(from: loss)
        swap(&gradientSummaries, &tape.parameterGradientSummaries)
        let contributions = tape.parameterGradientContributions
        let params = model.parameters
        let norm = contributions == gradientSummaries.count && gradientSummaries.count == params.filter({ $0.grad != nil }).count
            // In the model's parameter order: a dictionary's order differs from process to process,
            // and with it the sum's last bits (same seed, same numbers).
            ? params.reduce(0) { $0 + (gradientSummaries[ObjectIdentifier($1)]?.sumOfSquares ?? 0) }.squareRoot()
            : globalGradientNorm(params)
        let lossValue = Double(loss.value.item)
        if var guard_ = nonFiniteGuard {
            let decision = guard_.check(gradNorm: norm, loss: lossValue)
            nonFiniteGuard = guard_
            optimizer.rateScale = guard_.lrScale
            if case .skip = decision {
                // The step counts (batches and schedules stay aligned) but changes nothing.
                skippedSteps += 1
                optimizer.zeroGrad(); optimizer.step += 1; optimizer.measureUpdates = false
                let record = StepRecord(step: s, epoch: epoch, loss: lossValue, accuracy: acc, gradNorm: norm, learningRate: 0)
                for o in observers { o.stepDidFinish(record, trainer: self) }
                return record
            }
        }
        clipping.apply(to: params, norm: norm)
        if let lambda = adaptiveClipping { adaptiveClip(params, lambda: lambda) }
        for o in observers { o.stepWillUpdate(s, trainer: self) }
        let lr = optimizer.update()
        let record = StepRecord(step: s, epoch: epoch, loss: lossValue, accuracy: acc, gradNorm: norm, learningRate: lr)
        optimizer.measureUpdates = false
        for o in observers { o.stepDidFinish(record, trainer: self) }
        return record
    }

    /// Loss and accuracy over a whole data set (evaluation mode: no dropout, nothing recorded).
    public func evaluate(_ data: Dataset<S>, batchSize: Int = 512) -> EvalRecord {
        var total = 0.0, correct = 0.0
        for batch in data.batches(size: batchSize, epoch: 0, seed: 0, shuffle: false) {
            let tape = Tape<S>(recording: false, training: false)
            let (l, a) = loss(batch, tape: tape)
            total += Double(l.value.item) * Double(batch.count)
            correct += (a ?? 0) * Double(batch.count)
        }
        let n = Double(Swift.max(data.count, 1))
        return EvalRecord(step: optimizer.step, loss: total / n, accuracy: data.isClassification ? correct / n : nil)
    }

    /// Trains until `optimizer.step == steps`. Starts where the optimizer is (0, or a resumed step).
    /// Stops early, with `stopReason`, when the loss stops being finite. A run trained in pieces
    /// (the web lab's pause and step) passes its last step as `runSteps`, so the final evaluation
    /// and checkpoint fall at the run's end rather than at the end of every piece.
    public func fit(_ train: Dataset<S>, test: Dataset<S>? = nil, steps: Int, runSteps: Int? = nil, evalEvery: Int = 0,
                    checkpoint: String? = nil, checkpointEvery: Int = 0, metadata: [String: String] = [:],
                    progress: ProgressBar? = nil) throws -> History {
        let last = runSteps ?? steps
        var history = History()
        let perEpoch = (train.count + batchSize - 1) / batchSize
        var epochBatches: (epoch: Int, batches: [Dataset<S>])? = nil
        while optimizer.step < steps {
            let s = optimizer.step, epoch = s / perEpoch
            if epochBatches?.epoch != epoch { epochBatches = (epoch, train.batches(size: batchSize, epoch: epoch, seed: seed)) }
            let record = step(epochBatches!.batches[s % perEpoch], epoch: epoch)
            history.steps.append(record)
            if let g = nonFiniteGuard, g.consecutiveSkips >= 50 {
                history.stopReason = "50 steps in a row had a non-finite loss or gradient (skipped, learning rate backed off to ×\(g.lrScale)); check the data and the initialization"
                break
            }
            if !record.loss.isFinite && nonFiniteGuard == nil {
                // NaN prints as "nan" or "-nan" (its sign bit); people read "NaN".
                func text(_ x: Double) -> String { x.isNaN ? "NaN" : "\(x)" }
                history.stopReason = "loss became \(text(record.loss)) at step \(s) (gradient norm \(text(record.gradNorm))); lower the learning rate, clip gradients, or use a smaller initialization"
                break
            }
            let done = optimizer.step
            if let test, evalEvery > 0, done % evalEvery == 0 || done == last {
                let e = evaluate(test)
                history.evals.append(e)
                for o in observers { o.evaluationDidFinish(e, trainer: self) }
            }
            if let checkpoint, checkpointEvery > 0, done % checkpointEvery == 0 || done == last {
                try saveCheckpoint(checkpoint, metadata: metadata)
            }
            let acc = record.accuracy.map { String(format: " acc %.1f%%", $0 * 100) } ?? ""
            progress?.update(done, String(format: "loss %.4f", record.loss) + acc)
        }
        return history
    }

    public func saveCheckpoint(_ path: String, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["seed"] = "\(seed)"
        meta["format"] = "gradlab-checkpoint-1"
        try Checkpoint.save(to: path, parameters: model.namedParameters, buffers: model.buffers, optimizer: optimizer, metadata: meta)
    }

    /// Restores parameters, optimizer state and step; returns the checkpoint's metadata. A
    /// checkpoint holding NaN/Inf is refused unless `allowNonFinite`.
    @discardableResult
    public func resume(from path: String, allowNonFinite: Bool = false) throws -> [String: String] {
        let meta = try Checkpoint.load(from: path, into: model.namedParameters, optimizer: optimizer, buffers: model.loadBuffers,
                                       allowNonFinite: allowNonFinite)
        if let s = meta["seed"], UInt64(s) != seed {
            throw GradLabError.invalid("\(path) was saved with seed \(s) but this run uses \(seed); resume with --seed \(s)")
        }
        return meta
    }
}
