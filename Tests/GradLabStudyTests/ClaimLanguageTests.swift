import XCTest
import GradLabStudy

/// The claim language: every syntax form, precedence and associativity, and every parse error
/// with its column.
final class ClaimLanguageTests: XCTestCase {
    /// The value of a claim's single comparison's sides, for claims over numbers only.
    func sides(_ text: String) throws -> (Double, Double, Bool) {
        let claim = try Claim.parse(text)
        XCTAssertEqual(claim.comparisons.count, 1)
        let c = claim.comparisons[0], spec = try ExperimentSpec.parse("depth=1")
        let l = try CardExperiment.evaluate(c.left, spec: spec, runs: []), r = try CardExperiment.evaluate(c.right, spec: spec, runs: [])
        return (l, r, c.op.holds(l, r))
    }

    func assertError(_ text: String, column: Int, _ problem: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Claim.parse(text), file: file, line: line) { error in
            guard let e = error as? DeckError else { return XCTFail("not a DeckError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.file, "", file: file, line: line)
            XCTAssertEqual(e.line, 0, file: file, line: line)
            XCTAssertEqual(e.column, column, "\(e)", file: file, line: line)
            XCTAssertTrue(e.problem.contains(problem), "\(e.problem) lacks \(problem)", file: file, line: line)
            XCTAssertFalse(e.fix.isEmpty, file: file, line: line)
        }
    }

    func testNumberLiterals() throws {
        XCTAssertEqual(try sides("1e-3 < 0.5").0, 1e-3)
        XCTAssertEqual(try sides("2.5E+2 < 1").0, 250)
        XCTAssertEqual(try sides(".25 < 1").0, 0.25)
        XCTAssertEqual(try sides("3 < 1e3").1, 1000)
    }

    func testPrecedenceAndAssociativity() throws {
        XCTAssertEqual(try sides("1 + 2 × 3 < 0").0, 7)
        XCTAssertEqual(try sides("(1 + 2) * 3 < 0").0, 9)
        XCTAssertEqual(try sides("8 / 4 / 2 < 0").0, 1)
        XCTAssertEqual(try sides("10 − 4 - 3 < 0").0, 3)
        XCTAssertEqual(try sides("-2 × -3 < 0").0, 6)
        XCTAssertEqual(try sides("- (1 + 1) ÷ 4 < 0").0, -0.5)
        XCTAssertEqual(try sides("2 · 3 + 12 ÷ 4 − 1 < 0").0, 8)
    }

    func testComparisonOperators() throws {
        XCTAssertTrue(try sides("1 < 2").2)
        XCTAssertFalse(try sides("2 < 2").2)
        XCTAssertTrue(try sides("2 <= 2").2)
        XCTAssertTrue(try sides("2 ≤ 2").2)
        XCTAssertTrue(try sides("3 > 2").2)
        XCTAssertFalse(try sides("2 > 2").2)
        XCTAssertTrue(try sides("2 >= 2").2)
        XCTAssertTrue(try sides("2 ≥ 2").2)
    }

    func testAndJoinsComparisonsAndKeepsTheirText() throws {
        let claim = try Claim.parse("  grad_norm(bad, layer 1) < 1e-3 and test_accuracy(good)>0.9 and x(layer last) >= 0")
        XCTAssertEqual(claim.comparisons.map(\.text), ["grad_norm(bad, layer 1) < 1e-3", "test_accuracy(good)>0.9", "x(layer last) >= 0"])
        XCTAssertEqual(claim.comparisons[0].left, .quantity(name: "grad_norm", arguments: [.name("bad"), .layer(1)], column: 3, argumentColumns: [13, 18]))
        XCTAssertEqual(claim.comparisons[2].left, .quantity(name: "x", arguments: [.lastLayer], column: 66, argumentColumns: [68]))
        XCTAssertEqual(claim.comparisons[1].op, .greater)
    }

    func testBareQuantityHasNoArguments() throws {
        let claim = try Claim.parse("final_loss < initial_loss × 0.5")
        XCTAssertEqual(claim.comparisons[0].left, .quantity(name: "final_loss", arguments: [], column: 1, argumentColumns: []))
        XCTAssertEqual(claim.comparisons[0].right, .binary(.quantity(name: "initial_loss", arguments: [], column: 14, argumentColumns: []), .multiply, .number(0.5)))
    }

    func testParseErrorsNameTheColumn() {
        assertError("", column: 1, "the claim is empty")
        assertError("   ", column: 1, "the claim is empty")
        assertError("x = 1", column: 3, "'=' is not a comparison")
        assertError("x == 1", column: 3, "'==' is not a comparison")
        assertError("grad_norm(layer 1) < ", column: 22, "expected a number, a quantity or '(' but found the end of the claim")
        assertError("grad_norm(layer 1)", column: 19, "expected a comparison (< <= > >=) but found the end of the claim")
        assertError("1 < 2 < 3", column: 7, "comparisons cannot be chained")
        assertError("(1 + 2 < 3", column: 8, "expected ')' to close the '(' at column 1 but found '<'")
        assertError("1e < 2", column: 1, "number '1e' has no exponent digits")
        assertError("2x < 3", column: 2, "a name cannot follow the number 2 directly")
        assertError("1 < 2 3", column: 7, "found the number 3 after a complete comparison")
        assertError("1 < 2)", column: 6, "found ')' after a complete comparison")
        assertError("grad_norm(layer x) < 1", column: 17, "'layer' needs a layer number (1 = the input layer) or 'last' but found 'x'")
        assertError("grad_norm(layer 0) < 1", column: 17, "'layer' needs a layer number")
        assertError("grad_norm(layer 1.5) < 1", column: 17, "'layer' needs a layer number")
        assertError("grad_norm(bad layer 1) < 1", column: 15, "expected ',' or ')' in the arguments of grad_norm but found 'layer'")
        assertError("grad_norm(1) < 1", column: 11, "expected an argument (a run name or 'layer N') but found the number 1")
        assertError("1 $ 2", column: 3, "unexpected character '$'")
        assertError("< 1", column: 1, "expected a number, a quantity or '(' but found '<'")
    }
}
