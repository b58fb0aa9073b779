import XCTest
import Foundation
import GradLab
import GradLabDiagnostics

/// The repair ladder's decisions on small cases, and the in-run remedies wired into training.
final class RepairTests: XCTestCase {
    func verdict(_ kind: Verdict.Kind, predicted: Bool) -> Verdict {
        Verdict(kind, layers: [1], firstStep: 0, predicted: predicted, evidence: "", explanation: "", remedies: [])
    }

    func testLadderOrderFollowsTheEvidence() {
        var relu = RunConfig(); relu.activation = .relu; relu.initializer = .normal; relu.sigmaW2 = 18; relu.optimizer = .sgd
        // Predicted at step 0: the architecture is at fault, so the init comes first…
        XCTAssertEqual(Repair.ladder(for: verdict(.exploding, predicted: true), config: relu).first?.name, "init he-normal for relu")
        // …appearing only in training: the learning rate first.
        XCTAssertEqual(Repair.ladder(for: verdict(.nonFinite, predicted: false), config: relu).first?.name, "learning rate ÷10")
        var scaled = relu; scaled.inputScale = 100
        XCTAssertEqual(Repair.ladder(for: verdict(.exploding, predicted: true), config: scaled).first?.name, "standardize inputs")
        var rnn = RunConfig(); rnn.model = .rnnTanh; rnn.data = .sequence(.adding)
        XCTAssertEqual(Repair.ladder(for: verdict(.exploding, predicted: false), config: rnn).first?.name, "clip-norm 1")
        // Vanishing through time: a plain cell swaps to a gated one; an LSTM gets its forget gate fixed first.
        XCTAssertEqual(Repair.ladder(for: verdict(.vanishing, predicted: true), config: rnn).prefix(2).map(\.name), ["GRU", "LSTM, forget bias ln T = 4.6"])   // T = 100
        var lstm = rnn; lstm.model = .lstm; lstm.forgetBias = -4
        XCTAssertEqual(Repair.ladder(for: verdict(.vanishing, predicted: true), config: lstm).prefix(2).map(\.name), ["LSTM, forget bias ln T = 4.6", "GRU"])
        var dead = relu; dead.biasInit = -1
        XCTAssertEqual(Repair.ladder(for: verdict(.deadReLU, predicted: true), config: dead).first?.name, "zero bias, standardized inputs")
        // Units that die only during training: the step size first.
        XCTAssertEqual(Repair.ladder(for: verdict(.deadReLU, predicted: false), config: dead).first?.name, "learning rate ÷10")
        // Unscaled residual branches that explode: scale the branches first.
        var res = relu; res.model = .resmlp; res.initializer = .heNormal; res.depth = 30
        XCTAssertEqual(Repair.ladder(for: verdict(.exploding, predicted: true), config: res).first?.name, "residual branches scaled 1/√L")
        res.branchScale = .invSqrtDepth
        XCTAssertFalse(Repair.ladder(for: verdict(.exploding, predicted: true), config: res).contains { $0.name == "residual branches scaled 1/√L" })
        // A remedy that changes nothing is never tried: He init is already there.
        var he = relu; he.initializer = .heNormal
        XCTAssertFalse(Repair.ladder(for: verdict(.vanishing, predicted: true), config: he).contains { $0.name.hasPrefix("init") })
        // The most urgent verdict is repaired first; dead units before the vanishing they cause.
        XCTAssertEqual(Repair.primary([verdict(.vanishing, predicted: true), verdict(.deadReLU, predicted: true)])?.kind, .deadReLU)
        XCTAssertEqual(Repair.primary([verdict(.saturation, predicted: true), verdict(.nonFinite, predicted: false)])?.kind, .nonFinite)
    }

    func testCandidatesDifferFromTheConfigAndFromEachOther() throws {
        // An LSTM already trained with Adam 3e-3: "LSTM, forget bias, Adam 3e-3" is the plain
        // forget-bias fix again, and is tried once.
        var lstm = RunConfig(); lstm.model = .lstm; lstm.data = .sequence(.adding); lstm.forgetBias = -4
        lstm.optimizer = .adam; lstm.lr = 3e-3
        for kind in [Verdict.Kind.vanishing, .exploding, .notDecreasing] {
            let ladder = Repair.ladder(for: verdict(kind, predicted: true), config: lstm)
            let configs = ladder.map { c -> RunConfig in var e = lstm; c.edit(&e); return e }
            XCTAssertFalse(configs.contains(lstm), "\(kind): a candidate repeats the user's config")
            for i in configs.indices { for j in configs.indices where j > i {
                XCTAssertNotEqual(configs[i], configs[j], "\(kind): \(ladder[i].name) and \(ladder[j].name) are the same run")
            } }
        }
        // A consequence is repaired through its cause's ladder; one without a cause has its own.
        var stalled = verdict(.slowConvergence, predicted: false); stalled.cause = .vanishing
        var sigmoid = RunConfig(); sigmoid.activation = .sigmoid; sigmoid.initializer = .normal
        XCTAssertEqual(Repair.ladder(for: stalled, config: sigmoid).map(\.name),
                       Repair.ladder(for: verdict(.vanishing, predicted: false), config: sigmoid).map(\.name))
    }

