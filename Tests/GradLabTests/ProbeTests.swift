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

    /// Activation statistics and ‖δ‖ measured inside the activation's backward sweep equal
    /// separate passes over h and over δ, bit for bit, for tanh (saturation counted) and ReLU; and
    /// the activation op's gradient is the same with and without the measuring.
    func testStatisticsMeasuredInTheActivationSweepEqualSeparatePasses() throws {
        for kind in [ActivationKind.tanh, .relu] {
            var rng = SeededRandom(seed: 6)
            // 300 × 61: several 4096-element chunks and a ragged tail.
            let model = Sequential<Float>.mlp(inputs: 5, width: 61, depth: 3, outputs: 3, activation: kind, initializer: .heNormal(gain: 1), rng: &rng)
            let data: Dataset<Float> = SyntheticData.teacherStudent(samples: 300, inputs: 5, outputs: 3, seed: 7)
            let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.01), parameters: model.namedParameters), batchSize: 300, seed: 0)
            let probe = try Probe(model: model, options: Probe.Options())
            let r = probe.measureOnce(trainer: trainer, batch: data)
            // The same pass by hand: h and δ from hooks, then separate reductions.
            let tape = Tape<Float>()
            var outs: [Int: Var<Float>] = [:]
            let watch = RecordingObserver<Float>()
            watch.onLayerOutput = { i, v, container in if container === model { outs[i] = v } }
            tape.observers = [watch]
            let (loss, _) = trainer.loss(data, tape: tape)
            let grads = tape.backward(from: loss)
            let threshold = kind == .tanh ? Foundation.tanh(probe.options.saturationThreshold) : .infinity
            for (b, layer) in r.layers.enumerated().dropLast() {
                let z = try XCTUnwrap(outs[2 * b]), h = try XCTUnwrap(outs[2 * b + 1])
                let hs = h.value.moments(beyond: threshold)
                XCTAssertEqual(layer.activationMean, hs.mean, "\(kind) layer \(b + 1)")
                XCTAssertEqual(layer.activationStd, hs.std)
                if kind == .tanh { XCTAssertEqual(layer.saturatedFraction, hs.beyondFraction) }
                let dz = try XCTUnwrap(grads[z])
                XCTAssertEqual(layer.deltaNorm, dz.moments(sumOfSquaresOnly: true).norm)
                XCTAssertGreaterThan(layer.deltaNorm, 0)
                // The measured gradient is the plain one.
                let asking = RecordingObserver<Float>()
                asking.threshold = threshold
                let t2 = Tape<Float>(); t2.observers = [asking]
                let z2 = t2.variable(z.value), h2 = z2.activation(kind)
                let g2 = try XCTUnwrap(t2.backward(from: h2, seed: try XCTUnwrap(grads[h]))[z2])
                XCTAssertEqual(g2, dz)
                XCTAssertEqual(asking.measured?.inputGradient.sumOfSquares, dz.moments(sumOfSquaresOnly: true).sumOfSquares)
            }
        }
    }

    /// Two probes on one trainer: the second gets nothing from the activation sweep (the first
    /// owns the tape's request) and measures with separate passes; both see the same numbers.
    func testTwoProbesOnOneTrainerAgree() throws {
        var rng = SeededRandom(seed: 9)
        let model = Sequential<Float>.mlp(inputs: 5, width: 40, depth: 3, outputs: 3, activation: .tanh, initializer: .heNormal(gain: 1), rng: &rng)
        let data: Dataset<Float> = SyntheticData.teacherStudent(samples: 120, inputs: 5, outputs: 3, seed: 7)
        let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.01), parameters: model.namedParameters), batchSize: 120, seed: 0)
        let a = try Probe(model: model), b = try Probe(model: model)
        a.attach(to: trainer); b.attach(to: trainer)
        _ = trainer.step(data, epoch: 0)
        let (la, lb) = (try XCTUnwrap(a.steps.last).layers, try XCTUnwrap(b.steps.last).layers)
        XCTAssertEqual(la.count, lb.count)
        for (x, y) in zip(la, lb) {
            XCTAssertEqual(x.deltaNorm, y.deltaNorm); XCTAssertGreaterThan(x.deltaNorm, 0)
            XCTAssertEqual(x.activationMean, y.activationMean); XCTAssertEqual(x.activationStd, y.activationStd)
            XCTAssertEqual(x.saturatedFraction, y.saturatedFraction)
        }
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
        var rnn = RunConfig(); rnn.model = .rnnTanh; rnn.data = .sequence(.adding); rnn.seqLen = 60; rnn.depth = 1; rnn.width = 32
        let verdicts = Diagnosis.predict(small, config: rnn)
        let v = try XCTUnwrap(verdicts.first { $0.kind == .vanishing && $0.evidence.contains("the gradient at step 1 is") })
        XCTAssertTrue(v.evidence.contains("step 60"), v.evidence)
        // The advice is the repair ladder's: a gated cell first (GRU, then LSTM with forget bias ln T).
        XCTAssertEqual(v.remedies.first, "GRU (--model gru)")
        XCTAssertTrue(v.remedies.contains { $0.contains("--model lstm") && $0.contains("--forget-bias 4.09434") }, "\(v.remedies)")
        // An LSTM is told to fix its forget gate, not to use an LSTM.
        var lstm = rnn; lstm.model = .lstm
        XCTAssertTrue(try XCTUnwrap(Diagnosis.predict(small, config: lstm).first { $0.kind == .vanishing }).remedies[0].hasPrefix("LSTM, forget bias"))
        // A bare stream (no config) gets no advice.
        XCTAssertTrue(try XCTUnwrap(Diagnosis.predict(small).first { $0.kind == .vanishing }).remedies.isEmpty)
        let irnn = try probeStep(.identity(radius: 1), inputStd: 0.1, bias: 0.5)
        XCTAssertEqual(try XCTUnwrap(irnn.time.first).firstToLast, 1, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(irnn.time.first?.spectralRadius), 1, accuracy: 1e-3)
        XCTAssertFalse(Diagnosis.predict(irnn).contains { $0.evidence.contains("the gradient at step 1 is") })
    }

    /// Through-time vanishing on synthetic streams: a plain cell is named after a full window of
    /// checks (not on step 0 alone); a gated cell with open gates can learn to carry, so it is not
    /// predicted and must decay four windows long; with its gates shut it is predicted at step 0.
    func testThroughTimeVanishingNeedsPersistenceAndShutGates() {
        func steps(_ n: Int, cell: String, shut: Double = 0, ratio: Double = 1e-6) -> [ProbeStep] {
            (0..<n).map { i in
                var s = ProbeStep(step: i, loss: 1, gradNorm: 1, learningRate: 0.01, layers: [])
                var t = TimeStats(step: i, name: "layers.1", cell: cell, gradNormByTime: [ratio, 1])
                t.gateNearZero = shut
                s.time = [t]
                return s
            }
        }
        func vanishing(_ vs: [Verdict]) -> Bool { vs.contains { $0.kind == .vanishing } }
        let window = DiagnosisThresholds().window
        XCTAssertTrue(vanishing(Diagnosis.predict(steps(1, cell: "rnn-tanh")[0])))
        XCTAssertFalse(vanishing(Diagnosis.run(steps(window - 1, cell: "rnn-tanh"))))
        XCTAssertTrue(vanishing(Diagnosis.run(steps(window, cell: "rnn-tanh"))))
        XCTAssertFalse(vanishing(Diagnosis.predict(steps(1, cell: "gru")[0])))
        XCTAssertFalse(vanishing(Diagnosis.run(steps(4 * window - 1, cell: "gru"))))
        XCTAssertTrue(vanishing(Diagnosis.run(steps(4 * window, cell: "lstm"))))
        XCTAssertTrue(vanishing(Diagnosis.predict(steps(1, cell: "lstm", shut: 0.9)[0])))
        XCTAssertFalse(vanishing(Diagnosis.run(steps(4 * window, cell: "lstm", ratio: 1e-3))))
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
        let (layers, total) = JacobianSpectra.measure(blocks: [(a.weight, a.bias, nil), (b.weight, b.bias, nil)], input: x, samples: 2)
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
        var c = RunConfig(); c.data = .blobs; c.samples = 64; c.depth = 4; c.width = 8
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
        var c = RunConfig(); c.data = .blobs; c.samples = 256; c.depth = 12; c.width = 32; c.activation = .sigmoid
        c.initializer = .normal; c.sigmaW2 = 1; c.optimizer = .sgd; c.lr = 0.1
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

    /// A representative subset (one case per category, plus bugs through time and the
    /// batch-size oscillation) on three seeds: every bug found, no verdict on any twin. The whole
    /// suite runs with `gradlab diagnose --suite`.
    func testSuiteFindsEveryBugAndNoHealthyTwin() throws {
        let names = ["20-layer sigmoid, He init (vanishing)", "LSTM, forget bias −4, adding T=40 (vanishing through time)",
                     "10-layer ReLU, σ_w²=18 (exploding to NaN)", "ReLU RNN, identity ×1.3, adding T=40 (exploding through time)",
                     "bias −3 on circles, SGD (dead ReLU)", "inputs ×50 into sigmoid (saturation)",
                     "momentum learning rate 1 on circles, tanh (oscillating)", "batch 4 at SGD learning rate 0.5 on digits (oscillating)",
                     "SGD learning rate 1e-3 on circles (slow convergence)", "zero init (symmetric, unchanged)"]
        let subset = names.compactMap { n in DiagnosisSuite.cases.first { $0.name == n } }
        XCTAssertEqual(subset.map(\.name), names, "a case of the subset was renamed or removed")
        XCTAssertEqual(Set(subset.map(\.category)), Set(DiagnosisSuite.categories))
        let report = try DiagnosisSuite.run(seeds: [1, 2, 3], cases: subset)
        for o in report.outcomes where o.buggy && !o.detected { XCTFail("missed: \(o.name) seed \(o.seed): \(o.verdicts)") }
        for o in report.outcomes where !o.buggy && !o.verdicts.isEmpty { XCTFail("false alarm on twin \(o.name) seed \(o.seed): \(o.verdicts)") }
        XCTAssertEqual(report.recall, 1)
        XCTAssertEqual(report.falseVerdictsOnHealthy, 0)
        XCTAssertGreaterThanOrEqual(report.precision, 0.9)
        XCTAssertEqual(report.categories.map(\.category), DiagnosisSuite.categories)
        XCTAssertEqual(report.categories.reduce(0) { $0 + $1.bugRuns }, subset.count * 3)
        // Vanishing and exploding fixed by the architecture and initialization are named at step 0.
        for o in report.outcomes where o.buggy && (o.category == "vanishing" || o.name.contains("σ_w²")) {
            XCTAssertEqual(o.stepsToDetect, 0, "\(o.name) seed \(o.seed)")
        }
    }

    /// The suite's shape: at least 30 cases over every category, each twin one setting away from its bug.
    func testSuiteCasesDifferFromTheirTwinsInOneSetting() throws {
        let cases = DiagnosisSuite.cases
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        XCTAssertEqual(Set(cases.map(\.name)).count, cases.count, "case names must be unique")
        for k in DiagnosisSuite.categories { XCTAssertTrue(cases.contains { $0.category == k }, k) }
        for c in cases {
            XCTAssertTrue(DiagnosisSuite.categories.contains(c.category), c.name)
            XCTAssertNoThrow(try c.bug.validate(), c.name); XCTAssertNoThrow(try c.twin.validate(), c.name)
            func keys(_ r: RunConfig) throws -> [String: String] {
                let o = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
                return o.mapValues { "\($0)" }
            }
            let (b, t) = (try keys(c.bug), try keys(c.twin))
            let differing = Set(b.keys).union(t.keys).filter { b[$0] != t[$0] }
            XCTAssertEqual(differing.count, 1, "\(c.name): bug and twin differ in \(differing.sorted())")
            // Short runs; a recurrent case may run long enough for its twin to learn a long-range task.
            XCTAssertLessThanOrEqual(c.steps, c.bug.isRecurrent ? 1200 : 150, c.name)
        }
    }

    // MARK: rules 13 and 14 on synthetic streams

    /// Probed steps 0… with the given fixed-batch losses (and training losses, by default the same).
    func stream(_ fixed: [Double?], train: [Double]? = nil) -> [ProbeStep] {
        fixed.enumerated().map { i, f in
            ProbeStep(step: i, loss: train?[i] ?? f ?? 1, gradNorm: 1, learningRate: 0.1, layers: [], fixedLoss: f)
        }
    }

    func uniform(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in rng.uniform(-1, 1) }
    }

    func testOscillatingLossIsNamed() throws {
        // Bounces around 0.6 by 15–35% every step without getting anywhere.
        let u = uniform(120, seed: 5)
        let loss = (0..<120).map { (t: Int) -> Double in
            let sign: Double = t % 2 == 0 ? 1 : -1
            return 0.6 * (1 + sign * (0.25 + 0.1 * u[t]))
        }
        let v = try XCTUnwrap(Diagnosis.run(stream(loss), config: RunConfig()).first { $0.kind == .oscillation })
        XCTAssertEqual(v.firstStep, DiagnosisThresholds().oscillationWindow - 1)
        XCTAssertTrue(v.evidence.contains("changed direction on 100% of its moves"), v.evidence)
        XCTAssertEqual(v.remedies.first, "learning rate ÷10 (--lr 0.0001)")
        XCTAssertEqual(v.kind.rawValue, "oscillating-loss")
        // Slower waves (up for four steps, down for four) flip on a quarter of the moves: no verdict.
        let waves = (0..<120).map { (t: Int) -> Double in 0.6 * (1 + 0.3 * Foundation.sin(Double(t) * .pi / 4)) }
        XCTAssertFalse(Diagnosis.run(stream(waves)).contains { $0.kind == .oscillation })
    }

    func testNoisyButDecreasingLossIsHealthy() {
        // The fixed-batch loss falls with a little jitter from mini-batch steps; the training loss
        // swings ±60% around it, as it does at small batch sizes.
        let (a, b) = (uniform(150, seed: 6), uniform(150, seed: 7))
        let fixed = (0..<150).map { (t: Int) -> Double in Foundation.exp(-Double(t) / 40) * (1 + 0.03 * a[t]) + 0.01 }
        let train = (0..<150).map { (t: Int) -> Double in fixed[t] * (1 + 0.6 * b[t]) }
        XCTAssertEqual(Diagnosis.run(stream(fixed, train: train)), [])
        // A training loss that flips every step says nothing by itself: rule 13 needs the fixed batch.
        let flipping = (0..<150).map { (t: Int) -> Double in t % 2 == 0 ? 0.9 : 0.3 }
        XCTAssertFalse(Diagnosis.run(stream([Double?](repeating: nil, count: 150), train: flipping)).contains { $0.kind == .oscillation })
        // Nor does jitter around a fitted model (below a tenth of the first loss).
        let fitted = (0..<150).map { (t: Int) -> Double in t < 10 ? 1.0 : (t % 2 == 0 ? 0.03 : 0.01) }
        XCTAssertFalse(Diagnosis.run(stream(fitted)).contains { $0.kind == .oscillation })
    }

    func testSlowConvergenceIsNamedAndToldApartFromAPlateau() throws {
        // Falls 0.08% of its start per step: 2% per 25 steps, 8% in 100.
        let slow = (0..<150).map { (t: Int) -> Double in 1 - 0.0008 * Double(t) }
        var sgd = RunConfig(); sgd.optimizer = .sgd; sgd.lr = 0.01
        let verdicts = Diagnosis.run(stream(slow), config: sgd)
        let v = try XCTUnwrap(verdicts.first { $0.kind == .slowConvergence })
        // Slow is judged on the whole budget: at the last step.
        XCTAssertEqual(v.firstStep, 149)
        XCTAssertTrue(v.evidence.contains("best improvement over 25 steps was 2."), v.evidence)
        XCTAssertTrue(v.remedies.contains { $0.contains("adam") })
        XCTAssertFalse(verdicts.contains { $0.kind == .notDecreasing })
        // A healthy run falls by more than half every 25 steps.
        XCTAssertEqual(Diagnosis.run(stream((0..<150).map { (t: Int) -> Double in Foundation.exp(-Double(t) / 30) })), [])
        // A loss that does not fall at all is rule 12's plateau, not slow convergence.
        let flat = Diagnosis.run(stream((0..<150).map { (t: Int) -> Double in 0.7 * (1 - 1e-6 * Double(t)) }))
        XCTAssertTrue(flat.contains { $0.kind == .notDecreasing })
        XCTAssertFalse(flat.contains { $0.kind == .slowConvergence })
        // A healthy run that sits on an early plateau for 40 steps and then learns is not slow.
        let late = (0..<150).map { (t: Int) -> Double in
            t < 40 ? 0.7 - 0.0005 * Double(t) : 0.68 * Foundation.exp(-Double(t - 40) / 30)
        }
        XCTAssertEqual(Diagnosis.run(stream(late)), [])
    }

    /// Rule 4 needs the top layer to still receive a gradient; rule 3 reads the back-propagated
    /// signal when the weight gradients look flat (the ordered phase).
    func testVanishingNeedsAGradientAtTheTopAndSeesTheOrderedPhase() throws {
        func layers(_ mean: [Double], norm: [Double], gainProduct: [Double]) -> [LayerStats] {
            mean.indices.map { i in
                var l = LayerStats(step: 0, layer: i + 1, name: "layers.\(2 * i)", activation: "tanh")
                l.gradMeanAbs = mean[i]; l.gradNorm = norm[i]; l.gainProduct = gainProduct[i]; l.deltaNorm = gainProduct[i]
                return l
            }
        }
        func step(_ l: [LayerStats]) -> ProbeStep { ProbeStep(step: 3, loss: 0.5, gradNorm: 1, learningRate: 0.1, layers: l) }
        // A fitted model: tiny gradients everywhere.
        let fitted = step(layers([1e-9, 1e-9, 2e-9], norm: [1e-7, 1e-7, 2e-7], gainProduct: [0.5, 0.8, 1]))
        XCTAssertFalse(Diagnosis.run([fitted]).contains { $0.kind == .vanishing })
        // The input layer starved while the top learns.
        let starved = step(layers([1e-9, 1e-6, 1e-3], norm: [1e-7, 1e-4, 1e-1], gainProduct: [1e-6, 1e-3, 1]))
        XCTAssertTrue(Diagnosis.run([starved]).contains { $0.kind == .vanishing })
        // Ordered phase: flat weight gradients of 1e-8, while δ shrinks 1e-8 toward the input.
        let ordered = step(layers([1e-10, 1e-10, 1e-10], norm: [1e-8, 1e-8, 1e-8], gainProduct: [1e-8, 1e-4, 1]))
        let v = try XCTUnwrap(Diagnosis.predict(ordered).first { $0.kind == .vanishing })
        XCTAssertTrue(v.predicted)
        XCTAssertTrue(v.evidence.contains("‖δ₁‖/‖δ_3‖ = 1.00e-08"), v.evidence)
        XCTAssertEqual(v.layers, [1, 2])
    }

    /// Measuring the fixed-batch loss leaves every other statistic of the step as it was, and
    /// records the loss the trainer's evaluation gives on the probe batch.
    func testFixedBatchLossDoesNotDisturbTheStep() throws {
        var c = RunConfig(); c.data = .circles; c.samples = 128; c.depth = 3; c.width = 16; c.activation = .tanh
        c.initializer = .glorotUniform; c.optimizer = .sgd; c.lr = 0.1; c.batch = 32; c.seed = 4
        func probe(fixedEvery: Int) throws -> (Probe, Trainer<Float>, Dataset<Float>) {
            let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
            let p = try Probe(model: trainer.model, options: Probe.Options(every: 1, fixedBatchEvery: fixedEvery))
            let batch = train.subset(Array(0..<64))
            p.lastBatch = batch
            p.attach(to: trainer)
            _ = try trainer.fit(train, steps: 5)
            return (p, trainer, batch)
        }
        let (plain, _, _) = try probe(fixedEvery: 0)
        let (fixed, trainer, batch) = try probe(fixedEvery: 2)
        XCTAssertEqual(fixed.steps.map { $0.fixedLoss != nil }, [true, false, true, false, true])
        XCTAssertTrue(plain.steps.allSatisfy { $0.fixedLoss == nil })
        for (a, b) in zip(plain.steps, fixed.steps) {
            XCTAssertEqual(a.layers, b.layers); XCTAssertEqual(a.loss, b.loss)
        }
        // The last step's was measured after its update, on the weights the run ended with.
        XCTAssertEqual(try XCTUnwrap(fixed.steps[4].fixedLoss), trainer.evaluate(batch).loss, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(fixed.steps[4].fixedAccuracy), try XCTUnwrap(trainer.evaluate(batch).accuracy), accuracy: 1e-12)
    }
}
import Foundation
