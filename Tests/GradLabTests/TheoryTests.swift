import XCTest
import GradLab
import GradLabTheory

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
