import XCTest
import GradLab

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
}
