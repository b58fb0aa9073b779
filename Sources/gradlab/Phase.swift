import ArgumentParser
import Foundation
import GradLab
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
        guard steps >= 1 else { throw GradLabError.invalid("steps \(steps) must be ≥ 1") }
        guard width >= 1 && width <= 4096 else { throw GradLabError.invalid("width \(width) must be in 1…4096") }
        guard threads >= 1 && threads <= 256 else { throw GradLabError.invalid("threads \(threads) must be in 1…256") }
        Backend.setThreads(threads)
        guard !ds.isEmpty, !ws.isEmpty else { throw GradLabError.invalid("give at least one depth and one σ_w²") }
        let rule = GaussHermite(order: 41)
        // Phase plane: trainable depth on a grid, and the critical line.
        let xs = stride(from: 0.5, through: 4.5, by: 0.1).map { $0 }, ys = stride(from: 0.0, through: 0.3, by: 0.0125).map { $0 }
        var depthGrid: [[Double]] = []
        for b in ys { depthGrid.append(xs.map { w in SignalPropagation(activation: act, sigmaW2: w, sigmaB2: b, quadrature: rule).trainableDepth }) }
        let critical = ys.compactMap { b in (try? SignalPropagation.criticalSigmaW2(activation: act, sigmaB2: b, quadrature: rule)).map { (w: $0, b: b) } }
        var measured: [(w: Double, depth: Int, accuracy: Double)] = []
        if measure {
            let bar = ProgressBar(total: ds.count * ws.count, label: "grid")
            for d in ds { for w in ws {
                var c = RunConfig()
                c.data = "digits"; c.depth = d; c.width = width; c.activation = act.rawValue; c.initializer = "normal"
                c.sigmaW2 = w; c.sigmaB2 = sigmaB2; c.optimizer = "momentum"; c.lr = 0.01; c.batch = 64; c.steps = steps; c.seed = seed
                let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
                let h = try trainer.fit(train, steps: steps)
                let acc = h.stopReason == nil ? (trainer.evaluate(train).accuracy ?? 0) : 0
                measured.append((w, d, acc))
                bar.update(measured.count, String(format: "depth %d σ_w² %.2f: %.0f%%", d, w, acc * 100))
            } }
        }
        let predictedCurve = stride(from: 0.5, through: 4.5, by: 0.05).map { w in (w, SignalPropagation(activation: act, sigmaW2: w, sigmaB2: sigmaB2, quadrature: rule).trainableDepth) }
        let svg = PhaseSVG.render(activation: act.rawValue, xs: xs, ys: ys, depthGrid: depthGrid, critical: critical,
                                  sigmaB2: sigmaB2, curve: predictedCurve, measured: measured, success: success, maxDepth: Double(ds.max() ?? 200))
        try atomicWrite(svg.data(using: .utf8)!, to: output)
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
            print("6ξ_c  " + ws.map { w in String(format: "%6.0f", SignalPropagation(activation: act, sigmaW2: w, sigmaB2: sigmaB2, quadrature: rule).trainableDepth) }.joined())
        }
    }
}

