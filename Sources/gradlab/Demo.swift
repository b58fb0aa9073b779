import ArgumentParser
import Foundation
import GradLab
import GradLabKit

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
        print("""
        GradLab demo: the same \(depth)-layer MLP (width 64) learns the 8×8 digits twice, \(steps) SGD steps each.
          bad:  sigmoid units, weights N(0, 1/fan_in)  — every layer multiplies the gradient by about σ'·‖W‖ ≈ 0.25
          good: ReLU units, He init N(0, 2/fan_in)     — every layer keeps the gradient's size (factor ≈ 1)

        """)
        let runs = try DemoRun.configs(depth: depth, steps: steps, seed: seed).map { try DemoRun(name: $0.name, config: $0.config) }
        print("Gradient reaching each layer's weights at step 0, ‖∂L/∂W‖ (log scale; input layer at the top):\n")
        print(DemoRun.sideBySide(runs.map(\.initialGradNorms), titles: runs.map { "\($0.name): \($0.config.activation) + \($0.config.initializer)" }))
        print("")
        for r in runs { try r.train() }
        print("")
        for r in runs { print(r.verdict) }
        print("\nNext: study why, with cards whose answers run experiments like this one: gradlab study, or gradlab quiz.")
    }
}
