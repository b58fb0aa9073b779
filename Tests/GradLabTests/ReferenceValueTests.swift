import XCTest
import GradLab

/// Forward values against hand-computed or closed-form numbers.
final class ReferenceValueTests: XCTestCase {
    func value(_ t: Tensor<Double>, _ f: (Var<Double>) -> Var<Double>) -> Tensor<Double> { f(Tape<Double>().constant(t)).value }

    func testActivationValues() {
        let x = Tensor<Double>([-1, 0, 1, 2])
        let expected: [ActivationKind: [Double]] = [
            .identity: [-1, 0, 1, 2],
            .sigmoid: [0.2689414213699951, 0.5, 0.7310585786300049, 0.8807970779778823],
            .tanh: [-0.7615941559557649, 0, 0.7615941559557649, 0.9640275800758169],
            .relu: [0, 0, 1, 2],
            .leakyRelu: [-0.01, 0, 1, 2],
            .elu: [-0.6321205588285577, 0, 1, 2],
            .selu: [-1.1113307378125628, 0, 1.0507009873554805, 2.101401974710961],
            .gelu: [-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416],
            .softsign: [-0.5, 0, 0.5, 2.0 / 3],
            .softplus: [0.31326168751822286, 0.6931471805599453, 1.3132616875182228, 2.1269280110429727],
            .hardTanh: [-1, 0, 1, 1],
        ]
        for kind in ActivationKind.allCases {
            assertClose(value(x) { $0.activation(kind) }, Tensor(expected[kind]!), tolerance: 1e-12)
        }
    }

    func testFloatKernelsMatchReference() {
        // The vectorized Float kernels against the Double formulas on a dense grid, including the
        // branch points of the tanh approximation and extreme inputs.
        var xs: [Float] = stride(from: -30.0, through: 30.0, by: 0.0137).map { Float($0) }
        xs += [0, 1e-8, -1e-8, 3.999e-4, 4e-4, 4.001e-4, -4e-4, 0.2999, 0.3, 0.3001, -0.3, 7.9053, 7.906, -7.906, 88, -88, 100, -100, 1e-30]
        let t = Tensor<Float>(xs)
        for kind in ActivationKind.allCases {
            let fast = Tape<Float>().constant(t).activation(kind).value
            for (i, x) in xs.enumerated() {
                let ref = kind.reference(Double(x))
                let tol = 4e-7 * max(1, abs(ref)) + (kind == .gelu || kind == .softplus ? 1e-6 : 0)
                XCTAssertEqual(Double(fast.scalars[i]), ref, accuracy: tol, "\(kind)(\(x))")
            }
            // A NaN stays NaN (the probe must see it), whatever clamps the approximation uses.
            let nan = Tape<Float>().constant(Tensor<Float>([.nan, 1, .nan])).activation(kind).value.scalars
            XCTAssertTrue(nan[0].isNaN && nan[2].isNaN, "\(kind)(NaN) = \(nan)")
        }
    }

    func testMatmulAndLinear() {
        let a = Tensor<Double>([[1, 2], [3, 4]]), b = Tensor<Double>([[5, 6], [7, 8]])
        XCTAssertEqual(a.matmul(b), Tensor([[19, 22], [43, 50]]))
        XCTAssertEqual(a.matmul(b, transposeA: true), Tensor([[26, 30], [38, 44]]))
        XCTAssertEqual(a.matmul(b, transposeB: true), Tensor([[17, 23], [39, 53]]))
        let t = Tape<Double>()
        let y = t.constant(a).linear(weight: t.constant(b), bias: t.constant(Tensor([1, -1])))
        XCTAssertEqual(y.value, Tensor([[18, 22], [40, 52]]))   // x·Wᵀ + b
    }