/// SVG drawing of the phase plane and the trainability plane (colour-blind-safe viridis ramp).
enum PhaseSVG {
    static func viridis(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let x = min(max(t, 0), 1) * Double(stops.count - 1), i = min(Int(x), stops.count - 2), f = x - Double(i)
        let c = (0..<3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int(a + (b - a) * f)
        }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    static func render(activation: String, xs: [Double], ys: [Double], depthGrid: [[Double]], critical: [(w: Double, b: Double)],
                       sigmaB2: Double, curve: [(Double, Double)], measured: [(w: Double, depth: Int, accuracy: Double)],
                       success: Double, maxDepth: Double) -> String {
        let (pw, ph) = (420.0, 300.0), (ox, oy) = (70.0, 40.0), gap = 110.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(ox * 2 + pw * 2 + gap))\" height=\"\(Int(oy + ph + 80))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<title>Signal propagation phase diagram, \(activation)</title>\n"
        // Panel 1: phase plane, colour = log10 of trainable depth 6ξ_c.
        let (x0, x1, y0, y1) = (xs.first!, xs.last!, ys.first!, ys.last!)
        func px(_ w: Double) -> Double { ox + (w - x0) / (x1 - x0) * pw }
        func py(_ b: Double) -> Double { oy + ph - (b - y0) / (y1 - y0) * ph }
        let cw = pw / Double(xs.count), ch = ph / Double(ys.count)
        for (j, row) in depthGrid.enumerated() { for (i, d) in row.enumerated() {
            let t = d.isFinite ? log10(max(d, 1)) / 3 : 1
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%@\"/>\n", ox + Double(i) * cw, oy + ph - Double(j + 1) * ch, cw + 0.3, ch + 0.3, viridis(t))
        } }
        let line = critical.map { String(format: "%.1f,%.1f", px($0.w), py($0.b)) }.joined(separator: " ")
        s += "<polyline points=\"\(line)\" fill=\"none\" stroke=\"white\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\"/>\n"
        s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"1\"/>\n", px(x0), px(x1), py(sigmaB2), py(sigmaB2))
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"white\" font-weight=\"bold\">ordered (vanishing)</text>\n", ox + 8, oy + 20)
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"black\" font-weight=\"bold\" text-anchor=\"end\">chaotic (exploding)</text>\n", ox + pw - 8, oy + ph - 10)
        s += axes(ox: ox, oy: oy, pw: pw, ph: ph, xTicks: stride(from: 0.5, through: 4.5, by: 0.5).map { ($0, px($0)) }, yTicks: stride(from: 0.0, through: 0.3, by: 0.05).map { ($0, py($0)) },
                  xLabel: "σ_w² (weight variance × fan-in)", yLabel: "σ_b² (bias variance)", title: "\(activation): phase plane; colour = trainable depth 6ξ_c; dashed = critical line χ₁ = 1")
        // Colour bar.
        for k in 0..<50 {
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.2f\" fill=\"%@\"/>\n", ox + pw + 10, oy + ph - Double(k + 1) * ph / 50, ph / 50 + 0.3, viridis(Double(k) / 49))
        }
        for (v, label) in [(1.0, "1"), (10.0, "10"), (100.0, "100"), (1000.0, "≥1000")] {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%@</text>\n", ox + pw + 25, oy + ph - log10(v) / 3 * ph + 4, label)
        }
        // Panel 2: trainability plane at σ_b² — predicted 6ξ_c and the measured grid.
        let qx = ox + pw + gap
        func qxp(_ w: Double) -> Double { qx + (w - 0.5) / 4 * pw }
        func qyp(_ d: Double) -> Double { oy + ph - min(d, maxDepth * 1.1) / (maxDepth * 1.1) * ph }
        s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\"/>\n", qx, oy, pw, ph)
        let path = curve.map { String(format: "%.1f,%.1f", qxp($0.0), qyp($0.1.isFinite ? $0.1 : maxDepth * 1.1)) }.joined(separator: " ")
        s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2\"/>\n"
        for m in measured {
            let ok = m.accuracy >= success
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%@\" stroke=\"#d55e00\" stroke-width=\"1.5\"><title>depth %d, σ_w² %.2f: %.0f%%</title></circle>\n",
                        qxp(m.w), qyp(Double(m.depth)), ok ? "#d55e00" : "white", m.depth, m.w, m.accuracy * 100)
        }
        let depthTicks = stride(from: 0.0, through: maxDepth, by: max(10, (maxDepth / 5).rounded())).map { ($0, qyp($0)) }
        s += axes(ox: qx, oy: oy, pw: pw, ph: ph, xTicks: stride(from: 0.5, through: 4.5, by: 0.5).map { ($0, qxp($0)) }, yTicks: depthTicks,
                  xLabel: "σ_w²", yLabel: "depth (layers)", title: String(format: "trainability at σ_b² = %g: line = 6ξ_c; ● trained, ○ not", sigmaB2))
        s += "</svg>\n"
        return s
    }

    static func axes(ox: Double, oy: Double, pw: Double, ph: Double, xTicks: [(Double, Double)], yTicks: [(Double, Double)],
                     xLabel: String, yLabel: String, title: String) -> String {
        var s = String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", ox, oy, pw, ph)
        for (v, x) in xTicks {
            s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%g</text>\n", x, x, oy + ph, oy + ph + 5, x, oy + ph + 17, v)
        }
        for (v, y) in yTicks {
            s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%g</text>\n", ox - 5, ox, y, y, ox - 7, y + 4, v)
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", ox + pw / 2, oy + ph + 36, xLabel)
        s += String(format: "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", ox - 45, oy + ph / 2, yLabel)
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%@</text>\n", ox, oy - 10, title)
        return s
    }
}
