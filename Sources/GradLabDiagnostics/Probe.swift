import Foundation
import GradLab

/// Measures the chain-rule product of a `Sequential` model while it trains, without changing the
/// model's code: boundary observers capture each layer's output, tape hooks catch δ at every Dense
/// output and each parameter's gradient the moment it is complete (still in cache), and the
/// optimizer reports the update it actually applied.
///
/// "Layers" are the model's Dense layers, each with the activation that follows it (if any).
public final class Probe {
    public struct Options: Sendable {
        /// Probe every k-th step (and always step 0).
        public var every = 1
        /// |z| beyond which a sigmoid/tanh-like unit counts as saturated (diagnosis rule 9).
        public var saturationThreshold = 5.0
        /// Also measure Jacobian spectra (power iteration; costs several extra passes).
        public var jacobian = false
        public var jacobianSamples = 4
        public init(every: Int = 1, jacobian: Bool = false) { self.every = every; self.jacobian = jacobian }
    }

    struct Block {
        let layer: Int          // 1-based Dense index
        let denseIndex: Int     // position in model.layers
        let activationIndex: Int?
        let dense: Dense<Float>
        let activation: ActivationKind?
    }

    public let model: Sequential<Float>
    public let options: Options
    public private(set) var steps: [ProbeStep] = []
    let blocks: [Block]
    private var outputs: [Int: Var<Float>] = [:]
    private var inputVar: Var<Float>?
    private var pending: [LayerStats]?
    private var probing = false
    private var parameterSlots: [ObjectIdentifier: (block: Int, isWeight: Bool)] = [:]
    private let sink: FileHandle?
    /// Called after each probed step with its record (e.g. to redraw a live chart).
    public var onRecord: [(ProbeStep) -> Void] = []

    /// - Parameter jsonl: stream records to this JSON Lines file (created or truncated).
    public init(model: Sequential<Float>, options: Options = Options(), jsonl: String? = nil) throws {
        self.model = model; self.options = options
        guard options.every >= 1 else { throw GradLabError.invalid("probe every \(options.every) must be ≥ 1") }
        var blocks: [Block] = []
        for (i, layer) in model.layers.enumerated() {
            guard let dense = layer as? Dense<Float> else { continue }
            let next = i + 1 < model.layers.count ? model.layers[i + 1] as? Activation<Float> : nil
            blocks.append(Block(layer: blocks.count + 1, denseIndex: i, activationIndex: next == nil ? nil : i + 1,
                                dense: dense, activation: next?.kind))
        }
        guard !blocks.isEmpty else { throw GradLabError.invalid("the probe needs a model with Dense layers") }
        self.blocks = blocks
        for (b, block) in blocks.enumerated() {
            parameterSlots[ObjectIdentifier(block.dense.weight)] = (b, true)
            if let bias = block.dense.bias { parameterSlots[ObjectIdentifier(bias)] = (b, false) }
        }
        if let jsonl {
            guard FileManager.default.createFile(atPath: jsonl, contents: nil), let h = FileHandle(forWritingAtPath: jsonl) else {
                throw GradLabError.io("cannot create probe output \(jsonl)")
            }
            sink = h
        } else { sink = nil }
        model.boundaryObservers.append { [unowned self] i, v in self.outputs[i] = v }
    }

    deinit { try? sink?.close() }

    public var layerNames: [String] { blocks.map { "layers.\($0.denseIndex)" } }
    public var activations: [ActivationKind?] { blocks.map(\.activation) }

    /// Hooks the probe into a trainer: every `options.every` steps (and step 0) are measured.
    public func attach(to trainer: Trainer<Float>) {
        trainer.onForward.append { [unowned self, unowned trainer] step, tape in
            guard step % self.options.every == 0 else { return }
            self.begin(tape: tape)
            trainer.optimizer.measureUpdates = true
        }
        trainer.onStep.append { [unowned self, unowned trainer] record in
            guard self.probing else { return }
            trainer.optimizer.measureUpdates = false
            self.finish(step: record.step, loss: record.loss, accuracy: record.accuracy, gradNorm: record.gradNorm,
                        learningRate: record.learningRate, optimizer: trainer.optimizer, batch: nil)
        }
    }

    /// Step-0 look without training: one forward/backward on `batch`, nothing updated.
    public func measureOnce(trainer: Trainer<Float>, batch: Dataset<Float>) -> ProbeStep {
        let tape = Tape<Float>(training: false)
        let (loss, acc) = trainer.loss(batch, tape: tape)
        begin(tape: tape)
        tape.backward(from: loss)
        let norm = sqrt(pending!.reduce(0) { $0 + $1.gradNorm * $1.gradNorm + ($1.biasGradNorm ?? 0) * ($1.biasGradNorm ?? 0) })
        return finish(step: trainer.optimizer.step, loss: Double(loss.value.item), accuracy: acc, gradNorm: norm,
                      learningRate: trainer.optimizer.learningRate, optimizer: nil, batch: batch)
    }

