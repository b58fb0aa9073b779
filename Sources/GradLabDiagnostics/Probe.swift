import Foundation
import GradLab

/// Measures the chain-rule product of a `Sequential` model while it trains, without changing the
/// model's code: as a `TrainingObserver` it sees each layer's output as it is produced, hooks δ at
/// every linear map's output, takes each parameter's gradient the moment it is complete (still in
/// cache), and reads the update the optimizer actually applied. What it measures is found by
/// `ProbeTopology` from the layers' declared roles; records go to `steps` and a `ProbeStream`.
///
/// "Layers" are the model's linear maps, each with the activation that follows it (if any).
public final class Probe: TrainingObserver {
    public struct Options: Sendable {
        /// Probe every k-th step (and always step 0).
        public var every = 1
        /// |z| beyond which a sigmoid/tanh-like unit counts as saturated (diagnosis rule 9).
        public var saturationThreshold = 5.0
        /// Also measure Jacobian spectra (power iteration; costs several extra passes).
        public var jacobian = false
        public var jacobianSamples = 4
        /// Recurrent layers: measure the recurrent block's spectral radius and σ_max every this
        /// many steps (a few H³ operations each).
        public var spectralEvery = 100
        /// Every this many probed steps (0: never), also evaluate the loss and accuracy on the
        /// fixed probe batch (`lastBatch`) after the update: one forward pass, no tape. Rules on
        /// the loss curve's shape (oscillation, slow convergence) read these when present.
        public var fixedBatchEvery = 0
        public init(every: Int = 1, jacobian: Bool = false, fixedBatchEvery: Int = 0) {
            self.every = every; self.jacobian = jacobian; self.fixedBatchEvery = fixedBatchEvery
        }
    }

    typealias Boundary = ProbeTopology.Boundary
    typealias Block = ProbeTopology.Block

    public let model: Sequential<Float>
    public let options: Options
    public private(set) var steps: [ProbeStep] = []
    let topology: ProbeTopology
    var blocks: [Block] { topology.blocks }
    private var pending: [LayerStats]?
    /// What activation ops measured during this step's backward, by their input's node, with the
    /// storage of the gradient they passed down (see `TrainingObserver.saturationThreshold`).
    private var measuredByInput: [Int: (stats: ActivationGradientStatistics, gradient: UnsafeRawPointer?)] = [:]
    /// Activation outputs whose statistics are left to the backward sweep (kept for when nothing
    /// was reported: another observer on the same tape asked first).
    private var deferredActivation: [Int: Tensor<Float>] = [:]
    private var probing = false
    /// Whether this probed step needs the optimizer's measured update norms (not plain SGD).
    private var measuresUpdates = false
    private var weightNorms: [Double] = []
    /// When attached to a trainer, gradient summaries come from the trainer.
    private var ownGradientSummaries = true
    private var parameterSlots: [ObjectIdentifier: (block: Int, isWeight: Bool)] = [:]
    private let sink: ProbeStream?
    /// What the current step measured in the recurrent layers, by slot (`topology.recurrent`).
    private var recurrentSlotOfLayer: [ObjectIdentifier: Int] = [:]
    private var pendingTime: [TimeStats?] = []
    private var pendingForward: [RecurrentForwardStats?] = []
    private var recurrentSlots: [ObjectIdentifier: (slot: Int, isHH: Bool)] = [:]
    private var lastSpectra: [(Double, Double)?] = []
    private var hhNorms: [Int: Double] = [:], ihNorms: [Int: Double] = [:]
    /// tanh(saturation threshold): |z| > t ⇔ |tanh z| > tanh t.
    private lazy var tanhSaturation = Foundation.tanh(options.saturationThreshold)
    /// CPU time spent inside the probe's own callbacks so far (its cost, measured directly).
    public private(set) var busySeconds = 0.0
    @inline(__always) private func timed<T>(_ body: () -> T) -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { busySeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        return body()
    }
    /// Called after each probed step with its record (e.g. to redraw a live chart).
    public var onRecord: [(ProbeStep) -> Void] = []

