import Foundation
import GradLab

/// What the probe measured on one Dense layer ("layer" l = the l-th Dense layer from the input,
/// 1-based; `name` is its dotted prefix, e.g. `layers.4`) at one step.
///
/// JSON Lines schema (one object per step and layer, `"type": "layer"`): every field below in
/// snake_case. Gradient fields describe ∂L/∂W of the layer's weight; `delta_*` the back-propagated
/// signal δ_l = ∂L/∂z_l at the layer's pre-activation output z_l = x·Wᵀ + b; `gain` is
/// ‖δ_l‖/‖δ_{l+1}‖, the factor layer l+1 multiplied in, and `gain_product` = ‖δ_l‖/‖δ_L‖, the
/// product of factors from the top down to this layer. Activation fields describe h_l = φ(z_l).
public struct LayerStats: Codable, Equatable, Sendable {
    public var step: Int
    public var layer: Int
    public var name: String
    public var activation: String?
    public var gradNorm: Double = 0
    public var gradRMS: Double = 0
    public var gradMaxAbs: Double = 0
    public var gradMeanAbs: Double = 0
    public var gradZeroFraction: Double = 0
    public var gradNonFinite: Int = 0
    public var biasGradNorm: Double?
    public var weightNorm: Double = .nan
    public var weightStd: Double?
    public var updateNorm: Double = .nan
    public var updateRatio: Double = .nan
    public var activationMean: Double = 0
    public var activationStd: Double = 0
    public var activationNonFinite: Int = 0
    /// Fraction of pre-activations |z| beyond the saturation threshold (sigmoid/tanh-like layers).
    public var saturatedFraction: Double?
    /// Fraction of units whose pre-activation is ≤ 0 for every sample of the batch (ReLU).
    public var deadFraction: Double?
    public var deltaNorm: Double = 0
    public var deltaNonFinite: Int = 0
    public var gain: Double?
    public var gainProduct: Double = 1
    /// Jacobian of this layer's block h_{l−1} → h_l (opt-in): largest singular value and mean σ².
    public var jacobianSigmaMax: Double?
    public var jacobianMeanSquaredSigma: Double?

    public init(step: Int, layer: Int, name: String, activation: String? = nil) {
        self.step = step; self.layer = layer; self.name = name; self.activation = activation
    }

    enum CodingKeys: String, CodingKey {
        case step, layer, name, activation, gradNorm = "grad_norm", gradRMS = "grad_rms", gradMaxAbs = "grad_max_abs"
        case gradMeanAbs = "grad_mean_abs", gradZeroFraction = "grad_zero_fraction", gradNonFinite = "grad_nonfinite"
        case biasGradNorm = "bias_grad_norm", weightNorm = "weight_norm", weightStd = "weight_std", updateNorm = "update_norm"
        case updateRatio = "update_ratio", activationMean = "activation_mean", activationStd = "activation_std"
        case activationNonFinite = "activation_nonfinite", saturatedFraction = "saturated_fraction", deadFraction = "dead_fraction"
        case deltaNorm = "delta_norm", deltaNonFinite = "delta_nonfinite", gain, gainProduct = "gain_product"
        case jacobianSigmaMax = "jacobian_sigma_max", jacobianMeanSquaredSigma = "jacobian_mean_sq_sigma"
    }
}

/// How a layer is shown everywhere (verdicts, tables, charts, the terminal): its 1-based index among
/// the model's linear maps counted from the input, then its stable dotted name, e.g. `3 · layers.4`.
/// `short` is the bare index for tight axes, where a legend or caption gives the names.
public struct LayerLabel: Hashable, Sendable {
    public var index: Int
    public var name: String
    public init(index: Int, name: String) { self.index = index; self.name = name }
    public var text: String { "\(index) · \(name)" }
    public var short: String { "\(index)" }
    /// In a sentence: "layer 3 (layers.4)".
    public var prose: String { "layer \(index) (\(name))" }
}

extension LayerStats {
    public var label: LayerLabel { LayerLabel(index: layer, name: name) }
}

/// One probed step: the training metrics and every layer's statistics (`"type": "step"` in JSON
/// Lines, written before its layers). In a diagnostic session's stream the first record is the look
/// before training (one forward/backward, nothing updated; `beforeTraining`), then the probed
/// training steps.
public struct ProbeStep: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Double
    public var accuracy: Double?
    public var gradNorm: Double
    public var learningRate: Double
    public var layers: [LayerStats]
    /// Whole-network input–output Jacobian (opt-in).
    public var jacobianSigmaMax: Double?
    public var jacobianMeanSquaredSigma: Double?
    /// Through-time statistics of each recurrent layer (`"type": "time"` records in JSON Lines).
    public var time: [TimeStats] = []
    /// Loss and accuracy on the fixed probe batch after this step's update (opt-in, see
    /// `Probe.Options.fixedBatchEvery`): free of mini-batch noise, so two values differ only
    /// because the weights moved. `loss` is the training batch's, noisy at small batch sizes.
    public var fixedLoss: Double?
    public var fixedAccuracy: Double?
    /// True for the look before training (`Probe.measureOnce`), absent otherwise.
    public var beforeTraining: Bool?

    public init(step: Int, loss: Double, accuracy: Double? = nil, gradNorm: Double, learningRate: Double, layers: [LayerStats],
                fixedLoss: Double? = nil, fixedAccuracy: Double? = nil) {
        self.step = step; self.loss = loss; self.accuracy = accuracy; self.gradNorm = gradNorm
        self.learningRate = learningRate; self.layers = layers; self.fixedLoss = fixedLoss; self.fixedAccuracy = fixedAccuracy
    }

    enum CodingKeys: String, CodingKey {
        case step, loss, accuracy, gradNorm = "grad_norm", learningRate = "learning_rate", layers, time
        case jacobianSigmaMax = "jacobian_sigma_max", jacobianMeanSquaredSigma = "jacobian_mean_sq_sigma"
        case fixedLoss = "fixed_loss", fixedAccuracy = "fixed_accuracy", beforeTraining = "before_training"
    }

    /// First layer (forward order) whose activations are non-finite, then first in backward
    /// order (top-most) whose δ or weight gradient is: where NaN/Inf entered.
    public var firstNonFinite: (layer: Int, pass: String)? {
        if let l = layers.first(where: { $0.activationNonFinite > 0 }) { return (l.layer, "forward") }
        if let l = layers.last(where: { $0.deltaNonFinite > 0 || $0.gradNonFinite > 0 }) { return (l.layer, "backward") }
        return nil
    }
}


