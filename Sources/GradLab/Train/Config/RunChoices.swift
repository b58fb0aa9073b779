import Foundation

/// A closed set of named choices in a run config. The raw values are the spellings of config
/// files, experiment YAML and flags; `aliases` are other spellings accepted on input.
public protocol RunChoice: RawRepresentable, CaseIterable, Codable, Sendable, Hashable, CustomStringConvertible where RawValue == String {
    static var aliases: [String: Self] { get }
}

extension RunChoice {
    public static var aliases: [String: Self] { [:] }
    public static var names: [String] { allCases.map(\.rawValue) }
    /// The config spelling, so interpolation prints what a person would type.
    public var description: String { rawValue }
    public init?(name: String) {
        guard let v = Self(rawValue: name) ?? Self.aliases[name] else { return nil }
        self = v
    }
}

extension ActivationKind: RunChoice {}
extension NormalizationKind: RunChoice {}
extension SequenceTask: RunChoice {}

/// The network: a plain MLP, a residual MLP, or a stack of recurrent layers of one cell type.
public enum ModelKind: String, RunChoice {
    /// `depth` hidden Dense layers of `width` units, each followed by the activation.
    case mlp
    /// A stem Dense, `depth` pre-activation residual blocks of two Dense layers, a head.
    case resmlp
    case rnnTanh = "rnn-tanh", rnnRelu = "rnn-relu", lstm, gru

    /// The recurrent cell, for recurrent models.
    public var cell: RecurrentCell? { RecurrentCell(rawValue: rawValue) }
}

/// The weight initializer by name. σ_w², σ_b² are read from the config for `normal` and
/// `uniform` (σ_w² as gain² for `orthogonal` and `identity`); the edge-of-chaos choices put σ_w²
/// on the critical line and are turned into `normal`/`orthogonal` by `RunConfig.resolved()`.
public enum InitKind: String, RunChoice {
    case normal, uniform, glorotUniform = "glorot-uniform", glorotNormal = "glorot-normal"
    case heUniform = "he-uniform", heNormal = "he-normal", lecunNormal = "lecun-normal"
    case torchDefault = "torch-default", orthogonal, identity, zeros
    case edgeOfChaos = "edge-of-chaos", edgeOfChaosOrthogonal = "edge-of-chaos-orthogonal"

    public static let aliases: [String: InitKind] = ["xavier-uniform": .glorotUniform, "xavier-normal": .glorotNormal,
                                                      "kaiming-uniform": .heUniform, "kaiming-normal": .heNormal]

    /// The initializer; the edge-of-chaos choices need σ_w² from the theory first (`resolved()`).
    public func initializer(sigmaW2: Double, sigmaB2: Double) throws -> Initializer {
        switch self {
        case .normal: return .normal(sigmaW2: sigmaW2, sigmaB2: sigmaB2)
        case .uniform: return .uniform(sigmaW2: sigmaW2, sigmaB2: sigmaB2)
        case .glorotUniform: return .glorotUniform(gain: 1)
        case .glorotNormal: return .glorotNormal(gain: 1)
        case .heUniform: return .heUniform(gain: 2.0.squareRoot())
        case .heNormal: return .heNormalReLU
        case .lecunNormal: return .lecunNormal
        case .torchDefault: return .torchDefault
        case .orthogonal: return .orthogonal(gain: sigmaW2.squareRoot(), sigmaB2: sigmaB2)
        case .identity: return .identity(gain: sigmaW2.squareRoot())
        case .zeros: return .zeros
        case .edgeOfChaos, .edgeOfChaosOrthogonal:
            throw GradLabError.invalid("init \(rawValue) is resolved to a critical σ_w² by the theory module: call RunConfig.resolved() first")
        }
    }

    /// σ_w² of a hidden layer of equal fan-in and fan-out under this initializer (the mean-field
    /// weight variance times fan-in), or nil where it is not Gaussian-like (identity, zeros).
    public func sigmaW2(configured: Double) -> Double? {
        switch self {
        case .normal, .uniform, .orthogonal, .edgeOfChaos, .edgeOfChaosOrthogonal: return configured
        case .heNormal, .heUniform: return 2
        case .lecunNormal, .glorotUniform, .glorotNormal: return 1
        case .torchDefault: return 1.0 / 3
        case .identity, .zeros: return nil
        }
    }

    /// Whether biases are drawn with variance σ_b² (the others start at 0 or their own rule).
    public var drawsBiasVariance: Bool { [.normal, .uniform, .orthogonal, .edgeOfChaos, .edgeOfChaosOrthogonal].contains(self) }

