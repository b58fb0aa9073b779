import XCTest
import GradLab

/// One step of each rule against its closed form, convergence on a quadratic, schedules, clipping.
final class OptimizerTests: XCTestCase {
    func oneStep(_ rule: any UpdateRule, w: [Double], g: [Double], steps: Int = 1, lr: Double = 0.1) -> [Double] {
        let p = Parameter<Double>(Tensor(w))
        let opt = Optimizer<Double>(rule, schedule: .constant(lr), parameters: [("p", p)])
        for _ in 0..<steps { p.grad = Tensor(g); opt.update() }
        return p.value.scalars
    }

    func testSGDClosedForms() {
        XCTAssertEqual(oneStep(SGD(), w: [1, -2], g: [0.5, 1]), [0.95, -2.1])
        // weight decay: g + λw
        XCTAssertEqual(oneStep(SGD(weightDecay: 0.1), w: [1], g: [0.5])[0], 1 - 0.1 * (0.5 + 0.1), accuracy: 1e-15)
        // momentum over two steps with constant g: b1 = g, b2 = μg + g
        XCTAssertEqual(oneStep(SGD(momentum: 0.9), w: [1], g: [1], steps: 2)[0], 1 - 0.1 * 1 - 0.1 * 1.9, accuracy: 1e-15)
        // Nesterov: step uses g + μb
        XCTAssertEqual(oneStep(SGD(momentum: 0.9, nesterov: true), w: [1], g: [1])[0], 1 - 0.1 * (1 + 0.9), accuracy: 1e-15)
    }

    func testAdamFamilyClosedForms() {
        // First Adam step moves each weight by lr·g/(|g| + ε') ≈ lr·sign(g).
        let w = oneStep(Adam(), w: [1, 1], g: [0.3, -4])
        XCTAssertEqual(w[0], 1 - 0.1 * 0.3 / (0.3 + 1e-8), accuracy: 1e-12)
        XCTAssertEqual(w[1], 1 + 0.1 * 4 / (4 + 1e-8), accuracy: 1e-12)
        // Second step with g1 = 1, g2 = 2: m̂ = (0.09 + 0.2)/0.19, v̂ = (0.000999 + 0.004)/0.001999.
        let p = Parameter<Double>(Tensor([0.0]))
        let opt = Optimizer<Double>(Adam(), schedule: .constant(0.1), parameters: [("p", p)])
        p.grad = Tensor([1]); opt.update(); p.grad = Tensor([2]); opt.update()
        let m = (0.9 * 0.1 + 0.1 * 2) / (1 - 0.81), v = (0.999 * 0.001 + 0.001 * 4) / (1 - 0.999 * 0.999)
        XCTAssertEqual(p.value.scalars[0], -0.1 * 1 / (1 + 1e-8) - 0.1 * m / (v.squareRoot() + 1e-8), accuracy: 1e-12)
        // AdamW: decoupled decay then the Adam step.
        XCTAssertEqual(oneStep(Adam.adamW(weightDecay: 0.5), w: [2], g: [1])[0], 2 - 0.1 * 0.5 * 2 - 0.1 / (1 + 1e-8), accuracy: 1e-12)
        // Adam with L2: decay enters the gradient (sign unchanged here, so still ≈ lr).
        XCTAssertEqual(oneStep(Adam(weightDecay: 0.5), w: [2], g: [1])[0], 2 - 0.1 * 2 / (2 + 1e-8), accuracy: 1e-12)
        // RMSProp: v = 0.01·g², step = lr·g/(√v + ε) = lr·10·sign(g).
        XCTAssertEqual(oneStep(RMSProp(), w: [0], g: [3])[0], -0.1 * 3 / (0.3 + 1e-8), accuracy: 1e-12)
    }

    func testEveryRuleConvergesOnAQuadratic() {
        // f(w) = ½ Σ cᵢ (wᵢ − tᵢ)², an ill-conditioned bowl (condition number 20).
        let c = [1.0, 20.0], target = [3.0, -1.0]
        let rules: [(any UpdateRule, Double)] = [(SGD(), 0.04), (SGD(momentum: 0.9), 0.01), (SGD(momentum: 0.9, nesterov: true), 0.01),
                                               (Adam(), 0.05), (Adam.adamW(weightDecay: 0), 0.05), (RMSProp(), 0.01)]
        for (rule, lr) in rules {
            let p = Parameter<Double>(Tensor([0.0, 0.0]))
            let opt = Optimizer<Double>(rule, schedule: .cosine(lr: lr, total: 3000, minimum: lr / 100), parameters: [("w", p)])
            for _ in 0..<3000 {
                p.grad = Tensor((0..<2).map { c[$0] * (p.value.scalars[$0] - target[$0]) })
                opt.update()
            }
            for i in 0..<2 { XCTAssertEqual(p.value.scalars[i], target[i], accuracy: 1e-3, "\(rule)") }
        }
    }

    func testSchedules() {
        XCTAssertEqual(LRSchedule.constant(0.1).rate(at: 500), 0.1)
        XCTAssertEqual(LRSchedule.step(lr: 1, every: 10, gamma: 0.5).rate(at: 25), 0.25)
        let cos = LRSchedule.cosine(lr: 1, total: 100, minimum: 0)
        XCTAssertEqual(cos.rate(at: 0), 1); XCTAssertEqual(cos.rate(at: 50), 0.5, accuracy: 1e-12); XCTAssertEqual(cos.rate(at: 100), 0, accuracy: 1e-12)
        let warm = LRSchedule.warmup(steps: 4, then: .constant(1))
        XCTAssertEqual((0..<6).map { warm.rate(at: $0) }, [0.25, 0.5, 0.75, 1, 1, 1])
    }

    func testClipping() {
        let a = Parameter<Double>(Tensor([3, 0])), b = Parameter<Double>(Tensor([4]))
        a.grad = Tensor([3, 0]); b.grad = Tensor([4])
        XCTAssertEqual(GradientClipping.globalNorm(1).apply(to: [a, b]), 5)   // returns the norm before clipping
        XCTAssertEqual(globalGradientNorm([a, b]), 1, accuracy: 1e-12)
        XCTAssertEqual(a.grad!.scalars[0], 0.6, accuracy: 1e-12)
        a.grad = Tensor([-7, 0.5])
        GradientClipping.value(1).apply(to: [a])
        XCTAssertEqual(a.grad, Tensor([-1, 0.5]))
        // A norm already below the bound is left alone.
        b.grad = Tensor([0.1])
        GradientClipping.globalNorm(1).apply(to: [b])
        XCTAssertEqual(b.grad, Tensor([0.1]))
    }
}
