import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics

/// `gradlab demo`: the same deep network trained twice on the digits — once set up so its
/// gradients vanish, once with a remedy — with the per-layer gradient picture of each.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a deep network badly and well, side by side, and show why (under a minute).")

    @Option(help: "Hidden layers.") var depth = 20
    @Option(help: "Training steps for each run.") var steps = 1500
    @Option(help: "Random seed.") var seed: UInt64 = 0

    func run() throws {
        guard depth >= 2 && depth <= 200 else { throw GradLabError.invalid("depth \(depth) must be in 2…200") }
        guard steps >= 1 && steps <= 100_000 else { throw GradLabError.invalid("steps \(steps) must be in 1…100000") }
        var bad = RunConfig()
        bad.depth = depth; bad.width = 64; bad.activation = .sigmoid; bad.initializer = .normal; bad.sigmaW2 = 1
        bad.optimizer = .sgd; bad.lr = 0.1; bad.steps = steps; bad.seed = seed; bad.batch = 64
        var good = bad
        good.activation = .relu; good.initializer = .heNormal; good.lr = 0.02
        print("""
        GradLab demo: the same \(depth)-layer MLP (width 64) learns the 8×8 digits twice, \(steps) SGD steps each.
          bad:  sigmoid units, weights N(0, 1/fan_in)  — every layer multiplies the gradient by about σ'·‖W‖ ≈ 0.25
          good: ReLU units, He init N(0, 2/fan_in)     — every layer keeps the gradient's size (factor ≈ 1)

        """)
        let runs = try [("bad", bad), ("good", good)].map { name, config in try DemoRun(name: name, config: config) }
        print("Gradient reaching each layer's weights at step 0, ‖∂L/∂W‖ (log scale; input layer at the top):\n")
        print(DemoRun.sideBySide(runs.map(\.initialGradNorms), titles: runs.map { "\($0.name): \($0.config.activation) + \($0.config.initializer)" }))
        print("")
        for r in runs { try r.train() }
        print("")
        for r in runs { print(r.verdict) }
    }
}

/// One of the two demo runs.
final class DemoRun {
    let name: String
    let config: RunConfig
    let trainer: Trainer<Float>
    let trainSet: Dataset<Float>, test: Dataset<Float>
    var initialGradNorms: [Double] = []
    var result: EvalRecord?

    init(name: String, config: RunConfig) throws {
        self.name = name; self.config = config
        (trainer, trainSet, test) = try config.build()
        // The probe's look before training, on a fixed batch: the per-layer gradient picture.
        let look = try Probe(model: trainer.model).measureOnce(trainer: trainer, batch: trainSet.subset(Array(0..<256)))
        initialGradNorms = look.layers.map(\.gradNorm)
    }

    func train() throws {
        let bar = ProgressBar(total: config.steps, label: name.padding(toLength: 4, withPad: " ", startingAt: 0))
        _ = try trainer.fit(trainSet, test: test, steps: config.steps, evalEvery: config.steps, progress: bar)
        result = trainer.evaluate(test)
    }

    var verdict: String {
        let first = initialGradNorms.first ?? 0, last = initialGradNorms.last ?? 1
        let ratio = first / Swift.max(last, 1e-300)
        let acc = (result?.accuracy ?? 0) * 100
        let perLayer = Foundation.pow(ratio, 1 / Double(Swift.max(initialGradNorms.count - 1, 1)))
        let story = ratio < 1e-3
            ? "the gradient shrinks ×\(String(format: "%.2f", perLayer)) per layer, so the first layer gets \(String(format: "%.1e", ratio)) of the last layer's: early layers barely move (vanishing gradients)"
            : "the gradient keeps its size through the layers (first/last = \(String(format: "%.2f", ratio))), so every layer learns"
        return String(format: "%@: test accuracy %.1f%% — ", name, acc) + story + "."
    }

    /// Two columns of log-scale bars, one row per layer.
    static func sideBySide(_ columns: [[Double]], titles: [String]) -> String {
        let all = columns.flatMap { $0 }.filter { $0 > 0 }
        let lo = Foundation.log10(all.min() ?? 1e-12), hi = Foundation.log10(all.max() ?? 1)
        let width = 28
        func bar(_ v: Double) -> String {
            guard v > 0 else { return String(repeating: " ", count: width) + "        0" }
            let n = hi > lo ? Int((Foundation.log10(v) - lo) / (hi - lo) * Double(width - 1)) + 1 : width
            return String(repeating: "█", count: n) + String(repeating: " ", count: width - n) + String(format: " %8.1e", v)
        }
        var lines = ["layer  " + titles.map { $0.padding(toLength: width + 9, withPad: " ", startingAt: 0) }.joined(separator: "   ")]
        for i in 0..<(columns.map(\.count).max() ?? 0) {
            lines.append(String(format: "%5d  ", i + 1) + columns.map { i < $0.count ? bar($0[i]) : String(repeating: " ", count: width + 9) }.joined(separator: "   "))
        }
        return lines.joined(separator: "\n")
    }
}