    /// - Parameter jsonl: stream records to this JSON Lines file (created or truncated).
    public init(model: Sequential<Float>, options: Options = Options(), jsonl: String? = nil) throws {
        self.model = model; self.options = options
        guard options.every >= 1 else { throw GradLabError.invalid("probe every \(options.every) must be ≥ 1") }
        topology = ProbeTopology(model)
        if options.jacobian && !topology.plain {
            throw GradLabError.invalid("Jacobian spectra need a plain chain of Dense and activation layers; probe this model without them")
        }
        guard !topology.blocks.isEmpty else { throw GradLabError.invalid("the probe needs a model with Dense layers") }
        lastSpectra = topology.recurrent.map { _ in nil }
        for (b, block) in topology.blocks.enumerated() {
            parameterSlots[ObjectIdentifier(block.weight)] = (b, true)
            if let bias = block.bias { parameterSlots[ObjectIdentifier(bias)] = (b, false) }
        }
        for (slot, r) in topology.recurrent.enumerated() {
            recurrentSlots[ObjectIdentifier(r.weightHH)] = (slot, true)
            recurrentSlots[ObjectIdentifier(r.weightIH)] = (slot, false)
            recurrentSlotOfLayer[r.id] = slot
        }
        sink = try jsonl.map(ProbeStream.init(creating:))
    }

    public var layerNames: [String] { blocks.map(\.name) }

    /// Takes back the records of a run resumed from a checkpoint (its look before training and
    /// the probed steps before the checkpoint), so its stream and verdicts are those of the
    /// uninterrupted run. They go to the JSON Lines file again but not to `onRecord`: whoever
    /// listens recorded them the first time.
    public func restore(_ earlier: [ProbeStep]) {
        steps = earlier
        for s in earlier { sink?.append(s) }
    }

    /// Hooks the probe into a trainer: every `options.every` steps (and step 0) are measured.
    public func attach(to trainer: Trainer<Float>) {
        ownGradientSummaries = false
        trainer.observers.append(self)
    }

    // MARK: TrainingObserver

    public func stepWillStart(_ step: Int, trainer: Trainer<Float>) {
        guard step % options.every == 0 else { return }
        begin()
        // Plain SGD's update is −lr·g: its norm follows from the gradient's, no measuring pass.
        measuresUpdates = trainer.optimizer.rule.linearUpdateScale(lr: 1) == nil
    }

    public func wantsUpdateNorms(step: Int) -> Bool { probing && measuresUpdates }

    public func layerOutput(_ output: Var<Float>, index: Int, container: Sequential<Float>) {
        guard probing else { return }
        timed { observe(Boundary(container: ObjectIdentifier(container), index: index), output) }
    }

    /// Activation ops measure their output (|y| beyond tanh's threshold counted) and δ while
    /// computing the gradient, in one sweep, on probed steps.
    public func saturationThreshold(_ kind: ActivationKind) -> Double? {
        probing ? (kind == .tanh ? tanhSaturation : .infinity) : nil
    }

    public func activationStatistics(input: Int, _ statistics: ActivationGradientStatistics, gradient: UnsafeRawPointer?) {
        guard probing else { return }
        measuredByInput[input] = (statistics, gradient)
    }

    public func parameterGradient(_ parameter: Parameter<Float>, _ gradient: Tensor<Float>) {
        guard probing, ownGradientSummaries else { return }
        parameterGradient(ObjectIdentifier(parameter), gradient.summary())
    }

    public func wantsRecurrenceEvents(layer: ObjectIdentifier) -> Bool { probing && recurrentSlotOfLayer[layer] != nil }

