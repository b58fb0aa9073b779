import XCTest
import GradLab
import GradLabTheory
import GradLabDiagnostics
import GradLabKit
import GradLabReports

/// Against the reference values of the signal-propagation notes (tanh: 301-point rule there).
final class TheoryTests: XCTestCase {
    let rule = GaussHermite(order: 151)

    func testQuadratureMoments() {
        XCTAssertEqual(rule.expect { _ in 1 }, 1, accuracy: 1e-12)
        XCTAssertEqual(rule.expect { $0 * $0 }, 1, accuracy: 1e-10)
        XCTAssertEqual(rule.expect { pow($0, 4) }, 3, accuracy: 1e-9)
        XCTAssertEqual(rule.expect { cos($0) }, exp(-0.5), accuracy: 1e-12)
    }

    func testTanhCriticalLineAndXiaoPair() throws {
        let crit = try SignalPropagation.criticalSigmaW2(activation: .tanh, sigmaB2: 0.05, quadrature: rule)
        XCTAssertEqual(crit, 1.760955, accuracy: 1e-4 * 1.760955)
        let xiao = SignalPropagation(activation: .tanh, sigmaW2: 1.05, sigmaB2: 2.01e-5, quadrature: rule)
        XCTAssertEqual(xiao.qStar.value!, 0.025921, accuracy: 1e-4 * 0.025921)
        XCTAssertEqual(xiao.chi1AtFixedPoint, 1, accuracy: 1e-5)
    }

    func testCorrelationDepthScalesAndTrainableDepth() {
        let rule2 = GaussHermite(order: 81)
        for (w, xi) in [(1.0, 3.63), (1.5, 15.8), (2.5, 11.8), (4.0, 6.98)] {
            let sp = SignalPropagation(activation: .tanh, sigmaW2: w, sigmaB2: 0.05, quadrature: rule2)
            XCTAssertEqual(sp.xiC.value!, xi, accuracy: 0.01 * xi, "ξ_c at σ_w² = \(w)")
            XCTAssertEqual(sp.trainableDepth.value!, 6 * xi, accuracy: 0.06 * xi)
        }
    }

    func testReLUClosedForms() {
        for (w, b) in [(1.0, 0.1), (1.5, 0.05), (2.0, 0.0)] {
            let sp = SignalPropagation(activation: .relu, sigmaW2: w, sigmaB2: b)
            XCTAssertEqual(sp.chi1(0.3), w / 2); XCTAssertEqual(sp.chi1(7), w / 2)
            if w < 2 { XCTAssertEqual(sp.qStar.value!, b / (1 - w / 2), accuracy: 1e-12) }
            XCTAssertEqual(sp.gradientSquaredRatio(depth: 10).first!, pow(w / 2, 9), accuracy: 1e-12)
        }
        let bare = SignalPropagation(activation: .relu, sigmaW2: 2, sigmaB2: 0)
        XCTAssertEqual(bare.correlationMap(0), 1 / Double.pi, accuracy: 1e-12)
        XCTAssertEqual(bare.correlationMap(1), 1, accuracy: 1e-12)
        // Quadrature and closed form agree for a smooth check: E[relu(√q z)²] = q/2.
        XCTAssertEqual(GaussHermite(order: 301).expect { max($0, 0) * max($0, 0) } , 0.5, accuracy: 2e-3)
    }

    func testEdgeOfChaosInitializerSitsOnTheCriticalLine() throws {
        var c = RunConfig(); c.activation = .tanh; c.initializer = .edgeOfChaos; c.sigmaB2 = 0.05
        c = try c.resolved()
        XCTAssertEqual(c.initializer, .normal)
        XCTAssertEqual(c.sigmaW2, 1.760955, accuracy: 1e-4)
        XCTAssertNoThrow(try c.validate())
        var r = RunConfig(); r.activation = .relu; r.initializer = .edgeOfChaosOrthogonal; r.sigmaB2 = 0
        r = try r.resolved()
        XCTAssertEqual(r.initializer, .orthogonal); XCTAssertEqual(r.sigmaW2, 2, accuracy: 1e-6)   // He is ReLU's critical point
        XCTAssertEqual(SignalPropagation(activation: .tanh, sigmaW2: c.sigmaW2, sigmaB2: 0.05).chi1AtFixedPoint, 1, accuracy: 1e-5)
    }

    func testTrajectoryRatioDiffersFromFixedPointShortcut() {
        // tanh, σ_b² = 0, σ_w² = 1: χ₁(q*) = 1, yet q shrinks like 1/(2l) and the gradient decays.
        let sp = SignalPropagation(activation: .tanh, sigmaW2: 1, sigmaB2: 0, quadrature: rule)
        XCTAssertEqual(sp.chi1(1e-9), 1, accuracy: 1e-6)
        let r = sp.gradientSquaredRatio(depth: 50)
        XCTAssertEqual(r.last, 1)
        XCTAssertLessThan(r[0], 0.5)
        XCTAssertTrue(zip(r, r.dropFirst()).allSatisfy { $0 <= $1 })
    }
}

