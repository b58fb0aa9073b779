import Foundation
import GradLab
import GradLabDiagnostics

/// One of the two demo runs.
package final class DemoRun {
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
