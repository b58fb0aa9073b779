import XCTest
import GradLab
import GradLabDiagnostics

final class ProbeTests: XCTestCase {
    /// A deep linear network (no activations): δ_l = δ_{l+1}·W_{l+1} exactly, so the measured
    /// per-layer ‖δ_l‖ and gains must equal the products computed from the weight matrices.
    func testDeepLinearGainsEqualExactProducts() throws {
        var rng = SeededRandom(seed: 3)
        let sizes = [6, 16, 12, 16, 8, 3]
        let model = Sequential<Float>((0..<(sizes.count - 1)).map { Dense<Float>(sizes[$0], sizes[$0 + 1], initializer: .glorotNormal(gain: 1.3), rng: &rng) as any Layer<Float> })
        let data: Dataset<Float> = SyntheticData.teacherStudent(samples: 32, inputs: 6, outputs: 3, seed: 4)
        let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.01), parameters: model.namedParameters), batchSize: 32, seed: 0)
        let probe = try Probe(model: model)
        let r = probe.measureOnce(trainer: trainer, batch: data)
        // Exact, in Double: forward, δ_L = 2(ŷ − y)/N for the MSE, then δ_l = δ_{l+1}·W_{l+1}.
        let ws = model.namedParameters.filter { $0.name.hasSuffix("weight") }.map { $0.parameter.value.converted(to: Double.self) }
        let bs = model.namedParameters.filter { $0.name.hasSuffix("bias") }.map { $0.parameter.value.converted(to: Double.self) }
        var h = data.features.converted(to: Double.self)
        for (w, b) in zip(ws, bs) { h = h.matmul(w, transposeB: true) + b }
        guard case let .values(y) = data.targets else { return XCTFail() }
        var delta = (h - y.converted(to: Double.self)) * (2 / Double(h.count))
        var norms = [delta.norm]
        for w in ws.dropFirst().reversed() { delta = delta.matmul(w); norms.insert(delta.norm, at: 0) }
        for (l, stats) in r.layers.enumerated() {
            XCTAssertEqual(stats.deltaNorm, norms[l], accuracy: 1e-4 * norms[l], "‖δ_\(l + 1)‖")
            if l + 1 < norms.count { XCTAssertEqual(stats.gain!, norms[l] / norms[l + 1], accuracy: 1e-4 * norms[l] / norms[l + 1], "gain \(l + 1)") }
            XCTAssertEqual(stats.gainProduct, norms[l] / norms.last!, accuracy: 1e-4 * norms[l] / norms.last!)
        }
        // Weight-gradient norms: ∇W_l = δ_lᵀ·x_{l−1}.
        XCTAssertEqual(r.layers.last!.gradNorm, model.parameter(named: "layers.4.weight")!.grad!.norm, accuracy: 1e-5)
    }

    /// Jacobi eigenvalue iteration on a symmetric matrix (test oracle for singular values).
    func eigenvalues(_ a: [[Double]]) -> [Double] {
        var m = a
        let n = m.count
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += m[i][j] * m[i][j] } }
            if off < 1e-24 { break }
            for p in 0..<n { for q in (p + 1)..<n where abs(m[p][q]) > 1e-300 {
                let theta = (m[q][q] - m[p][p]) / (2 * m[p][q])
                let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n { let kp = m[k][p], kq = m[k][q]; m[k][p] = c * kp - s * kq; m[k][q] = s * kp + c * kq }
                for k in 0..<n { let pk = m[p][k], qk = m[q][k]; m[p][k] = c * pk - s * qk; m[q][k] = s * pk + c * qk }
            } }
        }
        return (0..<n).map { m[$0][$0] }
    }

    func gram(_ w: Tensor<Double>) -> [[Double]] {
        let g = w.matmul(w, transposeA: true)
        return (0..<g.shape[0]).map { i in (0..<g.shape[1]).map { g[i, $0] } }
    }

    /// The through-time record equals what the layer reports, the gains multiply to the
    /// first-to-last ratio, and the diagnosis names vanishing through time in a small-weight tanh
    /// RNN (predicted at step 0) but not in an IRNN whose units all stay active.
    func testThroughTimeProbeAndDiagnosis() throws {
        func probeStep(_ recurrentInit: RecurrentInit, inputStd: Double?, bias: Float?) throws -> ProbeStep {
            var rng = SeededRandom(seed: 2)
            let cell: RecurrentCell = recurrentInit == .identity(radius: 1) ? .rnnRelu : .rnnTanh
            let model = Sequential<Float>.recurrent(cell, features: 2, steps: 60, hidden: 32, outputs: 1, recurrentInit: recurrentInit,
                                                    inputStd: inputStd, rng: &rng)
            if let bias { (model.layers[1] as! Recurrent<Float>).biasIH.value = Tensor(shape: [32], repeating: bias) }
            let data: Dataset<Float> = SequenceTask.adding.generate(samples: 16, length: 60, seed: 1)
            let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.01), parameters: model.namedParameters), batchSize: 16, seed: 0)
            return try Probe(model: model).measureOnce(trainer: trainer, batch: data)
        }
        let small = try probeStep(.gaussian(std: 0.05), inputStd: nil, bias: nil)
        let t = try XCTUnwrap(small.time.first)
        XCTAssertEqual(t.name, "layers.1"); XCTAssertEqual(t.gradNormByTime.count, 60); XCTAssertEqual(t.gainByTime.count, 59)
        XCTAssertEqual(Foundation.log(t.gainByTime.reduce(1, *)), Foundation.log(t.firstToLast), accuracy: 1e-6)
        XCTAssertLessThan(t.firstToLast, 1e-10)
        XCTAssertGreaterThan(t.weightHHGradNorm, 0)
        XCTAssertLessThan(try XCTUnwrap(t.spectralRadius), 0.6)
        let verdicts = Diagnosis.predict(small)
        let v = try XCTUnwrap(verdicts.first { $0.kind == .vanishing && $0.evidence.contains("the gradient at step 1 is") })
        XCTAssertTrue(v.evidence.contains("step 60"), v.evidence)
        XCTAssertTrue(v.remedies[0].contains("lstm"))
        let irnn = try probeStep(.identity(radius: 1), inputStd: 0.1, bias: 0.5)
        XCTAssertEqual(try XCTUnwrap(irnn.time.first).firstToLast, 1, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(irnn.time.first?.spectralRadius), 1, accuracy: 1e-3)
        XCTAssertFalse(Diagnosis.predict(irnn).contains { $0.evidence.contains("the gradient at step 1 is") })
    }

    func testPowerIterationMatchesSVD() {
        for (k, shape) in [[5, 7], [7, 5], [6, 6], [3, 9]].enumerated() {
            let w = randomTensor(shape, seed: UInt64(40 + k))
            let sigmaMax = eigenvalues(gram(w)).max()!.squareRoot()
            let est = JacobianSpectra.powerIteration(inputSize: shape[1], jv: { JacobianSpectra.matVec(w, $0) },
                                                     jtu: { JacobianSpectra.matTVec(w, $0) }, rounds: 300)
            XCTAssertEqual(est, sigmaMax, accuracy: 1e-6 * sigmaMax, "\(shape)")
        }
    }

    func testJacobianSpectraOfALinearNetwork() throws {
        var rng = SeededRandom(seed: 8)
        let a = Dense<Float>(4, 5, initializer: .glorotNormal(gain: 1), rng: &rng), b = Dense<Float>(5, 3, initializer: .glorotNormal(gain: 1), rng: &rng)
        let x = Tensor<Float>.normal([2, 4], rng: &rng)
        let (layers, total) = JacobianSpectra.measure(blocks: [(a, nil), (b, nil)], input: x, samples: 2)
        let wa = a.weight.value.converted(to: Double.self), wb = b.weight.value.converted(to: Double.self)
        let eigA = eigenvalues(gram(wa))
        XCTAssertEqual(layers[0].sigmaMax, eigA.max()!.squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(layers[0].meanSquaredSigma, eigA.reduce(0, +) / 4, accuracy: 1e-4)   // ‖W‖_F² / min(5, 4)
        let eigTotal = eigenvalues(gram(wb.matmul(wa)))
        XCTAssertEqual(total.sigmaMax, eigTotal.max()!.squareRoot(), accuracy: 1e-4)
        // Hutchinson's estimate of mean σ² (16 probes) is within sampling error.
        XCTAssertEqual(total.meanSquaredSigma, eigTotal.reduce(0, +) / 3, accuracy: 0.5 * eigTotal.reduce(0, +) / 3)
    }

    func testFirstNonFiniteLayerIsNamed() throws {
        var c = RunConfig(); c.data = "blobs"; c.samples = 64; c.depth = 4; c.width = 8
        let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        trainer.model.parameter(named: "layers.4.weight")!.value.scalars[3] = .infinity   // third Dense layer
        let r = try Probe(model: trainer.model).measureOnce(trainer: trainer, batch: train)
        XCTAssertEqual(r.firstNonFinite?.layer, 3)
        XCTAssertEqual(r.firstNonFinite?.pass, "forward")
        let v = Diagnosis.predict(r)
        XCTAssertEqual(v.first?.kind, .nonFinite)
        XCTAssertTrue(v.first!.evidence.contains("layer 3"), v.first!.evidence)
    }

    func testStepZeroPredictionAndJSONLStream() throws {
        var c = RunConfig(); c.data = "blobs"; c.samples = 256; c.depth = 12; c.width = 32; c.activation = "sigmoid"
        c.initializer = "normal"; c.sigmaW2 = 1; c.optimizer = "sgd"; c.lr = 0.1
        let path = tempPath("probe.jsonl")
        let run = try DiagnosticRun.run(c, steps: 12, every: 3, jsonl: path)
        let vanishing = run.prediction.first { $0.kind == .vanishing }
        XCTAssertNotNil(vanishing)
        XCTAssertTrue(vanishing!.predicted)
        XCTAssertTrue(vanishing!.layers.contains(1))
        XCTAssertTrue(vanishing!.evidence.contains("per layer"), vanishing!.evidence)
        // The stream: the look before training, then training steps 0, 3, 6, 9 — each one "step"
        // line followed by 13 "layer" lines.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5 * 14)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["type"] as? String, "step")
        let layer = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        for key in ["grad_norm", "grad_rms", "grad_max_abs", "grad_zero_fraction", "grad_nonfinite", "weight_norm", "update_norm",
                    "activation_mean", "activation_std", "saturated_fraction", "delta_norm", "gain", "gain_product", "name", "layer"] {
            XCTAssertNotNil(layer[key], key)
        }
        XCTAssertEqual(layer["name"] as? String, "layers.0")
        // Training steps 0, 3, 6, 9 were probed, with update norms from the optimizer.
        XCTAssertEqual(run.probe.steps.map(\.step), [0, 0, 3, 6, 9])
        XCTAssertTrue(run.probe.steps[2].layers.allSatisfy { $0.updateNorm.isFinite && $0.updateNorm > 0 })
    }

    func testBufferSummaryCountsAndNeverHidesNonFinite() {
        let x = Tensor<Float>([0, -3, 2, .nan, 7, 0, .infinity, -0.5] + [Float](repeating: 1, count: 33))
        let s = x.summary(beyond: 2.5)
        XCTAssertEqual(s.count, 41); XCTAssertEqual(s.zeros, 2); XCTAssertEqual(s.nonFinite, 2)
        XCTAssertEqual(s.beyond, 4)   // −3, NaN, 7, Inf
        XCTAssertTrue(s.maxAbs.isNaN || s.maxAbs.isInfinite)
        XCTAssertTrue(s.norm.isNaN)
        let y = Tensor<Float>((0..<5000).map { Float($0 % 7) - 3 })
        let f = y.summary(beyond: 2), d = y.converted(to: Double.self).summary(beyond: 2)
        XCTAssertEqual(f.zeros, d.zeros); XCTAssertEqual(f.beyond, d.beyond); XCTAssertEqual(f.maxAbs, 3)
        XCTAssertEqual(f.sumOfSquares, d.sumOfSquares, accuracy: 1e-3); XCTAssertEqual(f.sum, d.sum, accuracy: 1e-3)
    }

    func testSummariesAreBitIdenticalOnAnyThreadCount() {
        var rng = SeededRandom(seed: 12)
        let x = Tensor<Float>.normal([300_001], rng: &rng)
        Backend.setThreads(1)
        let one = (x.summary(beyond: 1), x.moments(beyond: 1), x.moments(sumOfSquaresOnly: true))
        Backend.setThreads(2)
        let two = (x.summary(beyond: 1), x.moments(beyond: 1), x.moments(sumOfSquaresOnly: true))
        Backend.setThreads(1)
        XCTAssertEqual(one.0, two.0); XCTAssertEqual(one.1, two.1); XCTAssertEqual(one.2, two.2)
        XCTAssertEqual(one.0.sumOfSquares, one.2.sumOfSquares, accuracy: 1e-6 * one.0.sumOfSquares)
        XCTAssertEqual(one.0.count, 300_001)
    }

    func testSuiteFindsEveryBugAndNoHealthyTwin() throws {
        let report = try DiagnosisSuite.run(seeds: [1, 2, 3])
        for o in report.outcomes where o.buggy && !o.detected { XCTFail("missed: \(o.name) seed \(o.seed): \(o.verdicts)") }
        for o in report.outcomes where !o.buggy && !o.verdicts.isEmpty { XCTFail("false alarm on twin \(o.name) seed \(o.seed): \(o.verdicts)") }
        XCTAssertGreaterThanOrEqual(report.cases, 10)
        XCTAssertEqual(report.recall, 1)
        XCTAssertEqual(report.falseVerdictsOnHealthy, 0)
        XCTAssertGreaterThanOrEqual(report.precision, 0.9)
    }
}
import Foundation
