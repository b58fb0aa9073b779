import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports
import GradLabStore
import GradLabKit
import GradLabExperiments

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

        \(RunOptions.help)
        """)

    @OptionGroup var options: RunOptions
    @Option(help: "Write a safetensors checkpoint here (atomically).") var checkpoint: String?
    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N steps (0: at the end only).") var checkpointEvery = 0
    @Option(help: "Resume from this checkpoint; the run continues with identical numbers.") var resume: String?
    @Flag(name: .customLong("allow-non-finite-checkpoint"), help: "Resume even from a checkpoint holding NaN or Inf (refused by default).") var allowNonFiniteCheckpoint = false
    @Option(name: .customLong("backend"), help: "Matrix-multiply backend: \(Backend.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var backend = "swift"
    @Flag(help: "Print the model summary before training.") var summary = false
    @Flag(name: .customLong("no-progress"), help: "No progress bar.") var noProgress = false
    @Option(name: .customLong("metrics-json"), help: "Write every step's metrics as JSON Lines to this file.") var metricsJSON: String?
    @Flag(help: "Show a live per-layer chart of weight-gradient norms (log scale) while training.") var watch = false
    @Option(name: .customLong("probe-jsonl"), help: "Probe the run and stream per-step, per-layer records to this JSON Lines file.") var probeJSONL: String?
    @Flag(help: "Probe the run and, after training, print the diagnosis (the same verdicts as `gradlab diagnose`).") var diagnose = false
    @Option(help: "Write TensorBoard event files (scalars, per-layer gradient norms, histograms) to this directory.") var tensorboard: String?
    @Option(help: "Record the run (config, metrics, probe records, verdicts) in the run store in this directory (see `gradlab runs`).") var record: String?
    @Option(help: "Name of the run in the store.") var name: String?
    @Option(help: "Tag the run in the store (repeatable); `gradlab runs --tag` lists runs by tag.") var tag: [String] = []

    func run() throws {
        let config = try options.resolve()
        if let bad = tag.first(where: { !Experiment.isTag($0) }) { throw GradLabError.invalid(Experiment.tagRule(bad)) }
        if !tag.isEmpty && record == nil { throw GradLabError.invalid("--tag labels a run in the store: add --record runs") }
        try OutputPath.check(checkpoint.map { .file($0, option: "--checkpoint") }, metricsJSON.map { .file($0, option: "--metrics-json") },
                             probeJSONL.map { .file($0, option: "--probe-jsonl") }, tensorboard.map { .directory($0, option: "--tensorboard") },
                             record.map { .directory($0, option: "--record") })
        guard checkpointEvery >= 0 else { throw GradLabError.invalid("checkpoint-every \(checkpointEvery) must be ≥ 0") }
        guard let kind = Backend.Kind(rawValue: backend) else {
            throw GradLabError.invalid("backend '\(backend)' is not known; allowed: \(Backend.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Backend.use(kind)
        Backend.setThreads(config.threads)
        // A probed run is the diagnostic run every command shares; a plain one builds just the trainer.
        let probed = watch || probeJSONL != nil || diagnose || tensorboard != nil || record != nil
        let session = probed ? try DiagnosticSession(config, jsonl: probeJSONL, resume: resume, allowNonFiniteCheckpoint: allowNonFiniteCheckpoint) : nil
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try session.map { ($0.trainer, $0.train, $0.test) } ?? config.build()
        if summary { print(try trainer.model.summaryTable(input: [config.batch, train.inputSize])) }
        if let resume {
            if session == nil { _ = try trainer.resume(from: resume, allowNonFinite: allowNonFiniteCheckpoint) }
            print("resumed from \(resume) at step \(trainer.optimizer.step)")
            guard trainer.optimizer.step < config.steps else {
                throw GradLabError.invalid("\(resume) is already at step \(trainer.optimizer.step); --steps \(config.steps) leaves nothing to train: raise --steps above \(trainer.optimizer.step)")
            }
        }
        let modelName = config.model == .mlp ? "\(config.depth)×\(config.width) \(config.activation) MLP" : "\(config.depth)×\(config.width) \(config.model)"
        print("training \(train.name): \(train.count) train / \(test.count) test samples, \(modelName), \(trainer.model.parameterCount) parameters, \(trainer.optimizer.rule), seed \(config.seed)")
        if let task = config.sequenceTask {
            let b = task.baseline(config.seqLen)
            print(String(format: "baseline: %.4f (%@)", b.value, b.meaning))
        }
        if watch, let probe = session?.probe { probe.onRecord.append(LiveChart(total: config.steps).draw) }
        let outputs = try session.map { try RunOutputs(session: $0, name: name ?? "\(config.model)-\(config.data)-seed\(config.seed)", tags: tag, store: record, tensorboard: tensorboard) }
        let bar = ProgressBar(total: config.steps, label: "train", enabled: !noProgress && !watch)
        let history: History
        if let session {
            let run = try session.run(checkpoint: checkpoint, checkpointEvery: checkpointEvery, progress: bar)
            try outputs?.finish(run)
            history = run.history
            if diagnose {
                print(run.healthy ? "diagnosis: healthy" : run.all.map { "✗ \($0.line)\n  why: \($0.explanation)\n  try: \($0.remedies.first ?? "")" }.joined(separator: "\n"))
            }
        } else {
            history = try trainer.fit(train, test: test, steps: config.steps, evalEvery: config.evalEvery == 0 ? config.steps : config.evalEvery,
                                      checkpoint: checkpoint, checkpointEvery: checkpointEvery == 0 ? config.steps : checkpointEvery,
                                      metadata: ["config": config.json], progress: bar)
        }
        if let metricsJSON {
            let enc = JSONEncoder.records
            let lines = try history.steps.map { String(decoding: try enc.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
            try atomicWrite(Data(lines.utf8), to: metricsJSON)
        }
        if let reason = history.stopReason { print("stopped: \(reason)") }
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