    private func begin(tape: Tape<Float>) {
        probing = true
        var stats: [LayerStats] = []
        for block in blocks {
            var s = LayerStats(step: 0, layer: block.layer, name: "layers.\(block.denseIndex)", activation: block.activation?.rawValue)
            if let z = outputs[block.denseIndex] {
                let h = block.activationIndex.flatMap { outputs[$0] } ?? z
                let hs = h.value.summary()
                s.activationMean = hs.mean; s.activationStd = hs.std; s.activationNonFinite = hs.nonFinite
                if let a = block.activation {
                    if a.saturates { s.saturatedFraction = z.value.summary(beyond: options.saturationThreshold).beyondFraction }
                    if a.canDie { s.deadFraction = deadFraction(z.value) }
                }
                let index = block.layer - 1
                tape.onGradient(of: z) { [unowned self] g in
                    let d = g.summary()
                    self.pending?[index].deltaNorm = d.norm
                    self.pending?[index].deltaNonFinite = d.nonFinite
                }
            }
            stats.append(s)
        }
        pending = stats
        if !tape.parameterGradientObservers.contains(where: { _ in true }) {
            tape.parameterGradientObservers.append { [unowned self] p, g in self.parameterGradient(p, g) }
        }
    }

    private func parameterGradient(_ p: Parameter<Float>, _ g: Tensor<Float>) {
        guard probing, let slot = parameterSlots[ObjectIdentifier(p)] else { return }
        let s = g.summary()
        if slot.isWeight {
            pending?[slot.block].gradNorm = s.norm
            pending?[slot.block].gradRMS = s.rms
            pending?[slot.block].gradMaxAbs = s.maxAbs
            pending?[slot.block].gradMeanAbs = s.meanAbs
            pending?[slot.block].gradZeroFraction = s.zeroFraction
            pending?[slot.block].gradNonFinite = s.nonFinite
        } else {
            pending?[slot.block].biasGradNorm = s.norm
            pending?[slot.block].gradNonFinite += s.nonFinite
        }
    }

    @discardableResult
    private func finish(step: Int, loss: Double, accuracy: Double?, gradNorm: Double, learningRate: Double,
                        optimizer: Optimizer<Float>?, batch: Dataset<Float>?) -> ProbeStep {
        probing = false
        var layers = pending ?? []
        pending = nil
        if let optimizer, optimizer.lastUpdateNorms.count == optimizer.parameters.count {
            let index = Dictionary(uniqueKeysWithValues: optimizer.parameters.enumerated().map { (ObjectIdentifier($1.parameter), $0) })
            for (b, block) in blocks.enumerated() {
                guard let i = index[ObjectIdentifier(block.dense.weight)] else { continue }
                layers[b].weightNorm = optimizer.lastWeightNorms[i]
                layers[b].updateNorm = optimizer.lastUpdateNorms[i]
                layers[b].updateRatio = layers[b].weightNorm > 0 ? layers[b].updateNorm / layers[b].weightNorm : .infinity
            }
        } else {
            for (b, block) in blocks.enumerated() { layers[b].weightNorm = block.dense.weight.value.norm }
        }
        if step == 0 || optimizer == nil {
            for (b, block) in blocks.enumerated() { layers[b].weightStd = block.dense.weight.value.summary().std }
        }
        // Gains: the factor each layer above multiplies in, and their running product.
        let top = layers.last?.deltaNorm ?? 1
        for l in layers.indices {
            layers[l].step = step
            layers[l].gain = l + 1 < layers.count ? layers[l].deltaNorm / layers[l + 1].deltaNorm : nil
            layers[l].gainProduct = layers[l].deltaNorm / top
        }
        var record = ProbeStep(step: step, loss: loss, accuracy: accuracy, gradNorm: gradNorm, learningRate: learningRate, layers: layers)
        if options.jacobian, let batch = batch ?? lastBatch {
            let spectra = JacobianSpectra.measure(blocks: blocks.map { ($0.dense, $0.activation) }, input: batch.features,
                                                  samples: options.jacobianSamples)
            for l in record.layers.indices {
                record.layers[l].jacobianSigmaMax = spectra.layers[l].sigmaMax
                record.layers[l].jacobianMeanSquaredSigma = spectra.layers[l].meanSquaredSigma
            }
            record.jacobianSigmaMax = spectra.total.sigmaMax
            record.jacobianMeanSquaredSigma = spectra.total.meanSquaredSigma
        }
        steps.append(record)
        write(record)
        for f in onRecord { f(record) }
        return record
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

    private func write(_ record: ProbeStep) {
        guard let sink else { return }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var head = record; head.layers = []
        var out = jsonLine(enc, head, type: "step")
        for l in record.layers { out += jsonLine(enc, l, type: "layer") }
        sink.write(out.data(using: .utf8)!)
    }

    private func jsonLine<T: Encodable>(_ enc: JSONEncoder, _ value: T, type: String) -> String {
        var s = String(data: try! enc.encode(value), encoding: .utf8)!
        s.removeFirst()
        return "{\"type\":\"\(type)\"," + s + "\n"
    }
}