    /// The initializer that keeps each layer's gain near 1 for `activation`: He for the ReLU
    /// family and GELU (He et al. 2015), LeCun for SELU (Klambauer et al. 2017), the critical
    /// σ_w² for tanh-like units (Schoenholz et al. 2017); nil where none is established.
    public static func matched(to activation: ActivationKind) -> InitKind? {
        switch activation {
        case .relu, .leakyRelu, .elu, .gelu: return .heNormal
        case .selu: return .lecunNormal
        case .tanh, .softsign: return .edgeOfChaos
        default: return nil
        }
    }
}

public enum OptimizerKind: String, RunChoice {
    case sgd, momentum, nesterov, adam, adamw, rmsprop
}

/// Learning-rate schedules: constant, step (×0.1 every third of the run), cosine to 0.
public enum ScheduleKind: String, RunChoice {
    case constant, step, cosine
}

/// Recurrent weight initializers; `recurrent-scale` is the spectral radius (the std for gaussian).
public enum RecurrentInitKind: String, RunChoice {
    case torchDefault = "torch-default", identity, orthogonal, gaussianRadius = "gaussian-radius", gaussian

    public func recurrentInit(scale: Double?) -> RecurrentInit {
        switch self {
        case .torchDefault: return .torchDefault
        case .identity: return .identity(radius: scale ?? 1)
        case .orthogonal: return .orthogonal(radius: scale ?? 1)
        case .gaussianRadius: return .gaussianRadius(scale ?? 1)
        case .gaussian: return .gaussian(std: scale ?? -1)
        }
    }
}

/// The residual MLP's branch scale: a named rule or a number.
public enum BranchScaleSetting: Hashable, Sendable, Codable, CustomStringConvertible {
    case one, skipInit, fixup, invSqrtDepth, value(Double)

    public static let names = ["one", "skipinit", "fixup", "inv-sqrt-depth", "<number>"]

    public init?(name: String) {
        switch name.lowercased() {
        case "one": self = .one
        case "skipinit", "skip-init": self = .skipInit
        case "fixup": self = .fixup
        case "inv-sqrt-depth": self = .invSqrtDepth
        default:
            guard let a = Double(name), a.isFinite else { return nil }
            self = .value(a)
        }
    }

    public var description: String {
        switch self {
        case .one: return "one"
        case .skipInit: return "skipinit"
        case .fixup: return "fixup"
        case .invSqrtDepth: return "inv-sqrt-depth"
        case .value(let a): return "\(a)"
        }
    }

    public func scale(blocks: Int) -> BranchScale {
        switch self {
        case .one: return .one
        case .skipInit: return .skipInit
        case .fixup: return .fixup
        case .invSqrtDepth: return .fixed(1 / Double(Swift.max(blocks, 1)).squareRoot())
        case .value(let a): return .fixed(a)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let a = try? c.decode(Double.self) { self = .value(a); return }
        let s = try c.decode(String.self)
        guard let v = BranchScaleSetting(name: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown branch scale '\(s)'")
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Where the training data come from: a built-in set, a sequence task, or a file.
public enum DataSource: Hashable, Sendable, Codable, CustomStringConvertible {
    case digits, spirals, circles, blobs, xor, parity, teacher
    case sequence(SequenceTask)
    /// A CSV file whose last column is the integer label.
    case csv(String)
    /// MNIST-format IDX image and label files.
    case idx(images: String, labels: String)

    public static let builtins: [DataSource] = [.digits, .spirals, .circles, .blobs, .xor, .parity, .teacher]
    public static let names = builtins.map(\.description) + SequenceTask.names + ["csv:<file>", "idx:<images>,<labels>"]

    public init?(name: String) {
        if let b = DataSource.builtins.first(where: { $0.description == name }) { self = b; return }
        if let t = SequenceTask(rawValue: name) { self = .sequence(t); return }
        if name.hasPrefix("csv:"), name.count > 4 { self = .csv(String(name.dropFirst(4))); return }
        if name.hasPrefix("idx:") {
            let parts = name.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            self = .idx(images: parts[0], labels: parts[1]); return
        }
        return nil
    }

    public var description: String {
        switch self {
        case .digits: return "digits"
        case .spirals: return "spirals"
        case .circles: return "circles"
        case .blobs: return "blobs"
        case .xor: return "xor"
        case .parity: return "parity"
        case .teacher: return "teacher"
        case .sequence(let t): return t.rawValue
        case .csv(let path): return "csv:\(path)"
        case let .idx(images, labels): return "idx:\(images),\(labels)"
        }
    }

    public var sequenceTask: SequenceTask? { if case .sequence(let t) = self { return t } else { return nil } }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = DataSource(name: s) else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown data '\(s)'") }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
