import XCTest
import GradLab
@testable import GradLabStudy

/// Predict, then run: the generator, the theory's call against real step-0 measurements, scoring
/// and races. Run in release: the 200 draws each build and probe a net.
final class PredictionTests: XCTestCase {
    func testSameSeedGivesSameQuestion() throws {
        for template in PredictionTemplate.allCases {
            for seed: UInt64 in [0, 1, 42, 9_999] {
                XCTAssertEqual(PredictionGenerator.question(template, seed: seed), PredictionGenerator.question(template, seed: seed))
                XCTAssertEqual(PredictionGenerator.question(template, seed: seed).text, PredictionGenerator.question(template, seed: seed).text)
            }
            let distinct = Set((0..<20).map { PredictionGenerator.question(template, seed: $0).settings })
            XCTAssertGreaterThan(distinct.count, 10, "\(template): seeds should give different settings")
        }
        XCTAssertEqual(PredictionGenerator.question(seed: 5), PredictionGenerator.question(seed: 5))
        let q = PredictionGenerator.question(.outcome, seed: 3)
        XCTAssertEqual(q.cardID, "predict.outcome")
    }

    /// (b) and (c): 200 seeded outcome draws span all three measured outcomes, each a fair share,
    /// and the theory's call agrees with the measured label on at least 90% of the draws it calls.
    func testTheoryAgreesWithMeasurementOver200Draws() throws {
        var measuredCounts: [GradientOutcome: Int] = [:], theoryCounts: [GradientOutcome: Int] = [:]
        var agree = 0, called = 0, noCall = 0, sameDecade = 0, seconds = 0.0
        var misses: [String] = []
        for seed in 0..<UInt64(200) {
            let q = PredictionGenerator.question(.outcome, seed: seed)
            let calls = try q.theoryCalls()
            let m = try StepZeroMeasurement.measure(q.settings[0])
            seconds += m.seconds
            measuredCounts[m.outcome, default: 0] += 1
            guard let predicted = calls[0].outcome else {
                noCall += 1
                if case .feedForward = q.settings[0] { XCTFail("seed \(seed): the theory must call every MLP draw") }
                continue
            }
            called += 1
            theoryCounts[predicted, default: 0] += 1
            if calls[0].decade == m.decade { sameDecade += 1 }
            if predicted == m.outcome { agree += 1 } else {
                misses.append("seed \(seed): \(q.settings[0].text): theory ρ = \(calls[0].ratio.text()) \(predicted), measured \(m.ratio) \(m.outcome)")
            }
        }
        print("predict.outcome over 200 draws: measured \(GradientOutcome.allCases.map { "\($0.rawValue) \(measuredCounts[$0, default: 0])" }.joined(separator: ", "));"
              + " theory \(GradientOutcome.allCases.map { "\($0.rawValue) \(theoryCounts[$0, default: 0])" }.joined(separator: ", ")), no call \(noCall);"
              + " agreement \(agree)/\(called) called draws (\(String(format: "%.1f", 100 * Double(agree) / Double(called)))%), \(agree)/200 of all draws;"
              + " same decade of ρ (the magnitude question) \(sameDecade)/\(called);"
              + String(format: " step-0 looks %.1f s in all", seconds))
        misses.forEach { print("  disagreement: " + $0) }
        for o in GradientOutcome.allCases {
            XCTAssertGreaterThanOrEqual(measuredCounts[o, default: 0], 30, "\(o) should be a fair share of 200 draws")
        }
        XCTAssertGreaterThanOrEqual(Double(agree), 0.9 * Double(called))
        XCTAssertGreaterThanOrEqual(Double(sameDecade), 0.9 * Double(called))
        // The theory declines only for gated cells (20% of the 20% recurrent share each).
        XCTAssertLessThan(noCall, 20)
    }

    /// (d) A learner who answers the measured label scores 1 (rated good); any other answer, or
    /// none, scores 0 (rated again). The theory is scored by the same rule.
    func testScoringAgainstTheMeasurement() throws {
        for template in [PredictionTemplate.outcome, .magnitude] {
            let q = PredictionGenerator.question(template, seed: 11)
            let calls = try q.theoryCalls(), m = try q.measure()
            let measured = m.answer(template)
            for answer in q.answers {
                let r = PredictionResult(question: q, learner: answer, calls: calls, measurement: m)
                XCTAssertEqual(r.measured, measured)
                XCTAssertEqual(r.learnerScore, answer == measured ? 1 : 0)
                XCTAssertEqual(r.rating, answer == measured ? .good : .again)
                if let t = r.theory { XCTAssertEqual(r.theoryScore, t == measured ? 1 : 0) } else { XCTAssertNil(r.theoryScore) }
                XCTAssertTrue(r.text.contains("Measured: \(measured.text)"))
                if answer == measured { print(q.text + "\n" + r.text) }
            }
            let none = PredictionResult(question: q, learner: nil, calls: calls, measurement: m)
            XCTAssertEqual(none.learnerScore, 0); XCTAssertEqual(none.rating, .again)
        }
    }