    public func recurrence(_ event: RecurrenceEvent, layer: ObjectIdentifier) {
        guard probing, let slot = recurrentSlotOfLayer[layer] else { return }
        let r = topology.recurrent[slot]
        switch event {
        case .forward(let stats): pendingForward[slot] = stats
        case .timeGradients(let norms): pendingTime[slot] = TimeStats(step: 0, name: r.name, cell: r.cell.rawValue, gradNormByTime: norms)
        case .finalCellState: break
        }
    }

    public func stepDidFinish(_ record: StepRecord, trainer: Trainer<Float>) {
        guard probing else { return }
        // The trainer already summarized every parameter gradient while it was in cache.
        for (p, s) in trainer.gradientSummaries { parameterGradient(p, s) }
        let k = options.fixedBatchEvery
        let fixed = k > 0 && (record.step / options.every) % k == 0
            ? lastBatch.map { b in timed { trainer.evaluate(b) } } : nil
        timed { _ = finish(step: record.step, loss: record.loss, accuracy: record.accuracy, gradNorm: record.gradNorm,
                           learningRate: record.learningRate, optimizer: trainer.optimizer, batch: nil,
                           fixed: fixed.map { ($0.loss, $0.accuracy) }) }
    }

    /// Step-0 look without training: one forward/backward on `batch`, nothing updated.
    /// The pass runs in training mode (batch normalization uses the batch's statistics, as the
    /// first training step will) and leaves the weights and buffers as they were (running
    /// statistics are restored); the gradients of the pass stay in `Parameter.grad`.
    public func measureOnce(trainer: Trainer<Float>, batch: Dataset<Float>) -> ProbeStep {
        let tape = Tape<Float>(training: true, rng: SeededRandom(seed: 0x100C))
        tape.observers = [self]
        let buffers = Dictionary(trainer.model.buffers.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        defer { try? trainer.model.loadBuffers(from: buffers) }
        begin()
        let (loss, acc) = trainer.loss(batch, tape: tape)
        tape.backward(from: loss)
        let norm = sqrt(pending!.reduce(0) { $0 + $1.gradNorm * $1.gradNorm + ($1.biasGradNorm ?? 0) * ($1.biasGradNorm ?? 0) })
        let value = Double(loss.value.item)
        return finish(step: trainer.optimizer.step, beforeTraining: true, loss: value, accuracy: acc, gradNorm: norm,
                      learningRate: trainer.optimizer.learningRate, optimizer: nil, batch: batch,
                      fixed: options.fixedBatchEvery > 0 ? (value, acc) : nil)
    }

    private func begin() {
        probing = true
        pendingTime = topology.recurrent.map { _ in nil }; pendingForward = pendingTime.map { _ in nil }
        pending = blocks.map { LayerStats(step: 0, layer: $0.layer, name: $0.name, activation: $0.activation?.rawValue) }
        measuredByInput.removeAll(keepingCapacity: true); deferredActivation.removeAll(keepingCapacity: true)
    }

    /// Called as each layer's output is produced, while it is still in cache.
    private func observe(_ index: Boundary, _ v: Var<Float>) {
        let tape = v.tape
        if let b = topology.blockOfLinear[index] {
            let id = v.id
            tape.onGradient(of: v) { [weak self] g in
                guard let self else { return }
                self.timed {
                    // The activation op measured δ while computing it, unless other consumers
                    // added to it (then the gradient is another buffer).
                    let measured = self.measuredByInput[id]
                    let d = measured.flatMap { $0.gradient == g.storageAddress ? $0.stats.inputGradient : nil } ?? g.moments(sumOfSquaresOnly: true)
                    self.pending?[b].deltaNorm = d.norm
                    self.pending?[b].deltaNonFinite = d.nonFinite
                    if let h = self.deferredActivation[b] {
                        let act = self.blocks[b].activation
                        let s = measured?.stats.output ?? h.moments(beyond: act == .tanh ? self.tanhSaturation : .infinity)
                        self.recordActivation(b, s)
                        if act == .tanh { self.pending?[b].saturatedFraction = s.beyondFraction }
                    }
                }
            }
            let act = blocks[b].activation
            if act == nil { recordActivation(b, v.value.moments()) }
            // tanh saturation is read off h = tanh(z) below; other saturating units need z itself.
            if let act, act.saturates, act != .tanh, blocks[b].normalizedBoundary == nil {
                pending?[b].saturatedFraction = v.value.moments(beyond: options.saturationThreshold).beyondFraction
            }
        } else if let b = topology.blockOfNormalized[index], let act = blocks[b].activation, act.saturates, act != .tanh {
            pending?[b].saturatedFraction = v.value.moments(beyond: options.saturationThreshold).beyondFraction
        } else if let b = topology.blockOfActivation[index], let act = blocks[b].activation {
            if blocks[b].normalizedBoundary == nil && tape.isRecording {
                // Measured by the activation's backward sweep, read with δ (above).
                deferredActivation[b] = v.value
            } else {
                // |z| > t ⇔ |tanh z| > tanh t, so one pass over h serves both statistics.
                let s = v.value.moments(beyond: act == .tanh ? tanhSaturation : .infinity)
                recordActivation(b, s)
                if act == .tanh { pending?[b].saturatedFraction = s.beyondFraction }
            }
            if act.canDie { pending?[b].deadFraction = deadFraction(v.value) }
        }
    }

    private func recordActivation(_ b: Int, _ s: BufferSummary) {
        pending?[b].activationMean = s.mean; pending?[b].activationStd = s.std; pending?[b].activationNonFinite = s.nonFinite
    }

    private func parameterGradient(_ id: ObjectIdentifier, _ s: BufferSummary) {
        guard probing else { return }
        if let r = recurrentSlots[id] {
            if r.isHH { hhNorms[r.slot] = s.norm } else { ihNorms[r.slot] = s.norm }
            return
        }
        guard let slot = parameterSlots[id] else { return }
        if slot.isWeight {
            pending?[slot.block].gradNorm = s.norm
            pending?[slot.block].gradRMS = s.rms
            pending?[slot.block].gradMaxAbs = s.maxAbs
            pending?[slot.block].gradMeanAbs = s.meanAbs
            pending?[slot.block].gradZeroFraction = s.zeroFraction
            pending?[slot.block].gradNonFinite += s.nonFinite
        } else {
            pending?[slot.block].biasGradNorm = s.norm
            pending?[slot.block].gradNonFinite += s.nonFinite
        }
    }

    @discardableResult
    private func finish(step: Int, beforeTraining: Bool = false, loss: Double, accuracy: Double?, gradNorm: Double, learningRate: Double,
                        optimizer: Optimizer<Float>?, batch: Dataset<Float>?, fixed: (loss: Double, accuracy: Double?)? = nil) -> ProbeStep {
        probing = false
        var layers = pending ?? []
        pending = nil
        if let optimizer, optimizer.lastUpdateNorms.count == optimizer.parameters.count {
            let index = Dictionary(uniqueKeysWithValues: optimizer.parameters.enumerated().map { (ObjectIdentifier($1.parameter), $0) })
            for (b, block) in blocks.enumerated() {
                guard let i = index[ObjectIdentifier(block.weight)] else { continue }
                layers[b].weightNorm = optimizer.lastWeightNorms[i]
                layers[b].updateNorm = optimizer.lastUpdateNorms[i]
                layers[b].updateRatio = layers[b].weightNorm > 0 ? layers[b].updateNorm / layers[b].weightNorm : .infinity
            }
        } else {
            // Weight norms change slowly: refresh one layer per step (all on the first), so the
            // probe never makes a pass over every weight.
            if weightNorms.isEmpty { weightNorms = blocks.map { $0.weight.value.norm } }
            else { let b = step % blocks.count; weightNorms[b] = blocks[b].weight.value.norm }
            let scale = optimizer?.rule.linearUpdateScale(lr: learningRate)
            for b in blocks.indices {
                layers[b].weightNorm = weightNorms[b]
                if let scale {
                    layers[b].updateNorm = scale * layers[b].gradNorm
                    layers[b].updateRatio = weightNorms[b] > 0 ? layers[b].updateNorm / weightNorms[b] : .infinity
                }
            }
        }
        if step == 0 || optimizer == nil {
            for (b, block) in blocks.enumerated() { layers[b].weightStd = block.weight.value.summary().std }
        }
        // Gains: the factor each layer above multiplies in, and their running product.
        let top = layers.last?.deltaNorm ?? 1
        for l in layers.indices {
            layers[l].step = step
            layers[l].gain = l + 1 < layers.count ? layers[l].deltaNorm / layers[l + 1].deltaNorm : nil
            layers[l].gainProduct = layers[l].deltaNorm / top
        }
        var record = ProbeStep(step: step, loss: loss, accuracy: accuracy, gradNorm: gradNorm, learningRate: learningRate, layers: layers,
                               fixedLoss: fixed?.loss, fixedAccuracy: fixed?.accuracy)
        if beforeTraining { record.beforeTraining = true }
        record.time = timeStats(step: step)
        if options.jacobian, let batch = batch ?? lastBatch {
            let spectra = JacobianSpectra.measure(blocks: blocks.map { ($0.weight, $0.bias, $0.activation) }, input: batch.features,
                                                  samples: options.jacobianSamples)
            for l in record.layers.indices {
                record.layers[l].jacobianSigmaMax = spectra.layers[l].sigmaMax
                record.layers[l].jacobianMeanSquaredSigma = spectra.layers[l].meanSquaredSigma
            }
            record.jacobianSigmaMax = spectra.total.sigmaMax
            record.jacobianMeanSquaredSigma = spectra.total.meanSquaredSigma
        }
        steps.append(record)
        sink?.append(record)
        for f in onRecord { f(record) }
        return record
    }

    private func timeStats(step: Int) -> [TimeStats] {
        var out: [TimeStats] = []
        for (slot, r) in topology.recurrent.enumerated() {
            guard var t = pendingTime[slot] else { continue }
            t.step = step
            t.weightHHGradNorm = hhNorms[slot] ?? 0; t.weightIHGradNorm = ihNorms[slot] ?? 0
            if let f = pendingForward[slot] { t.gateNearZero = f.gateNearZero; t.gateNearOne = f.gateNearOne; t.hiddenSaturated = f.hiddenSaturated }
            if lastSpectra[slot] == nil || step % options.spectralEvery == 0 {
                let (w, h) = (r.cell.stateBlock(r.weightHH.value), r.hiddenSize)
                lastSpectra[slot] = timed { (Spectral.spectralRadius(w, n: h), Spectral.largestSingularValue(w, rows: h, cols: h)) }
            }
            t.spectralRadius = lastSpectra[slot]?.0; t.sigmaMax = lastSpectra[slot]?.1
            out.append(t)
        }
        hhNorms.removeAll(keepingCapacity: true); ihNorms.removeAll(keepingCapacity: true)
        return out
    }

    /// The batch Jacobian spectra are taken on, when probing a trainer (set by the caller).
    public var lastBatch: Dataset<Float>?

    private func deadFraction(_ z: Tensor<Float>) -> Double {
        guard z.rank == 2, z.shape[0] > 0 else { return 0 }
        let (rows, cols) = (z.shape[0], z.shape[1])
        var colMax = [Float](repeating: -.infinity, count: cols)
        z.scalars.withUnsafeBufferPointer { p in colMax.withUnsafeMutableBufferPointer { m in
            for r in 0..<rows { let row = p.baseAddress! + r * cols; for c in 0..<cols { m[c] = Swift.max(m[c], row[c]) } }
        } }
        return Double(colMax.filter { $0 <= 0 }.count) / Double(cols)
    }
}
