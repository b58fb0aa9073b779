import XCTest
import Foundation
import GradLab
import GradLabDiagnostics

/// Verdicts that agree with outcomes: a run that learns nothing is never healthy, causes come
/// before their consequences, and the words agree with the numbers they quote.
final class OutcomeTests: XCTestCase {
    /// Probed steps 0, 20, … with fixed-batch losses and accuracies as given, and `layers` Dense
    /// layers whose signal ratio ‖δ₁‖/‖δ_L‖ is `signal` at every step.
    func stream(_ losses: [Double], accuracy: Double, signal: Double = 1, layers: Int = 4, every: Int = 20) -> [ProbeStep] {
        losses.enumerated().map { i, loss in
            let ls = (1...layers).map { l -> LayerStats in
                var s = LayerStats(step: i * every, layer: l, name: "layers.\(2 * (l - 1))", activation: "tanh")
                s.weightNorm = 1; s.updateRatio = 1e-3
                s.gainProduct = l == layers ? 1 : Foundation.pow(signal, Double(layers - l) / Double(layers - 1))
                s.gradNorm = s.gainProduct
                return s
            }
            return ProbeStep(step: i * every, loss: loss, accuracy: accuracy, gradNorm: 1, learningRate: 0.01, layers: ls,
                             fixedLoss: loss, fixedAccuracy: accuracy)
        }
    }

    let digits = TaskBaseline(loss: Foundation.log(10.0), accuracy: 0.1, classes: 10)

