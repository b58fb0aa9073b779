import XCTest
import Foundation
import GradLabStudy

/// Every experiment of the built-in deck runs and every claim holds, so the deck can never teach
/// what the engine contradicts. Run it in release (`swift test -c release --filter
/// GradLabStudyTests.BuiltinDeckClaimTests`): a debug build trains about 20 times slower.
final class BuiltinDeckClaimTests: XCTestCase {
    /// Every card of the built-in deck with an experiment, one per deck entry (a reversible pair
    /// or a cloze text gives several cards that share their extra lines).
    func experimentCards() throws -> [(line: Int, question: String, experiment: String, claim: String?)] {
        var seen: Set<Int> = []
        return try BuiltinDeck.gradients.load().cards.compactMap { card in
            guard let experiment = card.experiment, seen.insert(card.line).inserted else { return nil }
            return (card.line, card.front, experiment, card.claim)
        }
    }

    func testAtLeast25CardsCarryAnExperimentAndAClaim() throws {
        let deck = try BuiltinDeck.gradients.load()
        XCTAssertGreaterThanOrEqual(deck.cards.count, 60)
        let cards = try experimentCards()
        print("built-in deck: \(deck.cards.count) cards, \(Set(deck.cards.map(\.section)).count) sections, \(cards.count) experiments")
        XCTAssertGreaterThanOrEqual(cards.filter { $0.claim != nil }.count, 25)
        for card in cards { XCTAssertNotNil(card.claim, "line \(card.line): an experiment without a claim proves nothing") }
    }

    func testEveryExperimentChecksAtLoad() throws {
        for card in try experimentCards() {
            XCTAssertNoThrow(try CardExperiment.check(experiment: card.experiment, claim: card.claim), "line \(card.line): \(card.question)")
        }
    }

    func testEveryClaimHolds() throws {
        var total = 0.0, report: [String] = []
        for card in try experimentCards() {
            let t0 = Date()
            let outcome = try CardExperiment.run(experiment: card.experiment, claim: card.claim, version: "test", cacheDirectory: nil)
            let seconds = Date().timeIntervalSince(t0)
            total += seconds
            report.append(String(format: "%6.2f s  line %d  %@", seconds, card.line, card.experiment))
            XCTAssertTrue(outcome.holds, "line \(card.line): \(card.question)\n\(outcome.text)")
            XCTAssertFalse(outcome.checks.isEmpty)
            // A claim over a number the run did not measure would be NaN and could never hold.
            for check in outcome.checks { XCTAssertFalse(check.left.isNaN || check.right.isNaN, "line \(card.line): \(check.line)") }
        }
        print((report + [String(format: "%6.2f s  all experiments", total)]).joined(separator: "\n"))
    }
}
