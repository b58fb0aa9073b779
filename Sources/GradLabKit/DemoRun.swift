import Foundation
import GradLab
import GradLabDiagnostics

/// One of the two demo runs.
package final class DemoRun {
    /// The demo's two networks: `bad` (sigmoid, N(0, 1/fan_in): each layer shrinks the gradient by
    /// about σ'·‖W‖ ≈ 0.25) and `good` (ReLU, He init: factor ≈ 1), alike in everything else.
    package static func configs(depth: Int = 20, steps: Int = 0, seed: UInt64 = 0) -> [(name: String, config: RunConfig)] {
        var bad = RunConfig()
        bad.depth = depth; bad.width = 64; bad.activation = .sigmoid; bad.initializer = .normal; bad.sigmaW2 = 1
        bad.optimizer = .sgd; bad.lr = 0.1; bad.steps = steps; bad.seed = seed; bad.batch = 64
        var good = bad
        good.activation = .relu; good.initializer = .heNormal; good.lr = 0.02
        return [("bad", bad), ("good", good)]
    }

    package let name: String
    package let config: RunConfig
    package let trainer: Trainer<Float>
    package let trainSet: Dataset<Float>, test: Dataset<Float>
    package var initialGradNorms: [Double] = []
    package var result: EvalRecord?

    package init(name: String, config: RunConfig) throws {
        self.name = name; self.config = config
        (trainer, trainSet, test) = try config.build()
        // The probe's look before training, on a fixed batch: the per-layer gradient picture.
        let look = try Probe(model: trainer.model).measureOnce(trainer: trainer, batch: trainSet.subset(Array(0..<256)))
        initialGradNorms = look.layers.map(\.gradNorm)
    }

    package func train() throws {
        let bar = ProgressBar(total: config.steps, label: name.padding(toLength: 4, withPad: " ", startingAt: 0))
        _ = try trainer.fit(trainSet, test: test, steps: config.steps, evalEvery: config.steps, progress: bar)
        result = trainer.evaluate(test)
    }

    package var verdict: String {
        DemoRun.sentence(name: name, gradNorms: initialGradNorms, accuracy: result?.accuracy ?? .nan, chance: TaskBaseline(of: trainSet).accuracy ?? 0)
    }

    /// What a run's table and score show, in one sentence built from them: how the gradient
    /// changes from the last layer to the first (`gradNorms`, input layer first), and whether the
    /// test `accuracy` is a learned task (≥ 55%), chance (within 5 points of `chance`), or between.
    package static func sentence(name: String, gradNorms: [Double], accuracy: Double, chance: Double) -> String {
        let first = gradNorms.first ?? 0, last = gradNorms.last ?? 0
        let ratio = last > 0 ? first / last : .nan
        // Where the gradient underflowed to 0 on its way down, the factor is measured over the
        // layers that still got some.
        let reached = gradNorms.firstIndex { $0 > 0 } ?? gradNorms.count - 1
        let span = Swift.max(gradNorms.count - 1 - reached, 1)
        let perLayer = last > 0 ? Foundation.pow(gradNorms[reached] / last, 1 / Double(span)) : .nan
        enum Gradient { case shrinks, grows, keeps }
        let gradient: Gradient = ratio < 0.1 ? .shrinks : ratio > 10 ? .grows : .keeps
        enum Score { case learned, nothing, partly }
        let score: Score = accuracy >= 0.55 ? .learned : accuracy <= chance + 0.05 || !accuracy.isFinite ? .nothing : .partly
        let share = ratio < 1 ? "1/\(Number.short(1 / ratio))" : "\(Number.short(ratio))×"
        let story: String
        switch gradient {
        case .shrinks where first == 0:
            story = "the gradient shrinks \(Number.factor(perLayer)) per layer until it underflows to exactly 0: the first \(reached) layers get none at all (vanishing gradients)"
        case .shrinks:
            story = "the gradient shrinks \(Number.factor(perLayer)) per layer, so the first layer gets \(share) of the last layer's (vanishing gradients)"
        case .grows:
            story = "the gradient grows \(Number.factor(perLayer)) per layer, so the first layer gets \(share) the last layer's (exploding gradients)"
        case .keeps:
            story = "the gradient keeps roughly its size through the layers (first/last = \(Number.short(ratio)))"
        }
        let outcome: String
        switch (gradient, score) {
        case (.keeps, .learned): outcome = "so every layer learns"
        case (.keeps, .nothing): outcome = "yet it learned nothing (chance is \(Number.percent(chance))): the gradient's size is not what holds it back"
        case (.keeps, .partly): outcome = "and it learned part of the task"
        case (_, .learned): outcome = "yet it learned: at this depth the layers near the output, which get most of the gradient, are enough"
        case (_, .nothing): outcome = "and it learned nothing (chance is \(Number.percent(chance))): the early layers barely move"
        case (_, .partly): outcome = "and it learned only part of the task"
        }
        return "\(name): test accuracy \(Number.percent(accuracy)) — \(story); \(outcome)."
    }

    /// Two columns of log-scale bars, one row per layer.
    package static func sideBySide(_ columns: [[Double]], titles: [String]) -> String {
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