    func testTheBaselineIsTheConstantAnswersScore() throws {
        // Four classes with frequencies 1/2, 1/4, 1/8, 1/8: entropy 1.75 bits, chance 1/2.
        let labels = [0, 0, 0, 0, 1, 1, 2, 3]
        let b = TaskBaseline(of: try Dataset<Float>(name: "t", features: Tensor(shape: [8, 1], scalars: [Float](repeating: 0, count: 8)),
                                                    targets: .classes(labels, classes: 4)))
        XCTAssertEqual(b.loss, 1.75 * Foundation.log(2.0), accuracy: 1e-12)
        XCTAssertEqual(b.accuracy ?? -1, 0.5, accuracy: 1e-12)
        // Regression: the targets' variance (population), averaged over outputs.
        let r = TaskBaseline(of: try Dataset<Float>(name: "r", features: Tensor(shape: [4, 1], scalars: [0, 0, 0, 0]),
                                                    targets: .values(Tensor(shape: [4, 2], scalars: [1, 0, 2, 0, 3, 0, 4, 0]))))
        XCTAssertEqual(r.loss, (1.25 + 0) / 2, accuracy: 1e-6)
        XCTAssertNil(r.accuracy)
        // The adding problem's target is the sum of two U(0, 1): variance 1/6.
        var c = RunConfig(); c.model = .lstm; c.data = .sequence(.adding); c.samples = 4096; c.seqLen = 10; c.width = 8
        let (_, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        XCTAssertEqual(TaskBaseline(of: train).loss, 1.0 / 6, accuracy: 0.01)
    }

    func testALossThatFallsToTheBaselineAndStaysIsNotLearning() throws {
        // From a chaotic start far above the constant answer down to it, flat for 180 steps.
        let stuck = stream([3.3, 2.36, 2.33, 2.31, 2.32, 2.30, 2.31, 2.30, 2.31, 2.30], accuracy: 0.1, signal: 80)
        let verdicts = Diagnosis.run(stuck, baseline: digits)
        let v = try XCTUnwrap(verdicts.first { $0.kind == .notLearning })
        XCTAssertEqual(v.cause, .exploding, "δ growing 80× toward the input is the cause named")
        XCTAssertTrue(v.evidence.contains("chance 10.0%"), v.evidence)
        XCTAssertTrue(v.evidence.contains("‖δ₁‖/‖δ_4‖ = 80"), v.evidence)
        // The same run without the task's baseline cannot be judged on its outcome…
        XCTAssertFalse(Diagnosis.run(stuck).contains { $0.kind == .notLearning })
        // …and a run that went well below it is not stuck.
        let learned = stream([2.4, 1.9, 1.5, 1.2, 0.9, 0.7, 0.5, 0.4, 0.35, 0.3], accuracy: 0.9, signal: 80)
        XCTAssertFalse(Diagnosis.run(learned, baseline: digits).contains { $0.kind == .notLearning })
        // Healthy gradients and no progress point at the data.
        let data = Diagnosis.run(stream([2.31, 2.30, 2.31, 2.30, 2.30, 2.31, 2.30, 2.30, 2.31, 2.30], accuracy: 0.1), baseline: digits)
        let d = try XCTUnwrap(data.first { $0.kind == .notLearning })
        XCTAssertNil(d.cause)
        XCTAssertTrue(d.evidence.contains("check the data"), d.evidence)
    }

    func testTheChaoticDeepTanhRunFromTheSweepIsNotHealthy() throws {
        // depth-sigma-sweep's point depth 30, σ_w² = 4: it learns nothing in 200 steps.
        var c = RunConfig()
        c.data = .digits; c.width = 128; c.depth = 30; c.activation = .tanh; c.initializer = .normal; c.sigmaW2 = 4; c.sigmaB2 = 0.05
        c.optimizer = .momentum; c.lr = 0.005; c.batch = 128; c.steps = 200; c.evalEvery = 200; c.probeEvery = 20
        let run = try DiagnosticRun.run(c)
        let accuracy = try XCTUnwrap(run.history.evals.last?.accuracy)
        XCTAssertLessThan(accuracy, (run.baseline.accuracy ?? 0) + 0.05, "the premise: it learned nothing")
        XCTAssertFalse(run.healthy)
        let v = try XCTUnwrap(run.all.first { $0.kind == .notLearning })
        XCTAssertEqual(v.cause, .exploding, "the chaotic phase: δ grows toward the input")
        XCTAssertFalse(v.remedies.isEmpty, "advice follows from the cause")
    }

    func testCausesComeBeforeTheirConsequencesAndLendThemTheirRemedies() throws {
        // A vanishing signal (10⁻⁶ over 4 layers) and a loss that crawls.
        let steps = stream((0..<10).map { 2.3 - 0.01 * Double($0) }, accuracy: 0.3, signal: 1e-6)
        var config = RunConfig(); config.depth = 4; config.activation = .sigmoid; config.initializer = .normal
        let verdicts = Diagnosis.run(steps, config: config, baseline: digits)
        let kinds = verdicts.map(\.kind)
        let vanishing = try XCTUnwrap(kinds.firstIndex(of: .vanishing))
        for consequence in [Verdict.Kind.slowConvergence, .notDecreasing, .notLearning] {
            guard let i = kinds.firstIndex(of: consequence) else { continue }
            XCTAssertLessThan(vanishing, i)
            XCTAssertEqual(verdicts[i].cause, .vanishing)
            XCTAssertEqual(verdicts[i].remedies, verdicts[vanishing].remedies, "\(consequence) must not advise its own cure")
            XCTAssertTrue(verdicts[i].line.contains("a consequence of vanishing"), verdicts[i].line)
        }
        XCTAssertTrue(kinds.contains(.slowConvergence) || kinds.contains(.notDecreasing), "\(kinds)")
    }

    func testTheWordsAgreeWithTheNumbers() throws {
        // A loss that rose is never said to have fallen, nor a "−0.69% decrease".
        let rising = stream([2.315, 2.32, 2.318, 2.321, 2.322, 2.323, 2.324, 2.324, 2.325, 2.331], accuracy: 0.1)
        for v in Diagnosis.run(rising, baseline: digits) {
            XCTAssertFalse(v.evidence.contains("fell"), v.line)
            XCTAssertFalse(v.evidence.contains("−") || v.evidence.contains("-0."), v.line)
        }
        let plateau = try XCTUnwrap(Diagnosis.run(rising).first { $0.kind == .notDecreasing })
        XCTAssertTrue(plateau.evidence.contains("rose"), plateau.evidence)
        // No raw digits, no ×0.00 per layer.
        var s = stream([7.373920891562214e+31], accuracy: 0.1)[0]
        s.loss = 7.373920891562214e+31; s.layers[0].activationNonFinite = 3
        let nonFinite = try XCTUnwrap(Diagnosis.run([s]).first { $0.kind == .nonFinite })
        XCTAssertFalse(nonFinite.evidence.contains("7.373920891562214"), nonFinite.evidence)
        XCTAssertTrue(nonFinite.evidence.contains("7.37e+31"), nonFinite.evidence)
        let deep = stream([2.3, 2.3], accuracy: 0.1, signal: 1e-90, layers: 40)
        let vanishing = try XCTUnwrap(Diagnosis.run(deep).first { $0.kind == .vanishing })
        XCTAssertNil(vanishing.evidence.range(of: #"×0\.0*( |$)"#, options: .regularExpression), vanishing.evidence)
        // A loss that is enormous before any update blames the start, not the updates.
        let start = stream([5e4, 4e4], accuracy: 0.1)
        let blowUp = try XCTUnwrap(Diagnosis.run(start).first { $0.kind == .lossBlowUp })
        XCTAssertEqual(blowUp.firstStep, 0)
        XCTAssertFalse(blowUp.explanation.contains("updates"), blowUp.explanation)
    }

    func testNumbersPrintAsWords() {
        XCTAssertEqual(Number.short(.nan), "undefined")
        XCTAssertEqual(Number.short(.infinity), "∞")
        XCTAssertEqual(Number.short(93.14), "93.1")
        XCTAssertEqual(Number.short(3.15e-4), "3.15e-04")
        XCTAssertEqual(Number.factor(0.0012), "×0.0012")
        XCTAssertEqual(Number.factor(3e-5), "×3.00e-05")
        XCTAssertEqual(Number.short(1234), "1234")
        XCTAssertEqual(Number.change(from: 2.315, to: 2.331), "rose 0.69% (2.31 → 2.33)")
        XCTAssertEqual(Number.change(from: 3.3, to: 2.3), "fell 30% (3.3 → 2.3)")
        XCTAssertEqual(Number.change(from: 2.3061, to: 2.3077), "rose 0.069% (2.3061 → 2.3077)")
    }
}
