import XCTest
import Foundation
import GradLab

/// Recurrent cells: fused BPTT against the per-step reference, finite differences, and fixtures
/// from an independent implementation (PyTorch, `scripts/recurrent_fixtures.py`).
final class RecurrentTests: XCTestCase {
    let (B, T, I, H) = (2, 5, 3, 4)

    func parameters(_ cell: RecurrentCell, seed: UInt64, inputs: Int? = nil) -> [Tensor<Double>] {
        let G = cell.gates * H, I = inputs ?? I
        return [randomTensor([G, I], seed: seed, low: -0.7, high: 0.7), randomTensor([G, H], seed: seed + 1, low: -0.7, high: 0.7),
                randomTensor([G], seed: seed + 2, low: -0.5, high: 0.5), randomTensor([G], seed: seed + 3, low: -0.5, high: 0.5)]
    }

    func testFiniteDifferencesThroughTime() {
        for cell in RecurrentCell.allCases {
            let x = randomTensor([B, T, I], seed: 40, low: -1.5, high: 1.5)
            // Positive biases keep ReLU pre-activations away from the kink at 0.
            var p = parameters(cell, seed: 41)
            if cell == .rnnRelu { p[2] = p[2].map { Swift.abs($0) + 0.3 } }
            assertGradients([x] + p, tolerance: 1e-6) { v in
                v[0].recurrence(cell, weightIH: v[1], weightHH: v[2], biasIH: v[3], biasHH: v[4])
            }
        }
    }

    /// The fused op and the readable per-step composition agree on outputs and every gradient,
    /// with and without truncation (which is not the full gradient, so finite differences cannot
    /// check it), in Double and in Float; with a narrow input (dW_ih summed inside the time loop)
    /// and a wide one (dW_ih by a GEMM afterwards).
    func testFusedMatchesReference() {
        for cell in RecurrentCell.allCases {
            for (truncation, inputs) in [(nil, I), (2, I), (nil, 11), (3, 11)] {
                let x = randomTensor([3, 7, inputs], seed: 50), p = parameters(cell, seed: 51, inputs: inputs)
                func run<S: Scalar>(_: S.Type, fused: Bool) -> [Tensor<S>] {
                    let tape = Tape<S>()
                    let vars = ([x] + p).map { tape.variable($0.converted(to: S.self)) }
                    let out = fused
                        ? vars[0].recurrence(cell, weightIH: vars[1], weightHH: vars[2], biasIH: vars[3], biasHH: vars[4], truncation: truncation)
                        : vars[0].referenceRecurrence(cell, weightIH: vars[1], weightHH: vars[2], biasIH: vars[3], biasHH: vars[4], truncation: truncation)
                    let r = randomTensor(out.shape, seed: 52).converted(to: S.self)
                    let grads = tape.backward(from: (out * tape.constant(r)).sum())
                    return [out.value] + vars.map { grads[$0]! }
                }
                let reference = run(Double.self, fused: false)
                for (a, b) in zip(run(Double.self, fused: true), reference) { assertClose(a, b, tolerance: 1e-12) }
                for (a, b) in zip(run(Float.self, fused: true), reference) { assertClose(a.converted(to: Double.self), b, tolerance: 2e-5) }
            }
        }
    }

    /// Batch rows run on separate threads: the numbers are bit-identical on 1 and 2 threads.
    func testSameNumbersOnAnyThreadCount() {
        func run(threads: Int) -> [[Float]] {
            Backend.setThreads(threads)
            defer { Backend.setThreads(1) }
            var rng = SeededRandom(seed: 12)
            let layer = Recurrent<Float>(.lstm, inputSize: 3, hiddenSize: 32, rng: &rng)
            let watch = RecordingObserver<Float>()
            let tape = Tape<Float>()
            tape.observers = [watch]
            let x = tape.constant(Tensor<Float>.normal([32, 20, 3], rng: &rng))
            let out = layer(x)
            tape.backward(from: (out * out).sum())
            return [out.value.scalars, layer.weightHH.grad!.scalars, watch.timeNorms.map { Float($0) }]
        }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
    }