    func testRepliesAreRead() {
        let outcome = PredictionGenerator.question(.outcome, seed: 1)
        XCTAssertEqual(outcome.answer(from: " Vanishing "), .outcome(.vanishing))
        XCTAssertEqual(outcome.answer(from: "3"), .outcome(.exploding))
        XCTAssertNil(outcome.answer(from: "4"))
        let magnitude = PredictionGenerator.question(.magnitude, seed: 1)
        XCTAssertEqual(magnitude.answer(from: "-3"), .decade(-3))
        XCTAssertEqual(magnitude.answer(from: "10^−3"), .decade(-3))
        XCTAssertEqual(magnitude.answer(from: "1e2"), .decade(2))
        XCTAssertEqual(magnitude.answer(from: "-40"), .decade(-GradientRatio.decadeLimit))
        XCTAssertNil(magnitude.answer(from: "small"))
        let race = PredictionGenerator.question(.race, seed: 1)
        XCTAssertEqual(race.answer(from: "b"), .race(.second))
        XCTAssertEqual(race.answer(from: "1"), .race(.first))
    }

    func testLabelThresholds() {
        XCTAssertEqual(GradientRatio.outcome(0.099), .vanishing)
        XCTAssertEqual(GradientRatio.outcome(0.1), .healthy)
        XCTAssertEqual(GradientRatio.outcome(10), .healthy)
        XCTAssertEqual(GradientRatio.outcome(10.01), .exploding)
        XCTAssertEqual(GradientRatio.outcome(0), .vanishing)
        XCTAssertEqual(GradientRatio.outcome(.infinity), .exploding)
        XCTAssertEqual(GradientRatio.decade(3.2e-4), -3)
        XCTAssertEqual(GradientRatio.decade(1e-30), -GradientRatio.decadeLimit)
    }

    /// (e) The race's winner really reached the target first: an independent training of each
    /// setting (its own trainer, the loss on the same fixed batch recomputed) is at or below the
    /// target at the winner's step, and the other setting was above it at every earlier step.
    func testRaceWinnerReachedTheTargetFirst() throws {
        var decided = 0
        for seed in 0..<UInt64(6) {
            let q = PredictionGenerator.question(.race, seed: seed)
            guard case .race(let m) = try q.measure() else { return XCTFail("a race measures a race") }
            let rules = q.race!
            let result = PredictionResult(question: q, learner: .race(.first), calls: try q.theoryCalls(), measurement: .race(m))
            if seed == 0 { print(q.text + "\n" + result.text) }
            print("race seed \(seed): theory \(result.theory?.text ?? "no call"), measured \(result.measured.text)")
            print("race seed \(seed): A \(q.settings[0].text) reached at \(m.reached[0].map(String.init) ?? "never"), B \(q.settings[1].text) at \(m.reached[1].map(String.init) ?? "never"), \(m.winner), \(String(format: "%.2f s", m.seconds))")
            let winnerIndex: Int
            switch m.winner {
            case .first: winnerIndex = 0
            case .second: winnerIndex = 1
            case .tie, .neither: continue
            }
            decided += 1
            let step = m.reached[winnerIndex]!
            XCTAssertLessThanOrEqual(try fixedBatchLoss(q.settings[winnerIndex], rules: rules, steps: step), rules.target * (1 + 1e-5))
            let other = m.curves[1 - winnerIndex]
            XCTAssertTrue(other.prefix(step).allSatisfy { !($0 <= rules.target) }, "the other setting was at the target by step \(step)")
            if step > 1 {
                // Above the target, or not a number (a run that diverged never reaches it).
                let loss = try fixedBatchLoss(q.settings[1 - winnerIndex], rules: rules, steps: step - 1)
                XCTAssertFalse(loss <= rules.target, "the other setting had loss \(loss) after step \(step - 1)")
            }
        }
        XCTAssertGreaterThanOrEqual(decided, 3, "most races should have a winner")
    }

    /// The loss on the fixed probe batch (the first 256 training rows) after `steps` SGD steps.
    private func fixedBatchLoss(_ setting: PredictionSetting, rules: RaceRules, steps: Int) throws -> Double {
        let c = try setting.config(steps: steps, lr: rules.learningRate).resolved()
        let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        _ = try trainer.fit(train, steps: steps)
        let batch = train.subset(Array(0..<Swift.min(256, train.count)))
        return trainer.evaluate(batch).loss
    }
}
