import XCTest
import GradLab
@testable import GradLabStudy

final class QuizTests: XCTestCase {
    let deck = try! DeckParser.parse("""
    # Activations
    sigmoid' is at most :: 1/4
    distractors: 1 | 1/2 | 2
    tanh' at zero :: 1
    relu' for negative input :: 0
    relu' for positive input :: 1
    # Init
    He init variance :: 2/fan_in
    distractors: 1/fan_in | 2/(fan_in+fan_out)
    """, file: "q.md")

    func testDistractorsComeFromTheCardThenSiblingsNeverTheAnswerOrTwice() {
        var random = SeededRandom(seed: 1)
        let sigmoid = deck.cards[0]
        XCTAssertEqual(Set(Distractors.pick(for: sigmoid, in: deck, count: 3, random: &random)), ["1", "1/2", "2"])
        // tanh' = 1 has no distractors of its own: siblings fill in, but "1" (its own answer) and
        // a second "1" (relu' for positive input) never appear.
        for seed in 0..<50 as Range<UInt64> {
            var r = SeededRandom(seed: seed)
            let picked = Distractors.pick(for: deck.cards[1], in: deck, count: 3, random: &r)
            XCTAssertFalse(picked.contains("1"))
            XCTAssertEqual(Set(picked.map(AnswerMatch.key)).count, picked.count)
            XCTAssertTrue(Set(picked).isSubset(of: ["1/4", "0"]), "\(picked)")   // same section only
        }
    }

    func testQuizIsSeededAndEveryMultipleChoiceHasFourDistinctOptionsWithTheAnswer() throws {
        let a = try QuizMaker.make(deck: deck, count: 5, seed: 42)
        let b = try QuizMaker.make(deck: deck, count: 5, seed: 42)
        XCTAssertEqual(a.map(\.card.id), b.map(\.card.id))
        XCTAssertEqual(a.map(\.format), b.map(\.format))
        var formats = Set<QuizFormat>()
        for seed in 0..<40 as Range<UInt64> {
            for q in try QuizMaker.make(deck: deck, count: 5, seed: seed) {
                formats.insert(q.format)
                switch q.format {
                case .multipleChoice:
                    XCTAssertEqual(q.options.count, 4)
                    XCTAssertEqual(Set(q.options.map(AnswerMatch.key)).count, 4)
                    XCTAssertEqual(q.options[q.correct], q.card.back)
                    XCTAssertEqual(q.check("\(q.correct + 1)"), true)
                    XCTAssertEqual(q.check("\((q.correct + 1) % 4 + 1)"), false)
                    XCTAssertNil(q.check("9"))
                case .trueFalse:
                    let truth = q.proposed == q.card.back
                    XCTAssertEqual(q.check("t"), truth)
                    XCTAssertEqual(q.check("false"), !truth)
                    XCTAssertNil(q.check("maybe"))
                case .typed:
                    XCTAssertEqual(q.check(q.card.back.uppercased() + " "), true)
                }
            }
        }
        XCTAssertEqual(formats, Set(QuizFormat.allCases))
        XCTAssertThrowsError(try QuizMaker.make(deck: deck, count: 0, seed: 1))
    }

    func testTypedAnswersForgiveCaseSpacingAndPunctuation() {
        XCTAssertTrue(AnswerMatch.matches("  the Forget-Gate. ", answer: "the forget gate"))
        XCTAssertTrue(AnswerMatch.matches("Glorot", answer: "glorot"))
        XCTAssertTrue(AnswerMatch.matches("He init", answer: "He-init!"))
        XCTAssertTrue(AnswerMatch.matches("Glorot and Bengio", answer: "Glorot … Bengio"))
        XCTAssertFalse(AnswerMatch.matches("1/2", answer: "1/4"))
        XCTAssertFalse(AnswerMatch.matches("", answer: "x"))
    }

    func testClozeCardsAreAskedAsTyped() throws {
        let cloze = try DeckParser.parse("The sigmoid's slope is at most ==1/4==.", file: "c.md")
        let q = try QuizMaker.make(deck: cloze, count: 1, seed: 3)
        XCTAssertEqual(q.first?.format, .typed)
        XCTAssertEqual(q.first?.check("1/4"), true)
    }
}

final class NotesToDeckTests: XCTestCase {
    func testDefinitionsHeadingsAndBoldBecomeCards() throws {
        let notes = """
        # Gradients

        ## Vanishing gradient
        Gradients shrink geometrically as they flow back through many layers.

        Chain rule: the derivative of a composition is the product of the derivatives.
        **Exploding gradient** — the gradient grows as it flows back.

        Jacobian
        : the matrix of first derivatives

        The sigmoid's slope is at most **1/4**, so deep sigmoid nets shrink their gradient.

        Just some prose without anything to ask.

        ## Empty heading
        """
        let draft = try NotesToDeck.make(notes: notes, file: "notes.md")
        let fronts = draft.deck.cards.map(\.front)
        XCTAssertTrue(fronts.contains("What is Vanishing gradient?"), "\(fronts)")
        XCTAssertTrue(fronts.contains("Chain rule"))
        XCTAssertTrue(fronts.contains("Exploding gradient"))
        XCTAssertTrue(fronts.contains("Jacobian"))
        XCTAssertTrue(fronts.contains("The sigmoid's slope is at most [...], so deep sigmoid nets shrink their gradient."), "\(fronts)")
        XCTAssertEqual(draft.deck.cards.first { $0.front == "Chain rule" }?.back, "the derivative of a composition is the product of the derivatives.")
        XCTAssertEqual(draft.deck.cards.first { $0.front == "Jacobian" }?.section, ["Gradients", "Vanishing gradient"])
        XCTAssertEqual(draft.made.count, 5)
        XCTAssertTrue(draft.skipped.contains { $0.hasPrefix("line 14: no definition") }, "\(draft.skipped)")
        XCTAssertTrue(draft.skipped.contains { $0.contains("'Empty heading' has no paragraph") }, "\(draft.skipped)")
        // The draft is a normal deck file.
        XCTAssertEqual(try DeckParser.parse(draft.markdown, file: "out.md").cards.count, draft.deck.cards.count)
    }

    func testALongParagraphIsSkippedWithTheReason() throws {
        let long = String(repeating: "This sentence is long. ", count: 20)
        let draft = try NotesToDeck.make(notes: "# Topic\n" + long, file: "n.md")
        XCTAssertTrue(draft.deck.cards.isEmpty)
        XCTAssertTrue(draft.skipped.first?.contains("more than 300 for one answer") ?? false, "\(draft.skipped)")
    }
}