/// Predicted vs measured on real networks (width 256, averaged over seeds).
final class PredictedVersusMeasuredTests: XCTestCase {
    /// Measured E‖δ^l‖²/E‖δ^L‖² over the hidden layers, squared norms averaged over seeds first.
    func measured(activation: ActivationKind, sigmaW2: Double, sigmaB2: Double, depth: Int, seeds: [UInt64]) throws -> [Double] {
        var sums = [Double](repeating: 0, count: depth)
        for seed in seeds {
            var rng = SeededRandom(seed: seed)
            let model = Sequential<Float>.mlp(inputs: 256, width: 256, depth: depth, outputs: 10, activation: activation,
                                              initializer: .normal(sigmaW2: sigmaW2, sigmaB2: sigmaB2), rng: &rng)
            let data = try Dataset<Float>(name: "gauss", features: .normal([128, 256], rng: &rng),
                                          targets: .classes((0..<128).map { _ in rng.int(below: 10) }, classes: 10))
            let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.01), parameters: model.namedParameters), batchSize: 128, seed: 0)
            let r = try GradLabDiagnostics.Probe(model: model).measureOnce(trainer: trainer, batch: data)
            for l in 0..<depth { sums[l] += r.layers[l].deltaNorm * r.layers[l].deltaNorm }
        }
        return sums.map { $0 / sums[depth - 1] }
    }

    func assertAgrees(_ activation: ActivationKind, _ w: Double, _ b: Double, depth: Int, decades: Double = 0.3,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let predicted = SignalPropagation(activation: activation, sigmaW2: w, sigmaB2: b).gradientSquaredRatio(depth: depth)
        let seen = try measured(activation: activation, sigmaW2: w, sigmaB2: b, depth: depth, seeds: [1, 2, 3, 4])
        for l in 0..<depth {
            let gap = abs(log10(seen[l]) - log10(predicted[l]))
            XCTAssertLessThan(gap, decades, "\(activation) σ_w²=\(w) layer \(l + 1): measured \(seen[l]) vs predicted \(predicted[l])", file: file, line: line)
        }
    }

    func testReLUXavierVersusHeAt30Layers() throws {
        try assertAgrees(.relu, 1, 0, depth: 30)   // Xavier-like fan-in: ×½ per layer, R(1) = 2⁻²⁹
        try assertAgrees(.relu, 2, 0, depth: 30)   // He: flat
    }

    func testTanhOrderedCriticalChaotic() throws {
        try assertAgrees(.tanh, 1.0, 0.05, depth: 30)       // ordered
        try assertAgrees(.tanh, 1.760955, 0.05, depth: 30)  // critical
        try assertAgrees(.tanh, 4.0, 0.05, depth: 30)       // chaotic
    }
}

/// Gaussian vs orthogonal weights: same mean, different spread of the Jacobian's spectrum.
final class JacobianSpectrumTheoryTests: XCTestCase {
    func testClosedFormsForLinearAndReLU() {
        let linear = SignalPropagation(activation: .identity, sigmaW2: 1, sigmaB2: 0)
        XCTAssertEqual(linear.jacobianSpectrum(depth: 10, orthogonal: false).variance, 10, accuracy: 1e-9)
        XCTAssertEqual(linear.jacobianSpectrum(depth: 10, orthogonal: true).variance, 0, accuracy: 1e-12)
        let relu = SignalPropagation(activation: .relu, sigmaW2: 2, sigmaB2: 0)
        XCTAssertEqual(relu.jacobianSpectrum(depth: 10, orthogonal: false).mean, 1, accuracy: 1e-12)
        XCTAssertEqual(relu.jacobianSpectrum(depth: 10, orthogonal: false).variance, 20, accuracy: 1e-9)
        XCTAssertEqual(relu.jacobianSpectrum(depth: 10, orthogonal: true).variance, 10, accuracy: 1e-9)
        // tanh at the small-q* critical point: orthogonal weights come close to isometry.
        let tanh = SignalPropagation(activation: .tanh, sigmaW2: 1.05, sigmaB2: 2.01e-5)
        let (g, o) = (tanh.jacobianSpectrum(depth: 100, orthogonal: false), tanh.jacobianSpectrum(depth: 100, orthogonal: true))
        XCTAssertLessThan(o.variance, 0.1 * g.variance)
    }