    func testRepairsADeepSigmoidNetAndLeavesAHealthyOneAlone() throws {
        var c = RunConfig()
        c.data = .circles; c.samples = 512; c.depth = 10; c.width = 16; c.activation = .sigmoid; c.initializer = .glorotUniform
        c.optimizer = .sgd; c.lr = 0.1; c.steps = 100; c.seed = 1; c.evalEvery = 0
        let r = try Repair.run(c)
        XCTAssertEqual(r.problem?.kind, .vanishing)
        let winner = try XCTUnwrap(r.winner, "\(r.attempts.map { "\($0.name): \($0.verdicts)" })")
        XCTAssertTrue(winner.problemRemoved && winner.improved)
        XCTAssertLessThan(winner.metric, r.unrepairedMetric * 0.98)
        let repaired = try XCTUnwrap(r.repairedConfig)
        XCTAssertNotEqual(repaired, c); XCTAssertEqual(repaired.steps, c.steps)
        XCTAssertEqual(r.costRatio, Double(r.attempts.reduce(0) { $0 + $1.steps }) / Double(c.steps), accuracy: 1e-12)
        XCTAssertFalse(r.after.isEmpty)
        // Judged fairly: every candidate that lost says which verdict blocked it or that its loss
        // was not lower, against the unrepaired run over as many steps; a trial that looked
        // healthy but had not beaten the constant answer ran longer, up to the run's steps.
        for a in r.attempts where a.name != winner.name {
            XCTAssertTrue(a.blockedBy != nil || !a.improved, a.name)
        }
        for a in r.attempts where a.blockedBy == nil && a.metric > 0.98 * r.baseline.loss {
            XCTAssertEqual(a.steps, c.steps, "\(a.name) looked healthy and was still at the baseline: it needs the full steps")
        }
        XCTAssertEqual(r.baseline.accuracy ?? 0, 0.5, accuracy: 0.05, "two balanced circles")
        // Rerunning the repaired config finds nothing to repair.
        XCTAssertTrue(try DiagnosticRun.run(repaired).all.allSatisfy { $0.kind != .vanishing })

        var healthy = c; healthy.activation = .tanh; healthy.optimizer = .adam; healthy.lr = 1e-2; healthy.depth = 3
        let h = try Repair.run(healthy)
        XCTAssertNil(h.problem); XCTAssertTrue(h.attempts.isEmpty); XCTAssertEqual(h.costRatio, 0)
    }

    /// Skip-and-back-off keeps a run alive through non-finite steps, inside the job.
    func testNonFiniteGuardSkipsStepsInsideTheRun() throws {
        var c = RunConfig()
        c.data = .circles; c.samples = 256; c.depth = 6; c.width = 16; c.activation = .relu; c.initializer = .heNormal
        c.optimizer = .sgd; c.lr = 50; c.steps = 60; c.batch = 32; c.evalEvery = 0
        let (plain, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        XCTAssertNotNil(try plain.fit(train, steps: c.steps).stopReason)      // without the guard: stopped
        c.skipNonfinite = true; c.clipNorm = 1
        let (guarded, train2, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        let h = try guarded.fit(train2, steps: c.steps)
        XCTAssertEqual(h.steps.count, c.steps, h.stopReason ?? "")
        XCTAssertTrue(guarded.model.parameters.allSatisfy { $0.value.isFinite })
        XCTAssertLessThanOrEqual(guarded.optimizer.rateScale, 1)
    }

    /// Saturation is measured on what the activation receives: behind batch normalization,
    /// inputs ×50 no longer saturate the sigmoid, and the probe says so.
    func testSaturationIsMeasuredAfterNormalization() throws {
        var c = RunConfig()
        c.data = .circles; c.samples = 256; c.depth = 2; c.width = 16; c.activation = .sigmoid; c.initializer = .glorotUniform
        c.inputScale = 50
        func saturated(_ norm: NormalizationKind) throws -> Double {
            c.normalization = norm
            let (t, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
            return try Probe(model: t.model).measureOnce(trainer: t, batch: train).layers[0].saturatedFraction ?? -1
        }
        XCTAssertGreaterThan(try saturated(.none), 0.4)
        XCTAssertLessThan(try saturated(.batch), 0.01)
    }

    func testAdaptiveClippingAndNormalizationFromConfig() throws {
        var c = RunConfig()
        c.data = .blobs; c.samples = 128; c.depth = 3; c.width = 8; c.agc = 0.01; c.normalization = .batch; c.steps = 5
        let (t, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        XCTAssertEqual(t.adaptiveClipping, 0.01)
        XCTAssertEqual(t.model.layers.filter { $0 is BatchNorm<Float> }.count, 3)
        _ = try t.fit(train, steps: 5)
        // Buffers travel with checkpoints: a resumed model has the same running statistics.
        let path = tempPath("bn.safetensors")
        try t.saveCheckpoint(path)
        let (u, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        try u.resume(from: path)
        XCTAssertEqual(u.model.buffers.map(\.tensor.scalars), t.model.buffers.map(\.tensor.scalars))
        XCTAssertThrowsError(try c.applying(["normalization": .string("group")]))
        c.normalization = .none; c.model = .resmlp; c.branchScale = .fixup
        XCTAssertNoThrow(try c.validate())
    }
}
