import XCTest
import GradLab
import GradLabTheory
import GradLabDiagnostics

/// Each initializer's mean and variance against its formula; orthogonality to 1e-5.
final class InitializerTests: XCTestCase {
    func stats(_ initializer: Initializer, _ shape: [Int] = [400, 300]) -> (mean: Double, variance: Double, w: Tensor<Double>, b: Tensor<Double>) {
        var rng = SeededRandom(seed: 12)
        let (w, b): (Tensor<Double>, Tensor<Double>) = initializer.make(weightShape: shape, rng: &rng)
        let mean = w.mean()
        let variance = w.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count)
        return (mean, variance, w, b)
    }

    func testVariances() {
        let fanIn = 300.0, fanOut = 400.0
        let cases: [(Initializer, Double)] = [
            (.normal(sigmaW2: 1.7, sigmaB2: 0), 1.7 / fanIn),
            (.uniform(sigmaW2: 2, sigmaB2: 0), 2 / fanIn),
            (.glorotUniform(gain: 1), 2 / (fanIn + fanOut)),
            (.glorotNormal(gain: 1), 2 / (fanIn + fanOut)),
            (.heUniform(gain: 2.0.squareRoot()), 2 / fanIn),
            (.heNormalReLU, 2 / fanIn),
            (.lecunNormal, 1 / fanIn),
            (.torchDefault, 1 / (3 * fanIn)),
            (.orthogonal(gain: 1), 1 / fanOut),  // orthonormal columns: Σw² = 300 over 400·300 entries
        ]
        for (i, v) in cases {
            let s = stats(i)
            XCTAssertEqual(s.mean, 0, accuracy: 4 * (v / 120_000).squareRoot(), "\(i) mean")
            XCTAssertEqual(s.variance / v, 1, accuracy: 0.03, "\(i) variance \(s.variance) vs \(v)")
        }
        // Bias variance σ_b² for the mean-field initializers.
        var rng = SeededRandom(seed: 3)
        let (_, b): (Tensor<Double>, Tensor<Double>) = Initializer.normal(sigmaW2: 1, sigmaB2: 0.05).make(weightShape: [20_000, 2], rng: &rng)
        XCTAssertEqual(b.scalars.map { $0 * $0 }.reduce(0, +) / 20_000, 0.05, accuracy: 0.003)
        XCTAssertEqual(stats(.heNormalReLU).b, Tensor(zeros: [400]))
    }

    func testOrthogonalIsOrthogonalForEveryShape() {
        for shape in [[64, 64], [30, 80], [80, 30]] {
            let w = stats(.orthogonal(gain: 2), shape).w
            let (r, c) = (shape[0], shape[1])
            // WWᵀ = 4I (wide) or WᵀW = 4I (tall).
            let gram = r <= c ? w.matmul(w, transposeB: true) : w.matmul(w, transposeA: true)
            let n = min(r, c)
            for i in 0..<n { for j in 0..<n {
                XCTAssertEqual(gram[i, j], i == j ? 4 : 0, accuracy: 1e-5 * 4, "\(shape) (\(i),\(j))")
            } }
        }
    }

    func testIdentityAndConstant() {
        let w = stats(.identity(gain: 1.5), [3, 4]).w
        XCTAssertEqual(w, Tensor([[1.5, 0, 0, 0], [0, 1.5, 0, 0], [0, 0, 1.5, 0]]))
        let c = stats(.constant(0.25), [2, 2])
        XCTAssertEqual(c.w, Tensor(shape: [2, 2], repeating: 0.25)); XCTAssertEqual(c.b, Tensor([0.25, 0.25]))
        XCTAssertThrowsError(try RunConfig().applying(["init": .string("xavier-gaussian")])) { XCTAssertTrue("\($0)".contains("allowed:")) }
    }

    func testSameSeedSameNumbers() {
        XCTAssertEqual(stats(.heNormalReLU).w, stats(.heNormalReLU).w)
        var r1 = SeededRandom(seed: 1), r2 = SeededRandom(seed: 2)
        XCTAssertNotEqual(r1.next(), r2.next())
    }

    /// Variance of the hidden layers' biases (every Dense but the first and the output).
    func hiddenBiasVariance(_ model: Sequential<Float>) -> Double {
        let biases = model.namedParameters.filter { $0.name.hasSuffix("bias") }.dropFirst().dropLast().flatMap { $0.parameter.value.scalars.map(Double.init) }
        return biases.map { $0 * $0 }.reduce(0, +) / Double(max(biases.count, 1))
    }

    /// edge-of-chaos-orthogonal chose σ_w² for biases of variance σ_b², then drew none: the net
    /// it built sat where the theory says χ₁ = 1.074. Built and measured, it must sit at χ₁ ≈ 1.
    func testEdgeOfChaosOrthogonalBuildsTheNetItChoseSigmaW2For() throws {
        for kind in [InitKind.edgeOfChaosOrthogonal, .edgeOfChaos] {
            var c = RunConfig(); c.activation = .tanh; c.initializer = kind; c.sigmaB2 = 0.05; c.depth = 12; c.width = 256
            let (trainer, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.resolved().build()
            let drawn = hiddenBiasVariance(trainer.model)
            XCTAssertEqual(drawn, 0.05, accuracy: 0.012, "\(kind): hidden biases drawn with variance \(drawn)")
            let chi = SignalPropagation(activation: .tanh, sigmaW2: try c.resolved().sigmaW2, sigmaB2: drawn).chi1AtFixedPoint
            XCTAssertEqual(chi, 1, accuracy: 0.02, "\(kind): the built net sits at χ₁ = \(chi)")
        }
        var rng = SeededRandom(seed: 5)
        let (_, b): (Tensor<Double>, Tensor<Double>) = Initializer.orthogonal(gain: 1, sigmaB2: 0.05).make(weightShape: [20_000, 2], rng: &rng)
        XCTAssertEqual(b.scalars.map { $0 * $0 }.reduce(0, +) / 20_000, 0.05, accuracy: 0.003)
        XCTAssertEqual(stats(.orthogonal(gain: 1)).b, Tensor(zeros: [400]))     // σ_b² = 0: no biases drawn
    }

    /// Under Glorot the first layer's σ_w² is 2·fan_in/(fan_in + fan_out) (0.4 for 64 → 256 on the
    /// digits), not the hidden layers' 1; the overlay must predict with it.
    func testPredictedOverlayUsesTheFirstLayersTrueVariance() throws {
        var c = RunConfig(); c.activation = .tanh; c.initializer = .glorotNormal; c.depth = 10; c.width = 256; c.data = .digits
        let session = try DiagnosticSession(c)
        let overlay = try XCTUnwrap(PredictedOverlay(config: session.config, step0: session.initial, inputVariance: session.inputVariance))
        XCTAssertEqual(overlay.sigmaW2, 1)
        XCTAssertEqual(overlay.firstLayerSigmaW2, 2 * 64 / (64 + 256), accuracy: 0.02)
        // The same prediction with the hidden layers' σ_w² = 1 on the input layer, as before.
        let assumed = SignalPropagation(activation: .tanh, sigmaW2: 1, sigmaB2: 0).gradientSquaredRatio(depth: 10, inputVariance: session.inputVariance)
        let worst = overlay.rows.map { abs($0.deviation) }.max()!
        let worstAssumed = zip(overlay.rows, assumed).map { abs(log10($0.measured) - log10($1.squareRoot())) }.max()!
        print(String(format: "glorot tanh digits, depth 10: largest deviation %.3f decades (%.3f with σ_w² = 1 on the input layer)", worst, worstAssumed))
        XCTAssertLessThan(worst, worstAssumed, overlay.text)
        XCTAssertLessThan(worst, 0.1, overlay.text)
    }
}