    func testLossValues() {
        let t = Tape<Double>()
        // −log softmax(1,2,3)[2] = log(e + e² + e³) − 3
        let ce = t.constant(Tensor([[1, 2, 3]])).softmaxCrossEntropy(labels: [2]).value.item
        XCTAssertEqual(ce, 0.40760596444437283, accuracy: 1e-14)
        // Stable for huge logits.
        XCTAssertEqual(t.constant(Tensor([[1000, 0]])).softmaxCrossEntropy(labels: [1]).value.item, 1000, accuracy: 1e-9)
        XCTAssertEqual(t.constant(Tensor([1, 2, 3])).mseLoss(Tensor([1, 0, 0])).value.item, 13.0 / 3, accuracy: 1e-14)
        let bce = t.constant(Tensor([0.8, 0.1])).binaryCrossEntropy(Tensor([1, 0])).value.item
        XCTAssertEqual(bce, -(log(0.8) + log(0.9)) / 2, accuracy: 1e-14)
        let logits = t.constant(Tensor([2.0, -1.0])).binaryCrossEntropy(logits: Tensor([1, 0])).value.item
        XCTAssertEqual(logits, (log(1 + exp(-2.0)) + log(1 + exp(-1.0))) / 2, accuracy: 1e-14)
        XCTAssertEqual(t.constant(Tensor([800.0])).binaryCrossEntropy(logits: Tensor([0])).value.item, 800, accuracy: 1e-9)
        let ls = t.constant(Tensor([[1, 2, 3]])).logSoftmax().value
        XCTAssertEqual(ls.scalars.map(exp).reduce(0, +), 1, accuracy: 1e-14)
        XCTAssertEqual(accuracy(logits: Tensor<Double>([[1, 0], [0, 1], [5, 2]]), labels: [0, 0, 0]), 2.0 / 3)
    }

    func testReductionsAndShapes() {
        let t = Tensor<Double>(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        XCTAssertEqual(t.sum(axis: 0), Tensor([5, 7, 9]))
        XCTAssertEqual(t.sum(axis: 1, keepDims: true), Tensor(shape: [2, 1], scalars: [9, 12]))
        XCTAssertEqual(t.max(axis: 1).values, Tensor([5, 6]))
        XCTAssertEqual(t.max(axis: 1).indices, [1, 2])
        XCTAssertEqual(t.mean(), 3.5)
        XCTAssertEqual(t.transposed, Tensor(shape: [3, 2], scalars: [1, 4, 5, 2, 3, 6]))
        XCTAssertEqual(t.slice(axis: 1, 1..<3), Tensor([[5, 3], [2, 6]]))
        XCTAssertEqual(Tensor.concat([t, t.slice(axis: 0, 0..<1)], axis: 0).shape, [3, 3])
        XCTAssertEqual(t.reshaped([-1]).shape, [6])
        let p = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init)).permuted([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        XCTAssertEqual(p[1, 1, 2], 21)   // element (1, 2, 1) of the input: 1·12 + 2·4 + 1
        XCTAssertEqual(Tensor<Double>.broadcastShape([3, 1, 4], [2, 1]), [3, 2, 4])
        XCTAssertNil(Tensor<Double>.broadcastShape([3], [4]))
        XCTAssertEqual(Tensor<Double>([[1, 2], [3, 4]]) + Tensor([10, 20]), Tensor([[11, 22], [13, 24]]))
        XCTAssertEqual(Tensor<Double>(shape: [2, 1], scalars: [1, 2]) * Tensor([1, 10, 100]), Tensor([[1, 10, 100], [2, 20, 200]]))
        XCTAssertEqual(Tensor<Double>([3, 4]).norm, 5)
    }

    func testDropoutScalesAndMasks() {
        let t = Tape<Float>(rng: SeededRandom(seed: 3))
        let y = t.constant(Tensor(shape: [10_000], repeating: 1)).dropout(0.25).value
        let zeros = y.scalars.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / 10_000, 0.25, accuracy: 0.02)
        XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3) < 1e-6 })
        let eval = Tape<Float>(training: false)
        XCTAssertEqual(eval.constant(Tensor([1, 2])).dropout(0.5).value, Tensor([1, 2]))
    }
}
