import Foundation
import GradLab
import GradLabReports
import GradLabTheory

/// The (σ_w², σ_b²) phase diagram of an activation: trainable depth 6ξ_c over the plane, the
/// critical line, and optionally a measured depth × σ_w² trainability grid at one σ_b² (each
/// point trained for a fixed budget on the digits).
package struct PhaseDiagram {
    package struct Grid: Sendable {
        package var depths: [Int], sigmaW2s: [Double], sigmaB2: Double
        package var steps = 300, width = 256, success = 0.5, seed: UInt64 = 0
        package init(depths: [Int], sigmaW2s: [Double], sigmaB2: Double) { self.depths = depths; self.sigmaW2s = sigmaW2s; self.sigmaB2 = sigmaB2 }
    }
    package let activation: ActivationKind
    package let grid: Grid
    package private(set) var measured: [(w: Double, depth: Int, accuracy: Double)] = []
    let quadrature = GaussHermite(order: 41)

    package init(activation: ActivationKind, grid: Grid) { self.activation = activation; self.grid = grid }

    /// Predicted trainable depth at σ_w² and the grid's σ_b².
    package func trainableDepth(sigmaW2 w: Double) -> Prediction {
        SignalPropagation(activation: activation, sigmaW2: w, sigmaB2: grid.sigmaB2, quadrature: quadrature).trainableDepth
    }

    /// A trainable depth as the charts draw it: the number, `cap` above it, nil where there is no
    /// fixed point (q* diverges: activations and gradients grow without bound, nothing to draw).
    package static func drawn(_ p: Prediction, cap: Double) -> Double? {
        switch p {
        case .value(let d): return Swift.min(d, cap)
        case .above, .diverges: return cap
        case .undefined: return nil
        }
    }

    /// Trains every grid point (SGD with momentum 0.9, lr 0.01, batch 64); `progress` gets each
    /// point's outcome as it finishes.
    package mutating func measure(progress: (Int, String) -> Void) throws {
        for d in grid.depths { for w in grid.sigmaW2s {
            var c = RunConfig()
            c.data = .digits; c.depth = d; c.width = grid.width; c.activation = activation; c.initializer = .normal
            c.sigmaW2 = w; c.sigmaB2 = grid.sigmaB2; c.optimizer = .momentum; c.lr = 0.01; c.batch = 64; c.steps = grid.steps; c.seed = grid.seed
            let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.resolved().build()
            let h = try trainer.fit(train, steps: grid.steps)
            let acc = h.stopReason == nil ? (trainer.evaluate(train).accuracy ?? 0) : 0
            measured.append((w, d, acc))
            progress(measured.count, String(format: "depth %d σ_w² %.2f: %.0f%%", d, w, acc * 100))
        } }
    }

    /// Both panels as SVG.
    package func svg() -> String {
        let xs = stride(from: 0.5, through: 4.5, by: 0.1).map { $0 }, ys = stride(from: 0.0, through: 0.3, by: 0.0125).map { $0 }
        let depthGrid = ys.map { b in xs.map { w in
            Self.drawn(SignalPropagation(activation: activation, sigmaW2: w, sigmaB2: b, quadrature: quadrature).trainableDepth, cap: 1000)
        } }
        let critical = SignalPropagation.criticalLine(activation: activation, maxSigmaB2: ys.last!, quadrature: quadrature)
            .filter { $0.sigmaW2 <= xs.last! }.map { (w: $0.sigmaW2, b: $0.sigmaB2) }
        let curve = stride(from: 0.5, through: 4.5, by: 0.05).map { w in (w, Self.drawn(trainableDepth(sigmaW2: w), cap: .infinity)) }
        return PhaseSVG.render(activation: activation.rawValue, xs: xs, ys: ys, depthGrid: depthGrid, critical: critical,
                               sigmaB2: grid.sigmaB2, curve: curve, measured: measured, success: grid.success, maxDepth: Double(grid.depths.max() ?? 200))
    }
}
