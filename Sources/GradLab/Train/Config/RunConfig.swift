import Foundation

/// Everything that defines a training run, as flags, a JSON config file or experiment YAML (the
/// same kebab-case keys). Each key is written twice: its property here and its row in `keys`,
/// which drives decoding, encoding, validation, overrides and the error texts. `build()` turns a
/// config into data, model, optimizer and trainer, deterministically from `seed`.
public struct RunConfig: Codable, Equatable, Sendable {
    public var data = DataSource.digits
    public var samples = 2000
    public var model = ModelKind.mlp
    public var seqLen = 100
    public var recurrentInit = RecurrentInitKind.torchDefault
    public var recurrentScale: Double? = nil
    public var inputStd: Double? = nil
    public var forgetBias: Double? = nil
    public var tbptt: Int? = nil
    public var normalization = NormalizationKind.none
    public var branchScale = BranchScaleSetting.one
    public var agc: Double? = nil
    public var skipNonfinite = false
    public var standardize = false
    public var depth = 2
    public var width = 128
    public var activation = ActivationKind.relu
    public var initializer = InitKind.heNormal
    public var sigmaW2 = 1.0
    public var sigmaB2 = 0.0
    public var dropout = 0.0
    public var biasInit: Double? = nil
    public var inputScale = 1.0
    public var inputShift = 0.0
    public var optimizer = OptimizerKind.adam
    public var lr = 1e-3
    public var momentum = 0.9
    public var weightDecay = 0.0
    public var schedule = ScheduleKind.constant
    public var warmup = 0
    public var clipNorm: Double? = nil
    public var clipValue: Double? = nil
    public var steps = 1000
    public var batch = 64
    public var seed: UInt64 = 0
    public var evalEvery = 100
    public var threads = 1
    /// The probe's cadence when the run is probed (diagnosis rules read windows of probed steps,
    /// so the same config gives the same verdicts whichever command runs it).
    public var probeEvery = 1

    public init() {}

    /// The key table: one row per key.
    public static let keys: [ConfigKey] = [
        ConfigKey("data", \.data, "Data set: \(DataSource.names.joined(separator: ", ")).") ,
        ConfigKey("samples", \.samples, "Samples for synthetic data sets.", check: Check.atLeast(4)),
        ConfigKey("model", \.model, "Model: \(ModelKind.names.joined(separator: ", ")) (recurrent models need a sequence task as data)."),
        ConfigKey("seq-len", \.seqLen, "Sequence length T of sequence tasks."),
        ConfigKey("recurrent-init", \.recurrentInit, "Recurrent weights: \(RecurrentInitKind.names.joined(separator: ", "))."),
        ConfigKey("recurrent-scale", \.recurrentScale, "Spectral radius of the recurrent init (the std for 'gaussian').", check: Check.positive),
        ConfigKey("input-std", \.inputStd, "Recurrent input weights ~ N(0, std²) (default U(±1/√H)).", check: Check.positive),
        ConfigKey("forget-bias", \.forgetBias, "LSTM forget-gate bias.", check: Check.finite),
        ConfigKey("tbptt", \.tbptt, "Truncated BPTT: detach the recurrent state every k steps.", check: { $0.map { $0 >= 1 ? nil : "must be ≥ 1 step" } ?? nil }),
        ConfigKey("normalization", \.normalization, "Normalization after every hidden Dense (mlp) or in every residual branch (resmlp): \(NormalizationKind.names.joined(separator: ", "))."),
        ConfigKey("branch-scale", \.branchScale, "Residual branch scale (resmlp): one, skipinit, fixup, inv-sqrt-depth or a number."),
        ConfigKey("agc", \.agc, "Adaptive gradient clipping λ, unit-wise (e.g. 0.01).", check: Check.positive),
        ConfigKey("skip-nonfinite", \.skipNonfinite, "Skip steps with a non-finite loss or gradient and halve the learning rate."),
        ConfigKey("standardize", \.standardize, "Standardize every input feature (training-set mean and std)."),
        ConfigKey("depth", \.depth, "Hidden layers (recurrent models: stacked recurrent layers).", check: Check.within(0...10_000)),
        ConfigKey("width", \.width, "Units per hidden layer (recurrent models: hidden size).", check: Check.within(1...65_536)),
        ConfigKey("activation", \.activation, "Activation: \(ActivationKind.names.joined(separator: ", "))."),
        ConfigKey("init", \.initializer, "Initializer: \(InitKind.names.joined(separator: ", ")) (edge-of-chaos: σ_w² on the critical line for the activation at sigma-b2)."),
        ConfigKey("sigma-w2", \.sigmaW2, "σ_w² for normal/uniform init (W ~ N(0, σ_w²/fan_in)); gain² for orthogonal/identity.", check: Check.positive),
        ConfigKey("sigma-b2", \.sigmaB2, "σ_b² for normal/uniform/orthogonal init (b ~ N(0, σ_b²)).", check: Check.nonNegative),
        ConfigKey("dropout", \.dropout, "Dropout probability after each hidden activation.", check: Check.unit),
        ConfigKey("bias-init", \.biasInit, "Start every bias at this constant.", check: Check.finite),
        ConfigKey("input-scale", \.inputScale, "Feed inputs as x·scale + shift.", check: { $0.isFinite && $0 != 0 ? nil : "must be a finite, non-zero number" }),
        ConfigKey("input-shift", \.inputShift, "Feed inputs as x·scale + shift.", check: Check.finite),
        ConfigKey("optimizer", \.optimizer, "Optimizer: \(OptimizerKind.names.joined(separator: ", "))."),
        ConfigKey("lr", \.lr, "Learning rate.", check: Check.positive),
        ConfigKey("momentum", \.momentum, "Momentum (momentum, nesterov).", check: Check.unit),
        ConfigKey("weight-decay", \.weightDecay, "Weight decay λ.", check: Check.nonNegative),
        ConfigKey("schedule", \.schedule, "Learning-rate schedule: \(ScheduleKind.names.joined(separator: ", "))."),
        ConfigKey("warmup", \.warmup, "Linear warm-up steps.", check: Check.atLeast(0, " steps")),
        ConfigKey("clip-norm", \.clipNorm, "Clip gradients to this global L2 norm.", check: Check.positive),
        ConfigKey("clip-value", \.clipValue, "Clip each gradient element to ±value.", check: Check.positive),
        ConfigKey("steps", \.steps, "Training steps (mini-batches).", check: Check.atLeast(1)),
        ConfigKey("batch", \.batch, "Batch size.", check: Check.atLeast(1)),
        ConfigKey("seed", \.seed, "Random seed (data order, init, dropout)."),
        ConfigKey("eval-every", \.evalEvery, "Evaluate on the test set every N steps (0: at the end).", check: Check.atLeast(0)),
        ConfigKey("threads", \.threads, "Threads for matrix multiplies.", check: Check.within(1...256)),
        ConfigKey("probe-every", \.probeEvery, "Probe every k-th step when the run is probed (diagnosis, records, live charts).", check: Check.atLeast(1)),
    ]