    /// Measured on deep linear networks (exact products in Double): the spread of the squared
    /// singular values grows like L for Gaussian weights and stays 0 for orthogonal ones.
    func testMeasuredSpreadOfDeepLinearProducts() {
        let (n, depth) = (200, 6)
        func moments(orthogonal: Bool, seed: UInt64) -> (Double, Double) {
            var rng = SeededRandom(seed: seed)
            var j = Tensor<Double>(shape: [n, n], scalars: (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 })
            for _ in 0..<depth {
                let w: Tensor<Double> = (orthogonal ? Initializer.orthogonal(gain: 1) : Initializer.normal(sigmaW2: 1, sigmaB2: 0))
                    .make(weightShape: [n, n], rng: &rng).0
                j = w.matmul(j)
            }
            let jjt = j.matmul(j, transposeB: true)
            var m1 = 0.0, m2 = 0.0
            for i in 0..<n { m1 += jjt[i, i] }
            for x in jjt.matmul(jjt).scalars.enumerated() where x.offset / n == x.offset % n { m2 += x.element }
            m1 /= Double(n); m2 /= Double(n)
            return (m1, m2 - m1 * m1)
        }
        let theory = SignalPropagation(activation: .identity, sigmaW2: 1, sigmaB2: 0).jacobianSpectrum(depth: depth, orthogonal: false)
        let gauss = (1...3).map { moments(orthogonal: false, seed: $0) }
        let meanVariance = gauss.map(\.1).reduce(0, +) / 3
        XCTAssertEqual(gauss.map(\.0).reduce(0, +) / 3, theory.mean, accuracy: 0.1)
        // Finite width and a heavy-tailed top eigenvalue: ±25% (numpy, same sizes: 5.94 for 6).
        XCTAssertEqual(meanVariance, theory.variance, accuracy: 0.25 * theory.variance)
        let ortho = moments(orthogonal: true, seed: 9)
        XCTAssertEqual(ortho.0, 1, accuracy: 1e-9); XCTAssertEqual(ortho.1, 0, accuracy: 1e-9)
    }
}

/// The contradictions users met in `theory` and `phase`, each run as they ran it.
final class TheoryContradictionTests: XCTestCase {
    func theory(_ args: [String]) throws -> String {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        let r = try runGradlab(["theory"] + args)
        XCTAssertEqual(r.status, 0, r.err)
        return r.out
    }