    func testFixturesFromPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "recurrent", withExtension: "json", subdirectory: "Fixtures"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(json["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 4)
        for c in cases {
            let cell = try XCTUnwrap(RecurrentCell(rawValue: c["cell"] as! String))
            let (b, t, i, h) = (c["B"] as! Int, c["T"] as! Int, c["I"] as! Int, c["H"] as! Int)
            let g = cell.gates * h
            func tensor(_ key: String, _ shape: [Int]) -> Tensor<Double> { Tensor(shape: shape, scalars: c[key] as! [Double]) }
            let tape = Tape<Double>()
            let shapes = [[b, t, i], [g, i], [g, h], [g], [g]]
            let vars = zip(["x", "weight_ih", "weight_hh", "bias_ih", "bias_hh"], shapes).map { tape.variable(tensor($0, $1)) }
            let watch = RecordingObserver<Double>()
            tape.observers = [watch]
            let out = vars[0].recurrence(cell, weightIH: vars[1], weightHH: vars[2], biasIH: vars[3], biasHH: vars[4],
                                         layer: ObjectIdentifier(watch))
            let finalCell = watch.finalCell
            let grads = tape.backward(from: (out * tape.constant(tensor("r", [b, t, h]))).sum())
            assertClose(out.value, tensor("output", [b, t, h]), tolerance: 1e-12)
            assertClose(out.value.slice(axis: 1, (t - 1)..<t).reshaped([b, h]), tensor("h_n", [b, h]), tolerance: 1e-12)
            if cell == .lstm { assertClose(Tensor(shape: [b, h], scalars: finalCell), tensor("c_n", [b, h]), tolerance: 1e-12) }
            for (k, key) in ["dx", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh"].enumerated() {
                assertClose(grads[vars[k]]!, tensor(key, shapes[k]), tolerance: 1e-12)
            }
        }
    }

    func testStackedLayersTrainAndNameParameters() throws {
        var rng = SeededRandom(seed: 3)
        let model = Sequential<Double>.recurrent(.gru, features: 2, steps: 6, hidden: 5, layers: 2, outputs: 1, rng: &rng)
        XCTAssertEqual(model.namedParameters.map(\.name).prefix(5),
                       ["layers.1.weight_ih", "layers.1.weight_hh", "layers.1.bias_ih", "layers.1.bias_hh", "layers.2.weight_ih"])
        XCTAssertEqual(try model.outputShape(for: [4, 12]), [4, 1])
        let x = randomTensor([4, 12], seed: 60)
        assertGradients([x]) { model($0[0]) }
    }

    func testSpectralMeasurements() {
        // A rotation by 0.3 rad scaled by 0.9 (complex eigenvalues 0.9·e^{±0.3i}) plus a 1.2 block.
        let c = 0.9 * Foundation.cos(0.3), s = 0.9 * Foundation.sin(0.3)
        let w = [c, -s, 0, s, c, 0, 0.5, 0, 1.2]
        XCTAssertEqual(Spectral.spectralRadius([c, -s, s, c], n: 2), 0.9, accuracy: 1e-9)
        XCTAssertEqual(Spectral.spectralRadius(w, n: 3), 1.2, accuracy: 1e-6)
        XCTAssertEqual(Spectral.largestSingularValue([3, 0, 0, 0, 2, 0], rows: 2, cols: 3), 3, accuracy: 1e-9)
        XCTAssertEqual(Spectral.spectralRadius([0, 1, 0, 0], n: 2), 0)   // nilpotent
    }

    func testRecurrentInitializations() {
        var rng = SeededRandom(seed: 5)
        let irnn = Recurrent<Double>(.rnnRelu, inputSize: 2, hiddenSize: 16, recurrentInit: .identity(radius: 1), inputStd: 1e-3, rng: &rng)
        XCTAssertEqual(Spectral.spectralRadius(irnn.stateBlock, n: 16), 1, accuracy: 1e-3)
        XCTAssertEqual(irnn.biasHH.value.scalars, Array(repeating: 0, count: 16))
        for scheme in [RecurrentInit.orthogonal(radius: 0.95), .gaussianRadius(0.95)] {
            let layer = Recurrent<Double>(.rnnTanh, inputSize: 2, hiddenSize: 32, recurrentInit: scheme, rng: &rng)
            XCTAssertEqual(Spectral.spectralRadius(layer.stateBlock, n: 32), 0.95, accuracy: 0.01, "\(scheme)")
        }
        let ortho = Recurrent<Double>(.rnnTanh, inputSize: 2, hiddenSize: 32, recurrentInit: .orthogonal(radius: 0.95), rng: &rng)
        XCTAssertEqual(Spectral.largestSingularValue(ortho.stateBlock, rows: 32, cols: 32), 0.95, accuracy: 1e-6)
        let lstm = Recurrent<Double>(.lstm, inputSize: 2, hiddenSize: 8, forgetBias: 1, rng: &rng)
        XCTAssertEqual(Array(lstm.biasIH.value.scalars[8..<16]), Array(repeating: 1, count: 8))
        XCTAssertEqual(Array(lstm.biasHH.value.scalars[8..<16]), Array(repeating: 0, count: 8))
    }

    /// The generators match their stated layouts and baselines.
    func testSequenceTasks() {
        let adding: Dataset<Double> = SequenceTask.adding.generate(samples: 4000, length: 50, seed: 1)
        guard case let .values(y) = adding.targets else { return XCTFail() }
        let mse1 = y.scalars.reduce(0) { $0 + ($1 - 1) * ($1 - 1) } / 4000
        XCTAssertEqual(mse1, SequenceTask.adding.baseline(50).value, accuracy: 0.01)
        for row in 0..<20 {     // exactly one marker per half, and the target is the marked sum
            let seq = (0..<50).map { (adding.features[row, 2 * $0], adding.features[row, 2 * $0 + 1]) }
            XCTAssertEqual(seq[..<25].filter { $0.1 == 1 }.count, 1); XCTAssertEqual(seq[25...].filter { $0.1 == 1 }.count, 1)
            XCTAssertEqual(seq.filter { $0.1 == 1 }.reduce(0) { $0 + $1.0 }, y[row, 0], accuracy: 1e-12)
        }
        for task in [SequenceTask.adding1997, .multiplication] {
            let d: Dataset<Double> = task.generate(samples: 6000, length: 100, seed: 2)
            guard case let .values(t) = d.targets else { return XCTFail() }
            let mean = t.scalars.reduce(0, +) / 6000
            let variance = t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 6000
            XCTAssertEqual(variance, task.baseline(100).value, accuracy: 0.004, "\(task)")
            XCTAssertEqual(d.inputSize, 110 * 2)
        }
        let order: Dataset<Double> = SequenceTask.temporalOrder.generate(samples: 400, length: 40, seed: 3)
        guard case let .classes(labels, 4) = order.targets else { return XCTFail() }
        XCTAssertEqual(Set(labels), [0, 1, 2, 3])
        XCTAssertEqual(order.features.scalars.reduce(0, +), 400 * 40)      // one-hot: one symbol per step
        let copy: Dataset<Double> = SequenceTask.copy.generate(samples: 3, length: 30, seed: 4)
        guard case let .sequenceClasses(out, 10, 50) = copy.targets else { return XCTFail() }
        for s in 0..<3 {
            let inputs = (0..<50).map { t in (0..<10).first { copy.features[s, t * 10 + $0] == 1 }! }
            XCTAssertEqual(Array(out[(s * 50 + 40)..<(s * 50 + 50)]), Array(inputs[0..<10]))
            XCTAssertEqual(inputs[39], 9)
            XCTAssertTrue(out[(s * 50)..<(s * 50 + 40)].allSatisfy { $0 == 8 })
        }
        XCTAssertEqual(SequenceTask.copy.baseline(100).value, 0.1733, accuracy: 1e-4)
    }

    /// ‖∂L/∂h_t‖ is reported for every step; with small recurrent weights it decays going back
    /// in time (vanishing through time), with identity weights on an active ReLU RNN it does not.
    func testThroughTimeGradientNorms() {
        var rng = SeededRandom(seed: 8)
        func norms(_ layer: Recurrent<Double>, x: Tensor<Double>) -> [Double] {
            let watch = RecordingObserver<Double>()
            let tape = Tape<Double>()
            tape.observers = [watch]
            let out = layer(tape.constant(x))
            tape.backward(from: out.slice(axis: 1, 39..<40).sum())
            return watch.timeNorms
        }
        let x = randomTensor([4, 40, 2], seed: 9, low: 0, high: 1)
        let small = Recurrent<Double>(.rnnTanh, inputSize: 2, hiddenSize: 32, recurrentInit: .gaussian(std: 0.05), rng: &rng)
        let n = norms(small, x: x)
        XCTAssertEqual(n.count, 40)
        XCTAssertLessThan(n[0] / n[39], 1e-10)
        let irnn = Recurrent<Double>(.rnnRelu, inputSize: 2, hiddenSize: 32, recurrentInit: .identity(radius: 1), inputStd: 0.1, rng: &rng)
        irnn.biasIH.value = Tensor(shape: [32], repeating: 0.5)          // keep every unit active
        let m = norms(irnn, x: x)
        XCTAssertEqual(m[0] / m[39], 1, accuracy: 1e-9)
    }
}
