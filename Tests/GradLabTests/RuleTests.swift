import XCTest
import Foundation
import GradLab
import GradLabDiagnostics

/// A rule defined only here, outside the diagnostics module: its own kind, a test on the probed
/// stream, and its own repair.
struct LossAboveTenRule: DiagnosisRule {
    static let kind = Verdict.Kind("loss-above-ten")
    var kind: Verdict.Kind { Self.kind }
    /// Between the loss blow-up (20) and exploding (30).
    var priority: Int { 25 }

    func evaluate(_ context: RuleContext) -> [Verdict] {
        let s = context.step
        guard s.loss > 10 else { return [] }
        return [Verdict(Self.kind, layers: [], firstStep: s.step, predicted: false, evidence: String(format: "loss %.3g > 10", s.loss),
                        explanation: "the loss is far above where a classifier starts.", remedies: ["lower the learning rate ×100 (--lr)"])]
    }

    func candidates(for verdict: Verdict, config: RunConfig, predicted: Bool) -> [RepairCandidate] {
        [RepairCandidate(name: "learning rate ÷100", rationale: "much smaller steps") { $0.lr /= 100 }]
    }
}

/// The rule engine with rules as types: a rule from outside the module takes part in the
/// diagnosis and the repair ladder like the built-in ones.
final class RuleTests: XCTestCase {
    func stream(_ losses: [Double]) -> [ProbeStep] {
        losses.enumerated().map { i, loss in ProbeStep(step: i, loss: loss, gradNorm: 1, learningRate: 0.1, layers: []) }
    }

    func testARuleDefinedOutsideTheModuleFiresAndSuggestsItsRepair() throws {
        let rules = Diagnosis.rules + [LossAboveTenRule()]
        let steps = stream([2, 3, 5, 8, 12, 20, 9])
        // The built-in rules see nothing here.
        XCTAssertEqual(Diagnosis.run(steps), [])
        let verdicts = Diagnosis.run(steps, rules: rules)
        XCTAssertEqual(verdicts.count, 1)
        let v = try XCTUnwrap(verdicts.first)
        XCTAssertEqual(v.kind, LossAboveTenRule.kind)
        XCTAssertEqual(v.kind.rawValue, "loss-above-ten")
        XCTAssertEqual(v.firstStep, 4)
        XCTAssertEqual(v.evidence, "loss 12 > 10")
        XCTAssertEqual(v.line, "loss-above-ten, step 4: loss 12 > 10")

        // Its candidate, from the rule and through the ladder, edits the learning rate.
        var config = RunConfig(); config.lr = 0.1
        XCTAssertEqual(LossAboveTenRule().candidates(for: v, config: config, predicted: false).map(\.name), ["learning rate ÷100"])
        let ladder = Repair.ladder(for: v, config: config, rules: rules)
        XCTAssertEqual(ladder.map(\.name), ["learning rate ÷100"])
        var edited = config
        try XCTUnwrap(ladder.first).edit(&edited)
        XCTAssertEqual(edited.lr, 0.001, accuracy: 1e-15)
        // The built-in rules know no remedy for a kind they do not own.
        XCTAssertEqual(Repair.ladder(for: v, config: config).map(\.name), [])
    }

    func testACustomKindIsOrderedAfterTheBuiltInOnesAndRankedByItsPriority() throws {
        let rules = Diagnosis.rules + [LossAboveTenRule()]
        // A loss of 1500 is a blow-up (rule 2) two steps after it first passed 10.
        let verdicts = Diagnosis.run(stream([2, 3, 5, 8, 12, 20, 1500]), rules: rules)
        XCTAssertEqual(verdicts.map(\.kind), [.lossBlowUp, LossAboveTenRule.kind])
        XCTAssertEqual(verdicts.map(\.firstStep), [6, 4])
        XCTAssertEqual(Verdict.merged(verdicts.reversed()).map(\.kind), [.lossBlowUp, LossAboveTenRule.kind])
        // The blow-up (priority 20) is more urgent than the custom rule (25), which beats exploding (30).
        XCTAssertEqual(Repair.primary(verdicts, rules: rules)?.kind, .lossBlowUp)
        let exploding = Verdict(.exploding, layers: [1], firstStep: 0, predicted: false, evidence: "", explanation: "", remedies: [])
        XCTAssertEqual(Repair.primary([exploding, verdicts[1]], rules: rules)?.kind, LossAboveTenRule.kind)
        // Once the run has gone non-finite only the non-finite and blow-up rules still look.
        let broken = Diagnosis.run(stream([2, .nan, 50]), rules: rules)
        XCTAssertEqual(broken.map(\.kind), [.nonFinite])
    }

    func testKindsKeepTheirStoredSpellingAndTheRepairOrder() throws {
        XCTAssertEqual(Verdict.Kind.allCases.map(\.rawValue),
                       ["non-finite", "loss-blow-up", "vanishing", "exploding", "update-ratio", "dead-relu", "saturation", "poor-init",
                        "unchanged", "loss-not-decreasing", "oscillating-loss", "slow-convergence", "not-learning"])
        XCTAssertEqual(Repair.priority, [.nonFinite, .lossBlowUp, .exploding, .deadReLU, .vanishing, .saturation,
                                         .poorInit, .unchanged, .oscillation, .updateRatio, .notLearning, .slowConvergence, .notDecreasing])
        // A kind is stored as its plain string, a custom one too.
        let v = Verdict(.oscillation, layers: [2, 3], firstStep: 7, predicted: false, evidence: "e", explanation: "x", remedies: ["r"])
        let enc = JSONEncoder(); enc.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try enc.encode(v), as: UTF8.self),
                       #"{"evidence":"e","explanation":"x","firstStep":7,"kind":"oscillating-loss","layers":[2,3],"predicted":false,"remedies":["r"]}"#)
        XCTAssertEqual(try JSONDecoder().decode(Verdict.self, from: try enc.encode(v)), v)
        var custom = v; custom.kind = LossAboveTenRule.kind
        let data = try enc.encode(custom)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains(#""kind":"loss-above-ten""#))
        XCTAssertEqual(try JSONDecoder().decode(Verdict.self, from: data).kind, LossAboveTenRule.kind)
    }
}
