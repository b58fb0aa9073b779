import Foundation

/// Everything that defines a training run, as flags or a JSON config file (same kebab-case
/// keys). `validate()` checks every value and names what is allowed; `build()` turns a config
/// into data, model, optimizer and trainer, deterministically from `seed`.
public struct RunConfig: Codable, Equatable, Sendable {
    public var data = "digits"
    public var samples = 2000
    /// "mlp" or a recurrent cell (rnn-tanh, rnn-relu, lstm, gru); recurrent models need a
    /// sequence task as data, use `width` hidden units and stack `depth` recurrent layers.
    public var model = "mlp"
    /// Sequence length T of the sequence tasks.
    public var seqLen = 100
    public var recurrentInit = "torch-default"
    /// Radius of identity/orthogonal/gaussian-radius recurrent inits, or the std of "gaussian".
    public var recurrentScale: Double? = nil
    /// Std of N(0, std²) input weights of recurrent layers (default: U(±1/√H)).
    public var inputStd: Double? = nil
    public var forgetBias: Double? = nil
    /// Truncated BPTT: detach the recurrent state every k steps.
    public var tbptt: Int? = nil
    /// "none", "layer" or "batch": normalization after every hidden Dense layer (MLP) or inside
    /// every residual branch (resmlp).
    public var normalization = "none"
    /// Residual MLP branch scale: one, skipinit, fixup, inv-sqrt-depth or a number.
    public var branchScale = "one"
    /// Unit-wise adaptive gradient clipping λ (e.g. 0.01).
    public var agc: Double? = nil
    /// Skip steps with a non-finite loss or gradient and halve the learning rate (in-run repair).
    public var skipNonfinite = false
    /// Standardize every input feature with the training set's mean and std (after scale/shift).
    public var standardize = false
    public var depth = 2
    public var width = 128
    public var activation = "relu"
    public var initializer = "he-normal"
    public var sigmaW2 = 1.0
    public var sigmaB2 = 0.0
    public var dropout = 0.0
    /// Every bias starts at this constant instead of the initializer's draw.
    public var biasInit: Double? = nil
    /// Inputs are fed as x·scale + shift (e.g. to reproduce unnormalized data).
    public var inputScale = 1.0
    public var inputShift = 0.0
    public var optimizer = "adam"
    public var lr = 1e-3
    public var momentum = 0.9
    public var weightDecay = 0.0
    public var schedule = "constant"
    public var warmup = 0
    public var clipNorm: Double? = nil
    public var clipValue: Double? = nil
    public var steps = 1000
    public var batch = 64
    public var seed: UInt64 = 0
    public var evalEvery = 100
    public var threads = 1

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case data, samples, model, seqLen = "seq-len", recurrentInit = "recurrent-init", recurrentScale = "recurrent-scale"
        case inputStd = "input-std", forgetBias = "forget-bias", tbptt, normalization, branchScale = "branch-scale", agc
        case skipNonfinite = "skip-nonfinite", standardize, depth, width, activation, initializer = "init", sigmaW2 = "sigma-w2", sigmaB2 = "sigma-b2"
        case dropout, biasInit = "bias-init", inputScale = "input-scale", inputShift = "input-shift", optimizer, lr, momentum, weightDecay = "weight-decay", schedule, warmup
        case clipNorm = "clip-norm", clipValue = "clip-value", steps, batch, seed, evalEvery = "eval-every", threads
    }

    public static let dataNames = ["digits", "spirals", "circles", "blobs", "xor", "parity", "teacher"]
        + SequenceTask.allCases.map(\.rawValue) + ["csv:<file>", "idx:<images>,<labels>"]
    /// "resmlp": a stem Dense, `depth` pre-activation residual blocks of two Dense layers, a head.
    public static let modelNames = ["mlp", "resmlp"] + RecurrentCell.allCases.map(\.rawValue)
    public var isRecurrent: Bool { RecurrentCell(rawValue: model) != nil }
    /// The sequence task named by `data`, if it is one.
    public var sequenceTask: SequenceTask? { SequenceTask(rawValue: data) }
    public static let optimizerNames = ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"]
    public static let scheduleNames = ["constant", "step", "cosine"]

    /// Reads a JSON config file; unknown keys and wrongly typed values are refused by name.
    public static func load(_ path: String) throws -> RunConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw GradLabError.io("\(path): cannot read the config file") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw GradLabError.invalid("\(path): not valid JSON (\((error as NSError).userInfo["NSDebugDescription"] ?? "parse error"))")
        }
        guard let dict = object as? [String: Any] else { throw GradLabError.invalid("\(path): the config must be a JSON object of key: value") }
        do { return try decode(dict) } catch let e as GradLabError { throw GradLabError.invalid("\(path): \(e.description)") }
    }

    /// A config from a dictionary of run-config keys; unknown keys and wrongly typed values are
    /// refused by name (the message has no file name: callers add theirs).
    public static func decode(_ dict: [String: Any]) throws -> RunConfig {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let bad = dict.keys.sorted().first(where: { !known.contains($0) }) {
            throw GradLabError.invalid("unknown key '\(bad)'; allowed keys: \(CodingKeys.allCases.map(\.stringValue).joined(separator: ", "))")
        }
        let data = try JSONSerialization.data(withJSONObject: dict)
        do {
            return try JSONDecoder().decode(RunConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, ctx), let DecodingError.valueNotFound(type, ctx) {
            let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw GradLabError.invalid("key '\(key)' must be \(type == String.self ? "a string" : type == Double.self ? "a number" : type == Bool.self ? "true or false" : "an integer"), got \(dict[key].map { "\($0)" } ?? "null")")
        } catch {
            throw GradLabError.invalid("\(error)")
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        let d = RunConfig()
        data = try v(.data, d.data); samples = try v(.samples, d.samples); depth = try v(.depth, d.depth)
        model = try v(.model, d.model); seqLen = try v(.seqLen, d.seqLen); recurrentInit = try v(.recurrentInit, d.recurrentInit)
        recurrentScale = try c.decodeIfPresent(Double.self, forKey: .recurrentScale); inputStd = try c.decodeIfPresent(Double.self, forKey: .inputStd)
        forgetBias = try c.decodeIfPresent(Double.self, forKey: .forgetBias); tbptt = try c.decodeIfPresent(Int.self, forKey: .tbptt)
        normalization = try v(.normalization, d.normalization); branchScale = try v(.branchScale, d.branchScale)
        agc = try c.decodeIfPresent(Double.self, forKey: .agc); skipNonfinite = try v(.skipNonfinite, d.skipNonfinite)
        standardize = try v(.standardize, d.standardize)
        width = try v(.width, d.width); activation = try v(.activation, d.activation)
        initializer = try v(.initializer, d.initializer); sigmaW2 = try v(.sigmaW2, d.sigmaW2); sigmaB2 = try v(.sigmaB2, d.sigmaB2)
        dropout = try v(.dropout, d.dropout); biasInit = try c.decodeIfPresent(Double.self, forKey: .biasInit)
        inputScale = try v(.inputScale, d.inputScale); inputShift = try v(.inputShift, d.inputShift); optimizer = try v(.optimizer, d.optimizer); lr = try v(.lr, d.lr)
        momentum = try v(.momentum, d.momentum); weightDecay = try v(.weightDecay, d.weightDecay)
        schedule = try v(.schedule, d.schedule); warmup = try v(.warmup, d.warmup)
        clipNorm = try c.decodeIfPresent(Double.self, forKey: .clipNorm); clipValue = try c.decodeIfPresent(Double.self, forKey: .clipValue)
        steps = try v(.steps, d.steps); batch = try v(.batch, d.batch); seed = try v(.seed, d.seed)
        evalEvery = try v(.evalEvery, d.evalEvery); threads = try v(.threads, d.threads)
    }

    /// Checks every value; the error names the key, the value and what is allowed.
    public func validate() throws {
        func need(_ ok: Bool, _ msg: @autoclosure () -> String) throws { if !ok { throw GradLabError.invalid(msg()) } }
        try need(Self.dataNames.dropLast(2).contains(data) || data.hasPrefix("csv:") || data.hasPrefix("idx:"),
                 "data '\(data)' is not known; allowed: \(Self.dataNames.joined(separator: ", "))")
        try need(samples >= 4, "samples \(samples) must be ≥ 4")
        try need(Self.modelNames.contains(model), "model '\(model)' is not known; allowed: \(Self.modelNames.joined(separator: ", "))")
        try need(!isRecurrent || sequenceTask != nil,
                 "model '\(model)' reads sequences; set data to a sequence task: \(SequenceTask.allCases.map(\.rawValue).joined(separator: ", "))")
        let shortest = sequenceTask == .adding1997 || sequenceTask == .multiplication ? 22 : 10
        try need(seqLen >= shortest && seqLen <= 100_000, "seq-len \(seqLen) must be in \(shortest)…100000 for \(data)")
        _ = try RecurrentInit.named(recurrentInit, scale: recurrentScale)
        try need(recurrentScale.map { $0 > 0 && $0.isFinite } ?? true, "recurrent-scale must be a positive number")
        try need(inputStd.map { $0 > 0 && $0.isFinite } ?? true, "input-std must be a positive number")
        try need(forgetBias.map(\.isFinite) ?? true, "forget-bias must be a finite number")
        try need(tbptt.map { $0 >= 1 } ?? true, "tbptt \(tbptt ?? 0) must be ≥ 1 step")
        try need(!isRecurrent || depth >= 1, "depth \(depth): a recurrent model needs ≥ 1 recurrent layer")
        _ = try NormalizationKind.named(normalization)
        _ = try BranchScale.named(branchScale, blocks: Swift.max(depth, 1))
        try need(agc.map { $0 > 0 && $0.isFinite } ?? true, "agc \(agc ?? 0) must be a positive number (λ, e.g. 0.01)")
        try need(depth >= 0 && depth <= 10_000, "depth \(depth) must be in 0…10000 (hidden layers)")
        try need(width >= 1 && width <= 1 << 16, "width \(width) must be in 1…65536")
        try need(ActivationKind(rawValue: activation) != nil,
                 "activation '\(activation)' is not known; allowed: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        _ = try Initializer.named(initializer, sigmaW2: sigmaW2, sigmaB2: sigmaB2)
        try need(sigmaW2 > 0 && sigmaW2.isFinite, "sigma-w2 \(sigmaW2) must be a positive number")
        try need(sigmaB2 >= 0 && sigmaB2.isFinite, "sigma-b2 \(sigmaB2) must be ≥ 0")
        try need(dropout >= 0 && dropout < 1, "dropout \(dropout) must be in [0, 1)")
        try need(biasInit.map(\.isFinite) ?? true, "bias-init must be a finite number")
        try need(inputScale.isFinite && inputScale != 0, "input-scale \(inputScale) must be a finite, non-zero number")
        try need(inputShift.isFinite, "input-shift \(inputShift) must be a finite number")
        try need(Self.optimizerNames.contains(optimizer), "optimizer '\(optimizer)' is not known; allowed: \(Self.optimizerNames.joined(separator: ", "))")
        try need(lr > 0 && lr.isFinite, "lr \(lr) must be a positive number")
        try need(momentum >= 0 && momentum < 1, "momentum \(momentum) must be in [0, 1)")
        try need(weightDecay >= 0 && weightDecay.isFinite, "weight-decay \(weightDecay) must be ≥ 0")
        try need(Self.scheduleNames.contains(schedule), "schedule '\(schedule)' is not known; allowed: \(Self.scheduleNames.joined(separator: ", "))")
        try need(warmup >= 0, "warmup \(warmup) must be ≥ 0 steps")
        try need(clipNorm.map { $0 > 0 && $0.isFinite } ?? true, "clip-norm \(clipNorm ?? 0) must be a positive number")
        try need(clipValue.map { $0 > 0 && $0.isFinite } ?? true, "clip-value \(clipValue ?? 0) must be a positive number")
        try need(clipNorm == nil || clipValue == nil, "choose one of clip-norm and clip-value, not both")
        try need(steps >= 1, "steps \(steps) must be ≥ 1")
        try need(batch >= 1, "batch \(batch) must be ≥ 1")
        try need(evalEvery >= 0, "eval-every \(evalEvery) must be ≥ 0 (0 = only at the end)")
        try need(threads >= 1 && threads <= 256, "threads \(threads) must be in 1…256")
    }

    /// Train and test sets for `data`, with `input-scale` and `input-shift` applied.
    public func loadData<S: Scalar>() throws -> (train: Dataset<S>, test: Dataset<S>) {
        var (train, test): (Dataset<S>, Dataset<S>) = try loadRawData()
        if inputScale != 1 || inputShift != 0 {
            let (a, b) = (S(inputScale), S(inputShift))
            train.features = train.features.map { $0 * a + b }
            test.features = test.features.map { $0 * a + b }
        }
        if standardize { (train, test) = (train.standardized(using: train), test.standardized(using: train)) }
        return (train, test)
    }

    /// Synthetic sets draw the test set from a different seed.
    func loadRawData<S: Scalar>() throws -> (train: Dataset<S>, test: Dataset<S>) {
        let testN = Swift.max(samples / 4, 4)
        func synth(_ f: (Int, UInt64) -> Dataset<S>) -> (Dataset<S>, Dataset<S>) { (f(samples, seed &+ 1000), f(testN, seed &+ 2000)) }
        if let task = sequenceTask {
            return (task.generate(samples: samples, length: seqLen, seed: seed &+ 1000), task.generate(samples: testN, length: seqLen, seed: seed &+ 2000))
        }
        switch data {
        case "digits": return try Digits.load()
        case "spirals": return synth { SyntheticData.twoSpirals(samples: $0, seed: $1) }
        case "circles": return synth { SyntheticData.circles(samples: $0, seed: $1) }
        case "blobs": return synth { SyntheticData.blobs(samples: $0, seed: $1) }
        case "xor": return synth { SyntheticData.parity(samples: $0, bits: 2, seed: $1) }
        case "parity": return synth { SyntheticData.parity(samples: $0, bits: 8, seed: $1) }
        case "teacher": return synth { SyntheticData.teacherStudent(samples: $0, seed: $1) }
        default:
            let all: Dataset<S>
            if data.hasPrefix("csv:") {
                all = try DataReader.csv(String(data.dropFirst(4)))
            } else {
                let parts = data.dropFirst(4).split(separator: ",").map(String.init)
                guard parts.count == 2 else { throw GradLabError.invalid("data '\(data)': write idx:<images file>,<labels file>") }
                all = try DataReader.idxPair(images: parts[0], labels: parts[1])
            }
            // Fixed split: a seeded permutation, 80% train.
            var rng = SeededRandom(seed: 0x5E1)
            let order = rng.permutation(all.count), cut = Swift.max(1, all.count * 4 / 5)
            return (all.subset(Array(order[..<cut])), all.subset(Array(order[cut...])))
        }
    }

    public func makeInitializer() throws -> Initializer { try Initializer.named(initializer, sigmaW2: sigmaW2, sigmaB2: sigmaB2) }

    public func makeModel<S: Scalar>(inputs: Int, outputs: Int) throws -> Sequential<S> {
        var rng = SeededRandom.derived(seed: seed, 0x1417)
        if let cell = RecurrentCell(rawValue: self.model), let task = sequenceTask {
            return Sequential<S>.recurrent(cell, features: task.features, steps: task.steps(seqLen), hidden: width, layers: depth,
                                           outputs: outputs, everyStep: task == .copy,
                                           recurrentInit: try RecurrentInit.named(recurrentInit, scale: recurrentScale),
                                           inputStd: inputStd, forgetBias: forgetBias, truncation: tbptt, rng: &rng)
        }
        let norm = try NormalizationKind.named(normalization)
        let model = self.model == "resmlp"
            ? try Sequential<S>.residualMLP(inputs: inputs, width: width, blocks: depth, outputs: outputs,
                                            activation: ActivationKind(rawValue: activation)!, initializer: try makeInitializer(),
                                            normalization: norm, branchScale: try BranchScale.named(branchScale, blocks: Swift.max(depth, 1)), rng: &rng)
            : Sequential<S>.mlp(inputs: inputs, width: width, depth: depth, outputs: outputs,
                                activation: ActivationKind(rawValue: activation)!, initializer: try makeInitializer(),
                                dropout: dropout, normalization: norm, rng: &rng)
        if let biasInit {
            for (name, p) in model.namedParameters where name.hasSuffix(".bias") { p.value = Tensor(shape: p.value.shape, repeating: S(biasInit)) }
        }
        return model
    }

    public func makeRule() -> any UpdateRule {
        switch optimizer {
        case "sgd": return SGD(weightDecay: weightDecay)
        case "momentum": return SGD(momentum: momentum, weightDecay: weightDecay)
        case "nesterov": return SGD(momentum: momentum, nesterov: true, weightDecay: weightDecay)
        case "adam": return Adam(weightDecay: weightDecay)
        case "adamw": return Adam.adamW(weightDecay: weightDecay)
        default: return RMSProp(weightDecay: weightDecay)
        }
    }

    public func makeSchedule() -> LRSchedule {
        let base: LRSchedule
        switch schedule {
        case "step": base = .step(lr: lr, every: Swift.max(steps / 3, 1), gamma: 0.1)
        case "cosine": base = .cosine(lr: lr, total: steps, minimum: 0)
        default: base = .constant(lr)
        }
        return warmup > 0 ? .warmup(steps: warmup, then: base) : base
    }

    public var clipping: GradientClipping {
        if let c = clipNorm { return .globalNorm(c) }
        if let c = clipValue { return .value(c) }
        return .none
    }

    /// Data, model, optimizer and trainer for this config.
    public func build<S: Scalar>() throws -> (trainer: Trainer<S>, train: Dataset<S>, test: Dataset<S>) {
        try validate()
        let (train, test): (Dataset<S>, Dataset<S>) = try loadData()
        let model: Sequential<S> = try makeModel(inputs: train.inputSize, outputs: train.outputSize)
        let opt = Optimizer<S>(makeRule(), schedule: makeSchedule(), parameters: model.namedParameters)
        let trainer = Trainer(model: model, optimizer: opt, batchSize: batch, seed: seed)
        trainer.clipping = clipping
        trainer.adaptiveClipping = agc
        if skipNonfinite { trainer.nonFiniteGuard = try NonFiniteGuard() }
        return (trainer, train, test)
    }

    /// The config as pretty JSON (saved with checkpoints so a run can be repeated exactly).
    public var json: String {
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(data: try! enc.encode(self), encoding: .utf8)!
    }
}