    public static let keyNames = keys.map(\.name)
    public static func key(_ name: String) -> ConfigKey? { keys.first { $0.name == name } }

    public var isRecurrent: Bool { model.cell != nil }
    /// The sequence task named by `data`, if it is one.
    public var sequenceTask: SequenceTask? { data.sequenceTask }

    // MARK: reading and writing

    /// Reads a JSON config file; unknown, repeated and null keys and wrongly typed values are
    /// refused by name.
    public static func load(_ path: String) throws -> RunConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw GradLabError.io("\(path): cannot read the config file") }
        let object: [String: JSONValue]
        do { object = try JSONDecoder().decode([String: JSONValue].self, from: data) } catch {
            throw GradLabError.invalid("\(path): the config must be a JSON object of key: value (\(Self.jsonProblem(error)))")
        }
        if let key = JSONValue.duplicateKey(in: data) {
            throw GradLabError.invalid("\(path): key '\(key)' is given twice; keep one")
        }
        do { return try RunConfig().applying(object) } catch let e as GradLabError { throw GradLabError.invalid("\(path): \(e.description)") }
    }

    static func jsonProblem(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(ctx) = error {
            return (ctx.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String ?? ctx.debugDescription
        }
        if case DecodingError.typeMismatch = error { return "not an object" }
        return "\(error)"
    }

    /// This config with `values` (run-config keys) applied; unknown keys and wrongly typed values
    /// are refused by name (the message has no file name: callers add theirs). Ranges are not
    /// checked here: `validate()` does that once every key is set.
    public func applying(_ values: [String: JSONValue]) throws -> RunConfig {
        var c = self
        for name in values.keys.sorted() {
            guard let key = Self.key(name) else {
                throw GradLabError.invalid("unknown key '\(name)'; allowed keys: \(Self.keyNames.joined(separator: ", "))")
            }
            // An unset key is left out; a written `null` is more likely a mistake than a choice.
            guard values[name]! != .null else {
                throw GradLabError.badValue(key: name, value: "null", message: "key '\(name)' is null; leave the key out to keep its default, or give a value (\(key.expected))")
            }
            try key.set(values[name]!, in: &c)
        }
        return c
    }

    /// Every key's value, as written in files (unset optional keys left out).
    public var values: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: Self.keys.compactMap { k in
            let v = k.value(in: self)
            return v == .null ? nil : (k.name, v)
        })
    }

    public init(from decoder: Decoder) throws {
        self = try RunConfig().applying(try [String: JSONValue](from: decoder))
    }

    public func encode(to encoder: Encoder) throws { try values.encode(to: encoder) }

    /// The config as pretty JSON (saved with checkpoints so a run can be repeated exactly).
    public var json: String {
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(data: try! enc.encode(self), encoding: .utf8)!
    }

    // MARK: validation

    /// Checks every value: each key's range, then the rules that join keys. The error names the
    /// key, the value and what is allowed.
    public func validate() throws {
        for key in Self.keys { if let e = key.problem(in: self) { throw e } }
        func need(_ ok: Bool, _ key: String, _ msg: @autoclosure () -> String) throws {
            if !ok { throw GradLabError.badValue(key: key, value: Self.key(key)!.value(in: self).description, message: msg()) }
        }
        try need(!isRecurrent || sequenceTask != nil, "model",
                 "model '\(model.rawValue)' reads sequences; set data to a sequence task: \(SequenceTask.names.joined(separator: ", "))")
        let shortest = sequenceTask == .adding1997 || sequenceTask == .multiplication ? 22 : 10
        try need(seqLen >= shortest && seqLen <= 100_000, "seq-len", "seq-len \(seqLen) must be in \(shortest)…100000 for \(data)")
        try need(!isRecurrent || depth >= 1, "depth", "depth \(depth): a recurrent model needs ≥ 1 recurrent layer")
        try need(clipNorm == nil || clipValue == nil, "clip-value", "choose one of clip-norm and clip-value, not both")
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
        let all: Dataset<S>
        switch data {
        case .sequence(let task):
            return (task.generate(samples: samples, length: seqLen, seed: seed &+ 1000), task.generate(samples: testN, length: seqLen, seed: seed &+ 2000))
        case .digits: return try Digits.load()
        case .spirals: return synth { SyntheticData.twoSpirals(samples: $0, seed: $1) }
        case .circles: return synth { SyntheticData.circles(samples: $0, seed: $1) }
        case .blobs: return synth { SyntheticData.blobs(samples: $0, seed: $1) }
        case .xor: return synth { SyntheticData.parity(samples: $0, bits: 2, seed: $1) }
        case .parity: return synth { SyntheticData.parity(samples: $0, bits: 8, seed: $1) }
        case .teacher: return synth { SyntheticData.teacherStudent(samples: $0, seed: $1) }
        case .csv(let path): all = try DataReader.csv(path)
        case let .idx(images, labels): all = try DataReader.idxPair(images: images, labels: labels)
        }
        // Fixed split: a seeded permutation, 80% train; both sides must hold rows.
        guard all.count >= 2 else {
            throw GradLabError.data("\(data): \(all.count) row\(all.count == 1 ? "" : "s"); the 80/20 train/test split needs at least 2 rows")
        }
        var rng = SeededRandom(seed: 0x5E1)
        let order = rng.permutation(all.count), cut = Swift.min(all.count - 1, Swift.max(1, all.count * 4 / 5))
        return (all.subset(Array(order[..<cut])), all.subset(Array(order[cut...])))
    }

    public func makeInitializer() throws -> Initializer { try initializer.initializer(sigmaW2: sigmaW2, sigmaB2: sigmaB2) }

    public func makeModel<S: Scalar>(inputs: Int, outputs: Int) throws -> Sequential<S> {
        var rng = SeededRandom.derived(seed: seed, 0x1417)
        if let cell = model.cell, let task = sequenceTask {
            return Sequential<S>.recurrent(cell, features: task.features, steps: task.steps(seqLen), hidden: width, layers: depth,
                                           outputs: outputs, everyStep: task == .copy,
                                           recurrentInit: recurrentInit.recurrentInit(scale: recurrentScale),
                                           inputStd: inputStd, forgetBias: forgetBias, truncation: tbptt, rng: &rng)
        }
        let norm = normalization
        let model = self.model == .resmlp
            ? try Sequential<S>.residualMLP(inputs: inputs, width: width, blocks: depth, outputs: outputs,
                                            activation: activation, initializer: try makeInitializer(),
                                            normalization: norm, branchScale: branchScale.scale(blocks: Swift.max(depth, 1)), rng: &rng)
            : Sequential<S>.mlp(inputs: inputs, width: width, depth: depth, outputs: outputs,
                                activation: activation, initializer: try makeInitializer(),
                                dropout: dropout, normalization: norm, rng: &rng)
        if let biasInit {
            for (name, p) in model.namedParameters where name.hasSuffix(".bias") { p.value = Tensor(shape: p.value.shape, repeating: S(biasInit)) }
        }
        return model
    }

    public func makeRule() -> any UpdateRule {
        switch optimizer {
        case .sgd: return SGD(weightDecay: weightDecay)
        case .momentum: return SGD(momentum: momentum, weightDecay: weightDecay)
        case .nesterov: return SGD(momentum: momentum, nesterov: true, weightDecay: weightDecay)
        case .adam: return Adam(weightDecay: weightDecay)
        case .adamw: return Adam.adamW(weightDecay: weightDecay)
        case .rmsprop: return RMSProp(weightDecay: weightDecay)
        }
    }

    public func makeSchedule() -> LRSchedule {
        let base: LRSchedule
        switch schedule {
        case .step: base = .step(lr: lr, every: Swift.max(steps / 3, 1), gamma: 0.1)
        case .cosine: base = .cosine(lr: lr, total: steps, minimum: 0)
        case .constant: base = .constant(lr)
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
}