    func json(_ args: [String]) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try theory(args + ["--json"]).utf8)) as? [String: Any])
    }

    func assertNoNonFinite(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        for word in ["nan", "inf "] { XCTAssertFalse(text.lowercased().contains(word), "'\(word)' in:\n\(text)", file: file, line: line) }
        XCTAssertFalse(text.contains("= inf") || text.contains("= -inf"), text, file: file, line: line)
    }

    /// ReLU at σ_w² = 4, σ_b² = 0.05 has no fixed length: it says so instead of q* = inf, ξ_q = nan, ξ_c = -inf.
    func testReLUWithoutAFixedPointSaysSo() throws {
        let out = try theory(["--activation", "relu", "--sigma-w2", "4", "--sigma-b2", "0.05", "--depth", "10"])
        assertNoNonFinite(out)
        XCTAssertTrue(out.contains("q* = diverges") && out.contains("ξ_c = undefined") && out.contains("gradients explode"), out)
        let o = try json(["--activation", "relu", "--sigma-w2", "4", "--sigma-b2", "0.05", "--depth", "10"])
        for key in ["q_star", "xi_q", "xi_c", "trainable_depth"] {
            XCTAssertTrue(o[key] is NSNull, "\(key): \(o[key] ?? "missing")")
            XCTAssertNotNil(o[key + "_reason"] as? String, key)
        }
        XCTAssertEqual(o["chi1"] as? Double, 2)
    }

    /// On the critical line the trainable depth is "> cap", not 54043195528445952.0 layers.
    func testCriticalTrainableDepthIsCapped() throws {
        let out = try theory(["--critical", "tanh", "--sigma-b2", "0.05", "--depth", "50"])
        XCTAssertFalse(out.contains("54043195528445952"), out)
        XCTAssertTrue(out.contains("trainable depth ≈ 6ξ_c = > 100000 layers"), out)
        XCTAssertTrue(out.contains("≈ critical for 50 layers"), out)
    }

    /// Depth scales are 1/|ln χ|: SELU's ξ_c was printed negative beside a positive trainable depth.
    /// Each is now a positive number, or null with its reason.
    func testDepthScalesArePositive() throws {
        for b in ["0", "0.05"] {
            let o = try json(["--activation", "selu", "--sigma-w2", "1", "--sigma-b2", b, "--depth", "10"])
            for key in ["xi_q", "xi_c", "xi_grad", "trainable_depth"] {
                if let x = o[key] as? Double { XCTAssertGreaterThan(x, 0, "selu σ_b²=\(b) \(key)") }
                else { XCTAssertTrue(o[key] is NSNull && o[key + "_reason"] is String, "selu σ_b²=\(b) \(key): \(o[key] ?? "missing")") }
            }
            XCTAssertGreaterThan(try XCTUnwrap(o["xi_q"] as? Double), 0); XCTAssertGreaterThan(try XCTUnwrap(o["xi_grad"] as? Double), 0)
        }
    }

    /// GELU at σ_w² = 1e6 printed -nan; JSON gave "xi_c": "-inf" as a string.
    func testExtremesHaveNoNaNAndJSONHasNoStringNumbers() throws {
        assertNoNonFinite(try theory(["--activation", "gelu", "--sigma-w2", "1e6", "--depth", "10"]))
        for args in [["--activation", "gelu", "--sigma-w2", "1e6"], ["--activation", "relu", "--sigma-w2", "4", "--sigma-b2", "0.05"]] {
            let o = try json(args + ["--depth", "10"])
            for (key, value) in o where value is String {
                XCTAssertTrue(["activation", "phase", "phase_label"].contains(key) || key.hasSuffix("_reason"), "\(args): \(key) = \(value)")
            }
        }
    }

    /// A deep sigmoid net's Jacobian has every singular value ≈ 0: not dynamical isometry.
    func testIsometryOnlyWhenSingularValuesConcentrateNearOne() throws {
        XCTAssertFalse(try theory(["--activation", "sigmoid", "--sigma-w2", "1", "--depth", "50"]).contains("isometry"))
        XCTAssertFalse(JacobianSpectra.isNearIsometry(meanSquared: 7.5e-64, variance: 7.9e-127))
        XCTAssertFalse(JacobianSpectra.isNearIsometry(meanSquared: 1, variance: 17))
        XCTAssertTrue(JacobianSpectra.isNearIsometry(meanSquared: 1, variance: 0))
        // tanh near q* = 0 on the critical line with orthogonal weights (Pennington et al. 2017), 10 layers.
        let tanh = SignalPropagation(activation: .tanh, sigmaW2: 1.05, sigmaB2: 2.01e-5).jacobianSpectrum(depth: 10, orthogonal: true)
        XCTAssertTrue(JacobianSpectra.isNearIsometry(meanSquared: tanh.mean, variance: tanh.variance), "\(tanh)")
    }

    /// The README's tanh at σ_w² = 1.76 (χ₁ = 0.9998) is ≈ critical for 50 layers, ordered for 10,000.
    func testCriticalBandDependsOnDepth() throws {
        XCTAssertTrue(try theory(["--activation", "tanh", "--sigma-w2", "1.76", "--sigma-b2", "0.05", "--depth", "50"]).contains("≈ critical for 50 layers"))
        let sp = SignalPropagation(activation: .tanh, sigmaW2: 1.76, sigmaB2: 0.05)
        XCTAssertEqual(sp.phase(depth: 50).kind, .critical)
        XCTAssertEqual(sp.phase(depth: 10_000).kind, .ordered)
        XCTAssertTrue(sp.phase(depth: 10_000).label.contains("vanish"))
    }

    /// `phase --activation relu` coloured the region without a fixed length as "trainable ≥ 1000
    /// layers"; only cells next to the critical line σ_w² = 2 may reach the top of the ramp.
    func testReLUPhasePlaneHasNoSpuriousDeepBand() throws {
        let svg = PhaseDiagram(activation: .relu, grid: .init(depths: [10], sigmaW2s: [1], sigmaB2: 0.05)).svg()
        let top = SVG.colour(1)
        let cell = try NSRegularExpression(pattern: "<rect x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\" height=\"[0-9.]+\" fill=\"([^\"]+)\"/>")
        var deep: [Double] = []
        let cells = cell.matches(in: svg, range: NSRange(svg.startIndex..., in: svg))
        XCTAssertGreaterThan(cells.count, 41 * 25)
        for m in cells {
            let field = { (i: Int) in String(svg[Range(m.range(at: i), in: svg)!]) }
            guard field(3) == top, let x = Double(field(1)), let width = Double(field(2)), width < 12 else { continue }
            deep.append(0.5 + (x - 70) / (width - 0.3) * 0.1)      // the cell's σ_w² (41 columns over 0.5…4.5)
        }
        XCTAssertTrue(deep.allSatisfy { abs($0 - 2) <= 0.15 }, "cells drawn as ≥ 1000 layers at σ_w² \(deep.filter { abs($0 - 2) > 0.15 }.prefix(8))")
    }
}
