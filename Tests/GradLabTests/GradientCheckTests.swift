import XCTest
import GradLab

/// Finite-difference checks (Double) for every differentiable op and layer.
final class GradientCheckTests: XCTestCase {
    let a = randomTensor([3, 4], seed: 1), b = randomTensor([3, 4], seed: 2)
    let row = randomTensor([4], seed: 3), col = randomTensor([3, 1], seed: 4)
    let positive = randomTensor([3, 4], seed: 5, low: 0.5, high: 3)

    func testArithmeticWithBroadcasting() {
        assertGradients([a, b]) { $0[0] + $0[1] }
        assertGradients([a, row]) { $0[0] + $0[1] }
        assertGradients([a, col]) { $0[0] - $0[1] }
        assertGradients([row, a]) { $0[0] * $0[1] }
        assertGradients([a, positive]) { $0[0] / $0[1] }
        assertGradients([a, col.map { $0 + 3 }]) { $0[0] / $0[1] }
        assertGradients([a]) { -$0[0] }
        assertGradients([a]) { $0[0] * 2.5 }
        assertGradients([a, a]) { $0[0] * $0[1] + $0[0] }   // reuse: gradients accumulate
    }

    func testElementaryFunctions() {
        assertGradients([a]) { $0[0].exp() }
        assertGradients([positive]) { $0[0].log() }
        assertGradients([positive]) { $0[0].sqrt() }
        assertGradients([a]) { $0[0].squared() }
        assertGradients([a]) { $0[0].abs() }
    }

    func testEveryActivation() {
        // Keep inputs away from the kinks of ReLU/hard-tanh/abs, where the derivative jumps.
        let x = randomTensor([4, 5], seed: 11, low: -3, high: 3).map { abs($0) < 0.05 || abs(abs($0) - 1) < 0.05 ? $0 + 0.2 : $0 }
        for kind in ActivationKind.allCases {
            assertGradients([x]) { $0[0].activation(kind) }
        }
    }

    func testMatrixProducts() {
        let m = randomTensor([3, 5], seed: 21), n = randomTensor([5, 2], seed: 22)
        assertGradients([m, n]) { $0[0].matmul($0[1]) }
        let bm = randomTensor([2, 3, 4], seed: 23), bn = randomTensor([2, 4, 2], seed: 24), shared = randomTensor([4, 3], seed: 25)
        assertGradients([bm, bn]) { $0[0].matmul($0[1]) }
        assertGradients([bm, shared]) { $0[0].matmul($0[1]) }
        let x = randomTensor([4, 3], seed: 26), w = randomTensor([5, 3], seed: 27), bias = randomTensor([5], seed: 28)
        assertGradients([x, w, bias]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
        assertGradients([x, w]) { $0[0].linear(weight: $0[1], bias: nil) }
    }

    func testReductions() {
        let t = randomTensor([2, 3, 4], seed: 31)
        assertGradients([t]) { $0[0].sum() }
        assertGradients([t]) { $0[0].mean() }
        for axis in 0..<3 {
            assertGradients([t]) { $0[0].sum(axis: axis) }
            assertGradients([t]) { $0[0].sum(axis: axis, keepDims: true) }
            assertGradients([t]) { $0[0].mean(axis: axis) }
            assertGradients([t]) { $0[0].max(axis: axis) }
        }
    }

    func testShapeOps() {
        let t = randomTensor([2, 3, 4], seed: 41)
        assertGradients([t]) { $0[0].reshaped([6, 4]) }
        assertGradients([t]) { $0[0].permuted([2, 0, 1]) }
        assertGradients([a]) { $0[0].transposed }
        assertGradients([t]) { $0[0].slice(axis: 1, 1..<3) }
        assertGradients([t]) { $0[0].slice(axis: -1, 0..<2) }
        assertGradients([a, b]) { Var.concat([$0[0], $0[1]], axis: 0) }
        assertGradients([a, col]) { Var.concat([$0[0], $0[1]], axis: 1) }
    }

    func testLosses() {
        let target = randomTensor([3, 4], seed: 51)
        assertGradients([a]) { $0[0].mseLoss(target) }
        let probs = randomTensor([3, 4], seed: 52, low: 0.05, high: 0.95), bits = randomTensor([3, 4], seed: 53, low: 0, high: 1).map { $0 > 0.5 ? 1 : 0 }
        assertGradients([probs]) { $0[0].binaryCrossEntropy(bits) }
        assertGradients([a]) { $0[0].binaryCrossEntropy(logits: bits) }
        assertGradients([a]) { $0[0].softmaxCrossEntropy(labels: [0, 3, 1]) }
        assertGradients([a]) { $0[0].logSoftmax() }
    }

    func testDropoutWithFixedMask() {
        // The tape's seeded stream gives the same mask on every evaluation.
        assertGradients([a]) { $0[0].dropout(0.3) }
    }

    func testLayers() {
        var rng = SeededRandom(seed: 61)
        let model = Sequential<Double>.mlp(inputs: 3, width: 5, depth: 2, outputs: 2, activation: .tanh, initializer: .glorot, rng: &rng)
        let x = randomTensor([4, 3], seed: 62)
        // Input gradient through the whole model.
        assertGradients([x]) { model($0[0]) }
        // Parameter gradients: perturb each parameter through its Parameter object.
        let tape = Tape<Double>()
        let loss = model(tape.constant(x)).softmaxCrossEntropy(labels: [0, 1, 1, 0])
        model.zeroGrad()
        tape.backward(from: loss)
        for (name, p) in model.namedParameters {
            let g = p.grad!
            for i in 0..<p.value.count {
                let orig = p.value.scalars[i]
                func eval(_ v: Double) -> Double {
                    p.value.scalars[i] = v
                    let t = Tape<Double>(recording: false)
                    return model(t.constant(x)).softmaxCrossEntropy(labels: [0, 1, 1, 0]).value.item
                }
                let numeric = (eval(orig + 1e-6) - eval(orig - 1e-6)) / 2e-6
                p.value.scalars[i] = orig
                XCTAssertEqual(g.scalars[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(name)[\(i)]")
            }
        }
    }
}
