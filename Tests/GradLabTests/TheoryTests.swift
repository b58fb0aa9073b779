import XCTest
import GradLab
import GradLabTheory
import GradLabDiagnostics

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
        XCTAssertEqual(xiao.qStar, 0.025921, accuracy: 1e-4 * 0.025921)
        XCTAssertEqual(xiao.chi1AtFixedPoint, 1, accuracy: 1e-5)
    }

    func testCorrelationDepthScalesAndTrainableDepth() {
        let rule2 = GaussHermite(order: 81)
        for (w, xi) in [(1.0, 3.63), (1.5, 15.8), (2.5, 11.8), (4.0, 6.98)] {
            let sp = SignalPropagation(activation: .tanh, sigmaW2: w, sigmaB2: 0.05, quadrature: rule2)
            XCTAssertEqual(sp.xiC, xi, accuracy: 0.01 * xi, "ξ_c at σ_w² = \(w)")
            XCTAssertEqual(sp.trainableDepth, 6 * xi, accuracy: 0.06 * xi)
        }
    }

    func testReLUClosedForms() {
        for (w, b) in [(1.0, 0.1), (1.5, 0.05), (2.0, 0.0)] {
            let sp = SignalPropagation(activation: .relu, sigmaW2: w, sigmaB2: b)
            XCTAssertEqual(sp.chi1(0.3), w / 2); XCTAssertEqual(sp.chi1(7), w / 2)
            if w < 2 { XCTAssertEqual(sp.qStar, b / (1 - w / 2), accuracy: 1e-12) }
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