/// What the probe measured through time in one recurrent layer at one step (`"type": "time"`).
///
/// `grad_norm_by_time[t]` is ‖∂L/∂h_t‖ for t = 1…T (the whole gradient reaching step t's hidden
/// state, over the batch); `gain_by_time[t]` = ‖∂L/∂h_t‖/‖∂L/∂h_{t+1}‖, the factor one step of
/// recurrence multiplies in going back; `first_to_last` = ‖∂L/∂h_1‖/‖∂L/∂h_T‖, their product.
/// `spectral_radius` and `sigma_max` describe the recurrent block that carries the state (RNN
/// W_hh; LSTM/GRU its g/n block), measured every few probed steps; gate fields are the LSTM forget
/// gate's (GRU: update gate's) fractions below 0.05 and above 0.95.
public struct TimeStats: Codable, Equatable, Sendable {
    public var step: Int
    public var name: String
    public var cell: String
    public var gradNormByTime: [Double]
    public var gainByTime: [Double]
    public var firstToLast: Double
    public var weightHHGradNorm: Double = 0
    public var weightIHGradNorm: Double = 0
    public var spectralRadius: Double?
    public var sigmaMax: Double?
    public var gateNearZero: Double = 0
    public var gateNearOne: Double = 0
    public var hiddenSaturated: Double = 0

    public init(step: Int, name: String, cell: String, gradNormByTime: [Double]) {
        self.step = step; self.name = name; self.cell = cell; self.gradNormByTime = gradNormByTime
        gainByTime = zip(gradNormByTime, gradNormByTime.dropFirst()).map { $1 > 0 ? $0 / $1 : .nan }
        firstToLast = (gradNormByTime.last ?? 0) > 0 ? gradNormByTime[0] / gradNormByTime.last! : .nan
    }

    enum CodingKeys: String, CodingKey {
        case step, name, cell, gradNormByTime = "grad_norm_by_time", gainByTime = "gain_by_time", firstToLast = "first_to_last"
        case weightHHGradNorm = "weight_hh_grad_norm", weightIHGradNorm = "weight_ih_grad_norm"
        case spectralRadius = "spectral_radius", sigmaMax = "sigma_max", gateNearZero = "gate_near_zero"
        case gateNearOne = "gate_near_one", hiddenSaturated = "hidden_saturated"
    }
}

/// The probe's record stream, JSON Lines: per probed step one `"type": "step"` object, then one
/// `"type": "layer"` object per layer and one `"type": "time"` object per recurrent layer, in
/// the `JSONEncoder.records` spelling. The writer and the reader of the format live here together.
public final class ProbeStream {
    private let handle: FileHandle

    /// Creates (or truncates) `path`.
    public init(creating path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw GradLabError.io("cannot create probe output \(path)")
        }
        handle = h
    }

    deinit { try? handle.close() }

    public func append(_ record: ProbeStep) {
        let enc = JSONEncoder.records
        var head = record; head.layers = []; head.time = []
        var out = Self.line(enc, head, type: "step")
        for l in record.layers { out += Self.line(enc, l, type: "layer") }
        for t in record.time { out += Self.line(enc, t, type: "time") }
        handle.write(Data(out.utf8))
    }

    static func line<T: Encodable>(_ enc: JSONEncoder, _ value: T, type: String) -> String {
        var s = String(decoding: try! enc.encode(value), as: UTF8.self)
        s.removeFirst()
        return "{\"type\":\"\(type)\"," + s + "\n"
    }

    /// The probed steps in `path` (none if it does not exist). A last line without its newline
    /// that does not parse (a run killed mid-write) is skipped with a warning naming the file and
    /// line; any other bad line is an error naming them.
    public static func read(_ path: String) throws -> [ProbeStep] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let dec = JSONDecoder.records
        struct Kind: Decodable { var type: String }
        var steps: [ProbeStep] = []
        let lines = text.split(separator: "\n").map { Data($0.utf8) }
        for (i, l) in lines.enumerated() {
            do {
                switch try dec.decode(Kind.self, from: l).type {
                case "step": steps.append(try dec.decode(ProbeStep.self, from: l))
                case "layer": if !steps.isEmpty { steps[steps.count - 1].layers.append(try dec.decode(LayerStats.self, from: l)) }
                case "time": if !steps.isEmpty { steps[steps.count - 1].time.append(try dec.decode(TimeStats.self, from: l)) }
                default: break
                }
            } catch {
                if i == lines.count - 1 && !text.hasSuffix("\n") {
                    FileHandle.standardError.write(Data("warning: \(path):\(i + 1): truncated last line skipped (the run was stopped mid-write)\n".utf8))
                    break
                }
                throw GradLabError.data("\(path):\(i + 1): not a valid probe record")
            }
        }
        return steps
    }
}
