import XCTest
@testable import GradLabStudy

final class DeckParserTests: XCTestCase {
    func parse(_ text: String) throws -> Deck { try DeckParser.parse(text, file: "deck.md") }

    /// The one-line error for a deck, or a failure if it parses.
    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> DeckError? {
        do {
            _ = try parse(text)
            XCTFail("expected an error: \(text.debugDescription)", file: file, line: line)
            return nil
        } catch let e as DeckError { return e } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    func testOneLineCardsAndReversiblePairs() throws {
        let deck = try parse("What multiplies per layer? :: W_k^T diag(phi'(z_k))\n- sigmoid' at most ::: 1/4\n")
        XCTAssertEqual(deck.cards.map(\.kind), [.basic, .basic, .reversed])
        XCTAssertEqual(deck.cards[0].front, "What multiplies per layer?")
        XCTAssertEqual(deck.cards[0].back, "W_k^T diag(phi'(z_k))")
        XCTAssertEqual(deck.cards[1].front, "sigmoid' at most")
        XCTAssertEqual(deck.cards[2].front, "1/4")
        XCTAssertEqual(deck.cards[2].back, "sigmoid' at most")
        XCTAssertEqual(deck.cards[2].id, deck.cards[1].id + ".r")
        XCTAssertEqual(deck.cards[2].noteID, deck.cards[1].id)
        XCTAssertEqual(deck.cards[0].line, 1)
        XCTAssertEqual(deck.cards[1].line, 2)
    }

    func testMultiLineCardsWithExtraLines() throws {
        let deck = try parse("""
        Why do early layers
        suffer most?
        ?
        Their gradient multiplies
        more per-layer factors.
        explain: one factor per layer above them
        distractors: they have fewer units | they see less data

        Pair question
        ??
        Pair answer
        """)
        XCTAssertEqual(deck.cards.count, 3)
        XCTAssertEqual(deck.cards[0].front, "Why do early layers\nsuffer most?")
        XCTAssertEqual(deck.cards[0].back, "Their gradient multiplies\nmore per-layer factors.")
        XCTAssertEqual(deck.cards[0].explain, "one factor per layer above them")
        XCTAssertEqual(deck.cards[0].distractors, ["they have fewer units", "they see less data"])
        XCTAssertEqual(deck.cards[2].kind, .reversed)
        XCTAssertEqual(deck.cards[2].front, "Pair answer")
        XCTAssertEqual(deck.cards[2].line, 9)
    }

    func testClozesGiveOneCardPerNumber() throws {
        let deck = try parse("""
        The derivative of the sigmoid is at most ==1/4==, at ==z = 0==.

        {{c1::Glorot::author}} init keeps variance for {{c2::tanh}}; {{c1::Bengio}} co-wrote it.
        """)
        XCTAssertEqual(deck.cards.count, 4)
        XCTAssertEqual(deck.cards[0].front, "The derivative of the sigmoid is at most [...], at z = 0.")
        XCTAssertEqual(deck.cards[0].back, "1/4")
        XCTAssertEqual(deck.cards[1].front, "The derivative of the sigmoid is at most 1/4, at [...].")
        XCTAssertEqual(deck.cards[0].clozeText, "The derivative of the sigmoid is at most {{c1::1/4}}, at {{c2::z = 0}}.")
        XCTAssertEqual(deck.cards[2].front, "[author] init keeps variance for tanh; [...] co-wrote it.")
        XCTAssertEqual(deck.cards[2].back, "Glorot … Bengio")
        XCTAssertEqual(deck.cards[3].back, "tanh")
        XCTAssertEqual(deck.cards[3].clozeOrdinal, 2)
        XCTAssertEqual(Set(deck.cards.map(\.id)).count, 4)
    }

    func testMultiLineClozeParagraph() throws {
        let deck = try parse("A plain first line\nthen ==hidden== here\nexplain: why")
        XCTAssertEqual(deck.cards.count, 1)
        XCTAssertEqual(deck.cards[0].front, "A plain first line\nthen [...] here")
        XCTAssertEqual(deck.cards[0].explain, "why")
    }

    func testHeadingsFrontMatterAndTags() throws {
        let deck = try parse("""
        ---
        title: My notes
        description: a test
        tags: [Gradients, "#depth"]
        id: my-notes
        ---
        # Chain rule #core
        q1 :: a1
        ## Factors
        q2 :: a2
        # Init
        q3 :: a3
        """)
        XCTAssertEqual(deck.title, "My notes")
        XCTAssertEqual(deck.id, "my-notes")
        XCTAssertEqual(deck.description, "a test")
        XCTAssertEqual(deck.tags, ["gradients", "depth"])
        XCTAssertEqual(deck.cards[0].section, ["Chain rule"])
        XCTAssertEqual(deck.cards[1].section, ["Chain rule", "Factors"])
        XCTAssertEqual(deck.cards[1].tags, ["gradients", "depth", "chain-rule", "core", "factors"])
        XCTAssertEqual(deck.cards[2].section, ["Init"])
        XCTAssertEqual(deck.cards[0].line, 8)
    }

    func testNotesCodeAndCommentsAreIgnored() throws {
        let deck = try parse("""
        Some prose about gradients.
        More prose.

        ```
        not :: a card
        ```
        <!-- hidden :: card -->
        real :: card
        """)
        XCTAssertEqual(deck.cards.map(\.front), ["real"])
    }

    func testIDsAreStableAcrossAnswerEditsAndAnchors() throws {
        let a = try parse("What shrinks? :: the product\nexplain: x")
        let b = try parse("What  shrinks? :: the product of factors\nexplain: y")
        XCTAssertEqual(a.cards[0].id, b.cards[0].id)
        let c = try parse("What vanishes? :: the gradient ^chain-1")
        let d = try parse("Which quantity vanishes? :: the gradient ^chain-1")
        XCTAssertEqual(c.cards[0].id, "chain-1")
        XCTAssertEqual(d.cards[0].id, "chain-1")
        XCTAssertEqual(d.cards[0].back, "the gradient")
        XCTAssertEqual(try parse("What is 2 ^10 :: 1024").cards[0].id, CardID.derived(from: "What is 2 ^10"))
        let e = try parse("A ==cloze== line ^cz")
        XCTAssertEqual(e.cards[0].id, "cz.c1")
        XCTAssertEqual(e.cards[0].front, "A [...] line")
    }

    func testErrorsPointAtLineAndColumn() throws {
        let cases: [(String, Int, Int, String)] = [
            ("q ::", 1, 5, "no answer after '::'"),
            ("ok :: fine\n :: answer", 2, 2, "no question before '::'"),
            ("?\nanswer", 1, 1, "no question above '?'"),
            ("question\n?", 2, 1, "no answer below '?'"),
            ("text with ==open", 1, 11, "unclosed highlight '=='"),
            ("line\nsee {{c1::x", 2, 5, "unclosed cloze '{{c…'"),
            ("a {{cx::y}}", 1, 3, "bad cloze '{{cx::y}}'"),
            ("==a== and {{c1::b}}", 1, 1, "card mixes ==hidden== and {{cN::hidden}} deletions"),
            ("explain: orphan", 1, 1, "'explain:' has no card above it"),
            ("q :: a\nexplain:", 2, 9, "'explain:' has no value"),
            ("q :: a\nexplain: one\nexplain: two", 3, 1, "second 'explain:' line for one card (the first is at line 2)"),
            ("q :: a\ndistractors: b | a", 2, 14, "distractor 'a' is the answer itself"),
            ("q :: a\ndistractors: b || c", 2, 14, "an empty option in 'distractors:'"),
            ("q :: a\ndistractors: b | B", 2, 14, "distractor 'B' is listed twice"),
            ("q :: a\nclaim: x > 1", 2, 1, "'claim:' without an 'experiment:' line"),
            ("q :: a\n\nq :: b", 3, 1, "this card has the same id '\(CardID.derived(from: "q"))' as the card at line 1"),
            ("q :: a ^one\nq2 :: b ^one", 2, 1, "this card has the same id 'one' as the card at line 1"),
            ("---\ntitle: x\n", 1, 1, "front matter is not closed"),
            ("---\ncolour: red\n---\nq :: a", 2, 1, "unknown front-matter key 'colour'"),
            ("---\ntitle: [a\n---\nq :: a", 3, 1, "front matter is not valid YAML"),
            ("just notes\n", 1, 1, "the deck has no cards"),
        ]
        for (text, line, column, problem) in cases {
            guard let e = error(text) else { continue }
            XCTAssertEqual(e.problem, problem, text)
            XCTAssertEqual(e.line, line, text)
            XCTAssertEqual(e.column, column, text)
            XCTAssertFalse(e.fix.isEmpty)
            XCTAssertTrue(e.description.hasPrefix("deck.md:\(line):\(column): \(problem) — "), e.description)
        }
    }

    func testWriterRoundTrips() throws {
        let source = """
        ---
        title: "Round: trip"
        tags: [a]
        ---
        # One
        q1 :: a1
        explain: because
        distractors: x | y
        q2 ::: a2
        ## Two
        multi
        line
        ?
        ans
        {{c1::hid::hint}} and {{c2::den}}
        """
        let deck = try parse(source)
        let again = try DeckParser.parse(DeckWriter.markdown(deck), file: "deck.md")
        XCTAssertEqual(again.title, deck.title)
        XCTAssertEqual(again.cards.map(\.id), deck.cards.map(\.id))
        for (x, y) in zip(again.cards, deck.cards) {
            XCTAssertEqual([x.front, x.back], [y.front, y.back])
            XCTAssertEqual(x.section, y.section)
            XCTAssertEqual(x.explain, y.explain)
            XCTAssertEqual(x.distractors, y.distractors)
            XCTAssertEqual(x.kind, y.kind)
        }
    }
}
