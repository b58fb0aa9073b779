import Foundation
import GradLab

/// The three outcomes a learner predicts: what the back-propagated gradient does between the
/// two ends of the net at step 0 (`GradientRatio` says which ends and where the thresholds lie).
public enum GradientOutcome: String, CaseIterable, Sendable, Codable {
    case vanishing, healthy, exploding
}

/// A feed-forward MLP on the digits data: `depth` hidden Dense layers of `width` units, each
/// followed by `activation`, weights from `initializer` (σ_w², σ_b² used where the initializer
/// reads them: `normal`, `orthogonal`), then a Dense read-out.
public struct FeedForwardSetting: Hashable, Sendable, Codable {
    public var depth: Int
    public var width: Int
    public var activation: ActivationKind
    public var initializer: InitKind
    public var sigmaW2: Double
    public var sigmaB2: Double

    public init(depth: Int, width: Int, activation: ActivationKind, initializer: InitKind, sigmaW2: Double, sigmaB2: Double) {
        self.depth = depth; self.width = width; self.activation = activation
        self.initializer = initializer; self.sigmaW2 = sigmaW2; self.sigmaB2 = sigmaB2
    }

    /// σ_w² of the hidden layers as drawn (the mean-field weight variance × fan-in).
    public var hiddenSigmaW2: Double { initializer.sigmaW2(configured: sigmaW2) ?? sigmaW2 }
    /// σ_b² as drawn: only `normal`, `uniform` and `orthogonal` draw biases with it; the others start at 0
    /// (PyTorch's default draws U(±1/√fan_in), a variance below 0.01 at these widths, taken as 0).
    public var drawnSigmaB2: Double { initializer.drawsBiasVariance ? sigmaB2 : 0 }

    /// σ_w² of the input layer, whose fan-in (`inputs`) is the data's, not the width:
    /// 2·fan_in/(fan_in + fan_out) under Glorot, gain²·min(1, fan_in/fan_out) for orthogonal
    /// weights, the hidden layers' σ_w² for the fan-in–scaled initializers.
    public func firstLayerSigmaW2(inputs: Int) -> Double {
        let fanIn = Double(inputs), fanOut = Double(width)
        switch initializer {
        case .glorotNormal, .glorotUniform: return 2 * fanIn / (fanIn + fanOut)
        case .orthogonal: return sigmaW2 * Swift.min(1, fanIn / fanOut)
        default: return hiddenSigmaW2
        }
    }

    public var text: String {
        var s = "MLP, \(depth) hidden layers of \(width) \(activation.rawValue) units, init \(initializer.rawValue)"
        if initializer.drawsBiasVariance { s += String(format: " (σ_w² = %.3g, σ_b² = %.3g)", sigmaW2, sigmaB2) }
        else { s += String(format: " (σ_w² = %.3g)", hiddenSigmaW2) }
        return s
    }
}

/// A one-layer recurrent net of `hidden` units on the adding task (Le et al. 2015) with T =
/// `steps`, read out from h_T. A vanilla tanh RNN starts from an orthogonal W_hh scaled to
/// spectral radius `radius` (biases 0); LSTM and GRU start from PyTorch's default, with the LSTM
/// forget-gate bias `forgetBias` where given.
public struct RecurrentSetting: Hashable, Sendable, Codable {
    public var cell: RecurrentCell
    public var steps: Int
    public var hidden: Int
    /// Spectral radius of the orthogonal W_hh (RNN only).
    public var radius: Double?
    public var forgetBias: Double?

    public init(cell: RecurrentCell, steps: Int, hidden: Int, radius: Double? = nil, forgetBias: Double? = nil) {
        self.cell = cell; self.steps = steps; self.hidden = hidden; self.radius = radius; self.forgetBias = forgetBias
    }

    public var text: String {
        var s = "\(cell.rawValue) recurrent net, \(hidden) units, T = \(steps) steps"
        if let radius { s += String(format: ", orthogonal W_hh with spectral radius %.3g", radius) }
        else { s += ", PyTorch's default init" }
        if let forgetBias { s += String(format: ", forget-gate bias %+.3g", forgetBias) }
        return s
    }
}

/// One setting a question is about.
public enum PredictionSetting: Hashable, Sendable, Codable {
    case feedForward(FeedForwardSetting)
    case recurrent(RecurrentSetting)

    /// Seed of every run of a setting: the same question always measures the same weights.
    public static let runSeed: UInt64 = 0x5EED

    /// The run config that builds it: digits (MLP) or the adding task (recurrent), plain SGD at
    /// learning rate `lr` (a race trains it; a step-0 look only builds it), `steps` training steps.
    public func config(steps: Int = 1, lr: Double = 0.05) -> RunConfig {
        var c = RunConfig()
        c.seed = Self.runSeed; c.steps = steps; c.evalEvery = 0; c.lr = lr; c.optimizer = .sgd; c.batch = 64
        switch self {
        case .feedForward(let s):
            c.data = .digits; c.model = .mlp; c.depth = s.depth; c.width = s.width
            c.activation = s.activation; c.initializer = s.initializer; c.sigmaW2 = s.sigmaW2; c.sigmaB2 = s.sigmaB2
        case .recurrent(let s):
            c.data = .sequence(.adding); c.samples = 512; c.seqLen = s.steps; c.depth = 1; c.width = s.hidden
            c.model = ModelKind(rawValue: s.cell.rawValue) ?? .rnnTanh
            if let r = s.radius { c.recurrentInit = .orthogonal; c.recurrentScale = r }
            c.forgetBias = s.forgetBias
        }
        return c
    }

    public var text: String {
        switch self {
        case .feedForward(let s): return s.text
        case .recurrent(let s): return s.text
        }
    }
}
