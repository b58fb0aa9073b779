import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports
import GradLabStore
import GradLabTheory

/// Flags for every `RunConfig` key; a value given here overrides the config file.
struct RunOptions: ParsableArguments {
    @Option(help: "JSON config file with the same keys as these flags (e.g. {\"depth\": 20, \"activation\": \"tanh\"}).")
    var config: String?
    @Option(help: "Data set: \(RunConfig.dataNames.joined(separator: ", ")).") var data: String?
    @Option(help: "Samples for synthetic data sets.") var samples: Int?
    @Option(help: "Model: \(RunConfig.modelNames.joined(separator: ", ")) (recurrent models need a sequence task as --data).") var model: String?
    @Option(name: .customLong("seq-len"), help: "Sequence length T of sequence tasks.") var seqLen: Int?
    @Option(name: .customLong("recurrent-init"), help: "Recurrent weights: \(RecurrentInit.names.joined(separator: ", ")).") var recurrentInit: String?
    @Option(name: .customLong("recurrent-scale"), help: "Spectral radius of the recurrent init (the std for 'gaussian').") var recurrentScale: Double?
    @Option(name: .customLong("input-std"), help: "Recurrent input weights ~ N(0, std²) (default U(±1/√H)).") var inputStd: Double?
    @Option(name: .customLong("forget-bias"), help: "LSTM forget-gate bias.") var forgetBias: Double?
    @Option(help: "Truncated BPTT: detach the recurrent state every k steps.") var tbptt: Int?
    @Option(help: "Normalization after every hidden Dense (mlp) or in every residual branch (resmlp): none, layer, batch.") var normalization: String?
    @Option(name: .customLong("branch-scale"), help: "Residual branch scale (resmlp): one, skipinit, fixup, inv-sqrt-depth or a number.") var branchScale: String?
    @Option(help: "Adaptive gradient clipping λ, unit-wise (e.g. 0.01).") var agc: Double?
    @Flag(name: .customLong("skip-nonfinite"), help: "Skip steps with a non-finite loss or gradient and halve the learning rate.") var skipNonfinite = false
    @Flag(help: "Standardize every input feature (training-set mean and std).") var standardize = false
    @Option(help: "Hidden layers (recurrent models: stacked recurrent layers).") var depth: Int?
    @Option(help: "Units per hidden layer (recurrent models: hidden size).") var width: Int?
    @Option(help: "Activation: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")).") var activation: String?
    @Option(name: .customLong("init"), help: "Initializer: \(Initializer.names.joined(separator: ", ")), edge-of-chaos, edge-of-chaos-orthogonal (σ_w² on the critical line for the activation at --sigma-b2).") var initializer: String?
    @Option(name: .customLong("sigma-w2"), help: "σ_w² for normal/uniform init (W ~ N(0, σ_w²/fan_in)); gain² for orthogonal/identity.") var sigmaW2: Double?
    @Option(name: .customLong("sigma-b2"), help: "σ_b² for normal/uniform init (b ~ N(0, σ_b²)).") var sigmaB2: Double?
    @Option(help: "Dropout probability after each hidden activation.") var dropout: Double?
    @Option(name: .customLong("bias-init"), help: "Start every bias at this constant.") var biasInit: Double?
    @Option(name: .customLong("input-scale"), help: "Feed inputs as x·scale + shift.") var inputScale: Double?
    @Option(name: .customLong("input-shift"), help: "Feed inputs as x·scale + shift.") var inputShift: Double?
    @Option(help: "Optimizer: \(RunConfig.optimizerNames.joined(separator: ", ")).") var optimizer: String?
    @Option(help: "Learning rate.") var lr: Double?
    @Option(help: "Momentum (momentum, nesterov).") var momentum: Double?
    @Option(name: .customLong("weight-decay"), help: "Weight decay λ.") var weightDecay: Double?
    @Option(help: "Learning-rate schedule: \(RunConfig.scheduleNames.joined(separator: ", ")).") var schedule: String?
    @Option(help: "Linear warm-up steps.") var warmup: Int?
    @Option(name: .customLong("clip-norm"), help: "Clip gradients to this global L2 norm.") var clipNorm: Double?
    @Option(name: .customLong("clip-value"), help: "Clip each gradient element to ±value.") var clipValue: Double?
    @Option(help: "Training steps (mini-batches).") var steps: Int?
    @Option(help: "Batch size.") var batch: Int?
    @Option(help: "Random seed (data order, init, dropout).") var seed: UInt64?
    @Option(name: .customLong("eval-every"), help: "Evaluate on the test set every N steps (0: at the end).") var evalEvery: Int?
    @Option(help: "Threads for matrix multiplies.") var threads: Int?

    /// The config from these flags, reading `file` when no --config was given.
    func resolve(orFile file: String?) throws -> RunConfig {
        var opts = self
        if opts.config == nil { opts.config = file }
        return try opts.resolve()
    }

    func resolve() throws -> RunConfig {
        var c = try config.map(RunConfig.load) ?? RunConfig()
        if let v = data { c.data = v }; if let v = samples { c.samples = v }; if let v = depth { c.depth = v }
        if let v = width { c.width = v }; if let v = activation { c.activation = v }; if let v = initializer { c.initializer = v }
        if let v = sigmaW2 { c.sigmaW2 = v }; if let v = sigmaB2 { c.sigmaB2 = v }; if let v = dropout { c.dropout = v }
        if let v = biasInit { c.biasInit = v }; if let v = inputScale { c.inputScale = v }; if let v = inputShift { c.inputShift = v }
        if let v = optimizer { c.optimizer = v }; if let v = lr { c.lr = v }; if let v = momentum { c.momentum = v }
        if let v = weightDecay { c.weightDecay = v }; if let v = schedule { c.schedule = v }; if let v = warmup { c.warmup = v }
        if let v = clipNorm { c.clipNorm = v }; if let v = clipValue { c.clipValue = v }; if let v = steps { c.steps = v }
        if let v = batch { c.batch = v }; if let v = seed { c.seed = v }; if let v = evalEvery { c.evalEvery = v }
        if let v = threads { c.threads = v }
        if let v = model { c.model = v }; if let v = seqLen { c.seqLen = v }; if let v = recurrentInit { c.recurrentInit = v }
        if let v = recurrentScale { c.recurrentScale = v }; if let v = inputStd { c.inputStd = v }; if let v = forgetBias { c.forgetBias = v }
        if let v = tbptt { c.tbptt = v }
        if let v = normalization { c.normalization = v }; if let v = branchScale { c.branchScale = v }; if let v = agc { c.agc = v }
        if skipNonfinite { c.skipNonfinite = true }; if standardize { c.standardize = true }
        try EdgeOfChaos.resolve(&c)
        try c.validate()
        return c
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a multilayer perceptron or a recurrent network.",
        discussion: """
        Examples:
          gradlab train --data digits --depth 2 --width 128 --steps 1500
          gradlab train --data spirals --depth 6 --activation tanh --init orthogonal --optimizer adam --lr 0.01
          gradlab train --depth 20 --activation sigmoid --init normal --sigma-w2 1 --optimizer sgd --lr 0.1
          gradlab train --config run.json --checkpoint run.safetensors --checkpoint-every 200
          gradlab train --config run.json --resume run.safetensors --steps 4000
          gradlab train --model lstm --data adding --seq-len 100 --depth 1 --width 64 --forget-bias 1 --clip-norm 1 --watch
          gradlab train --model rnn-relu --recurrent-init identity --input-std 0.001 --data adding --depth 1 --width 64
        """)

    @OptionGroup var options: RunOptions
    @Option(help: "Write a safetensors checkpoint here (atomically).") var checkpoint: String?
    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N steps (0: at the end only).") var checkpointEvery = 0
    @Option(help: "Resume from this checkpoint; the run continues with identical numbers.") var resume: String?
    @Option(name: .customLong("backend"), help: "Matrix-multiply backend: \(Backend.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var backend = "swift"
    @Flag(help: "Print the model summary before training.") var summary = false
    @Flag(name: .customLong("no-progress"), help: "No progress bar.") var noProgress = false
    @Option(name: .customLong("metrics-json"), help: "Write every step's metrics as JSON Lines to this file.") var metricsJSON: String?
    @Flag(help: "Show a live per-layer chart of weight-gradient norms (log scale) while training.") var watch = false
    @Option(name: .customLong("probe-jsonl"), help: "Probe the run and stream per-step, per-layer records to this JSON Lines file.") var probeJSONL: String?
    @Option(name: .customLong("probe-every"), help: "Probe every k-th step (with --watch or --probe-jsonl).") var probeEvery = 1
    @Flag(help: "After training, print the diagnosis of what the probe saw (with --watch or --probe-jsonl).") var diagnose = false
    @Option(help: "Write TensorBoard event files (scalars, per-layer gradient norms, histograms) to this directory.") var tensorboard: String?
    @Option(help: "Record the run (config, metrics, probe records, verdicts) in the run store in this directory (see `gradlab runs`).") var record: String?
    @Option(help: "Name of the run in the store.") var name: String?

    func run() throws {
        let config = try options.resolve()
        guard checkpointEvery >= 0 else { throw GradLabError.invalid("checkpoint-every \(checkpointEvery) must be ≥ 0") }
        guard let kind = Backend.Kind(rawValue: backend) else {
            throw GradLabError.invalid("backend '\(backend)' is not known; allowed: \(Backend.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Backend.use(kind)
        Backend.setThreads(config.threads)
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try config.build()
        if summary { print(try trainer.model.summaryTable(input: [config.batch, train.inputSize])) }
        if let resume {
            let meta = try trainer.resume(from: resume)
            print("resumed from \(resume) at step \(trainer.optimizer.step)\(meta["config"] == nil ? "" : "")")
        }
        let modelName = config.model == "mlp" ? "\(config.depth)×\(config.width) \(config.activation) MLP" : "\(config.depth)×\(config.width) \(config.model)"
        print("training \(train.name): \(train.count) train / \(test.count) test samples, \(modelName), \(trainer.model.parameterCount) parameters, \(trainer.optimizer.rule), seed \(config.seed)")
        if let task = config.sequenceTask {
            let b = task.baseline(config.seqLen)
            print(String(format: "baseline: %.4f (%@)", b.value, b.meaning))
        }
        guard probeEvery >= 1 else { throw GradLabError.invalid("probe-every \(probeEvery) must be ≥ 1") }
        var probe: Probe?
        if watch || probeJSONL != nil || diagnose || tensorboard != nil || record != nil {
            let p = try Probe(model: trainer.model, options: Probe.Options(every: probeEvery), jsonl: probeJSONL)
            p.attach(to: trainer)
            if watch { p.onRecord.append(LiveChart(names: p.layerNames, total: config.steps).draw) }
            probe = p
        }
        let logger = try tensorboard.map { try TrainingLogger(trainer: trainer, probe: probe, directory: $0) }
        let recorder = try record.map { dir -> RunRecorder in
            let r = try RunRecorder(store: try SQLiteRunStore(directory: dir), name: name ?? "\(config.model)-\(config.data)-seed\(config.seed)", config: config)
            r.attach(to: trainer); if let probe { r.attach(to: probe) }
            return r
        }
        let bar = ProgressBar(total: config.steps, label: "train", enabled: !noProgress && !watch)
        let history = try trainer.fit(train, test: test, steps: config.steps, evalEvery: config.evalEvery == 0 ? config.steps : config.evalEvery,
                                      checkpoint: checkpoint, checkpointEvery: checkpointEvery == 0 ? config.steps : checkpointEvery,
                                      metadata: ["config": config.json], progress: bar)
        if let metricsJSON {
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            let lines = try history.steps.map { String(data: try enc.encode($0), encoding: .utf8)! }.joined(separator: "\n") + "\n"
            try atomicWrite(lines.data(using: .utf8)!, to: metricsJSON)
        }
        if let reason = history.stopReason { print("stopped: \(reason)") }
        try logger?.close()
        if let recorder { _ = try recorder.finish(history: history, verdicts: probe.map { Diagnosis.run($0.steps) } ?? []) }
        if diagnose, let probe {
            let verdicts = Diagnosis.run(probe.steps)
            print(verdicts.isEmpty ? "diagnosis: healthy" : verdicts.map { "✗ \($0.line)\n  why: \($0.explanation)\n  try: \($0.remedies.first ?? "")" }.joined(separator: "\n"))
        }
        if let e = history.evals.last {
            print(String(format: "final test loss %.4f", e.loss) + (e.accuracy.map { String(format: ", accuracy %.2f%%", $0 * 100) } ?? ""))
        }
        if let checkpoint, history.stopReason == nil { print("checkpoint: \(checkpoint)") }
        if history.stopReason != nil { throw ExitCode(1) }
    }
}

/// Seeds given as a comma-separated list, e.g. "1,2,3".
func parseSeeds(_ text: String) throws -> [UInt64] {
    try text.split(separator: ",").map { s in
        guard let v = UInt64(s) else { throw GradLabError.invalid("seed '\(s)' must be a non-negative integer") }
        return v
    }
}
