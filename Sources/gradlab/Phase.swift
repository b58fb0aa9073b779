import ArgumentParser
import Foundation
import GradLab
import GradLabKit
import GradLabTheory

/// `gradlab phase`: the (σ_w², σ_b²) phase diagram of an activation as SVG — ordered and chaotic
/// regions, the critical line, trainable depth 6ξ_c — and, with `--measure`, a trainability
/// grid (depth × σ_w² at one σ_b², each point trained for a fixed budget) beside the 6ξ_c curve.
struct Phase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the signal-propagation phase diagram (SVG), optionally with a measured trainability grid.",
        discussion: """
        Examples:
          gradlab phase --activation tanh --output phase.svg
          gradlab phase --activation tanh --measure --sigma-b2 0.05 --depths 10,20,40,80,120,160,200 --sigma-w2s 1,1.5,2,2.5,3,3.5,4 --output trainability.svg
        """)

    @Option(help: "Activation.") var activation = "tanh"
    @Option(help: "Output SVG file.") var output = "phase.svg"
    @Flag(help: "Also train a depth × σ_w² grid and draw where training succeeds.") var measure = false
    @Option(name: .customLong("sigma-b2"), help: "σ_b² of the measured grid.") var sigmaB2 = 0.05
    @Option(help: "Depths of the measured grid.") var depths = "10,20,40,80,120,160,200"
    @Option(name: .customLong("sigma-w2s"), help: "σ_w² values of the measured grid.") var sigmaW2s = "1,1.5,2,2.5,3,3.5,4"
    @Option(help: "Training steps per grid point (digits, SGD with momentum 0.9, lr 0.01, batch 64).") var steps = 300
    @Option(help: "Width of the grid's networks (the theory describes wide nets: ≥ 256).") var width = 256
    @Option(help: "Threads for matrix multiplies.") var threads = 2
    @Option(help: "Training accuracy that counts as trained (chance is 10%).") var success = 0.5
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Flag(help: "Print the measured grid as JSON.") var json = false

    func run() throws {
        guard let act = ActivationKind(rawValue: activation) else {
            throw GradLabError.invalid("activation '\(activation)' is not known; allowed: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func list<T>(_ s: String, _ name: String, _ parse: (Substring) -> T?) throws -> [T] {
            try s.split(separator: ",").map { guard let v = parse($0) else { throw GradLabError.invalid("\(name) '\($0)' is not a valid number") }; return v }
        }
        let ds = try list(depths, "depth") { Int($0) }.filter { $0 >= 1 }
        let ws = try list(sigmaW2s, "σ_w²") { Double($0) }.filter { $0 > 0 }
        try OutputPath.file(output, option: "--output").check()
        guard steps >= 1 else { throw GradLabError.invalid("steps \(steps) must be ≥ 1") }
        guard width >= 1 && width <= 4096 else { throw GradLabError.invalid("width \(width) must be in 1…4096") }
        guard threads >= 1 && threads <= 256 else { throw GradLabError.invalid("threads \(threads) must be in 1…256") }
        Backend.setThreads(threads)
        guard !ds.isEmpty, !ws.isEmpty else { throw GradLabError.invalid("give at least one depth and one σ_w²") }
        var grid = PhaseDiagram.Grid(depths: ds, sigmaW2s: ws, sigmaB2: sigmaB2)
        grid.steps = steps; grid.width = width; grid.success = success; grid.seed = seed
        var diagram = PhaseDiagram(activation: act, grid: grid)
        if measure {
            let bar = ProgressBar(total: ds.count * ws.count, label: "grid")
            try diagram.measure { bar.update($0, $1) }
        }
        let measured = diagram.measured
        try atomicWrite(diagram.svg().data(using: .utf8)!, to: output)
        print("wrote \(output)")
        if measure {
            if json {
                print(String(data: try JSONSerialization.data(withJSONObject: measured.map { ["sigma_w2": $0.w, "depth": $0.depth, "train_accuracy": $0.accuracy] }), encoding: .utf8)!)
            }
            print(String(format: "\nTrained (≥ %.0f%% training accuracy after %d steps, width %d) at σ_b² = %g; predicted trainable depth 6ξ_c per σ_w²:", success * 100, steps, width, sigmaB2))
            print("depth " + ws.map { String(format: "%6.2f", $0) }.joined())
            for d in ds.reversed() {
                print(String(format: "%5d ", d) + ws.map { w in
                    let ok = (measured.first { $0.w == w && $0.depth == d }?.accuracy ?? 0) >= success
                    return ok ? "     ●" : "     ·"
                }.joined())
            }
            let predicted = ws.map { diagram.trainableDepth(sigmaW2: $0) }
            print("6ξ_c  " + predicted.map { p -> String in
                let cell: String
                switch p {
                case .value(let d): cell = String(format: "%.0f", d)
                case .above(let cap, _): cell = String(format: ">%.0e", cap)
                case .diverges, .undefined: cell = "—"
                }
                return String(repeating: " ", count: max(0, 6 - cell.count)) + cell
            }.joined())
            for reason in Set(predicted.compactMap(\.reason)).sorted() { print("  (\(reason))") }
        }
    }
}

