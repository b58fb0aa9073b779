import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabKit

/// The demo's closing sentences are built from the table and the score they summarise.
final class DemoSentenceTests: XCTestCase {
    /// What a sentence claims, read back from its words.
    struct Claim {
        var gradient: String   // "shrinks", "grows" or "keeps"
        var learned: Bool?     // true: learned; false: learned nothing; nil: part of the task
        init(_ s: String) {
            gradient = s.contains("gradient shrinks") ? "shrinks" : s.contains("gradient grows") ? "grows" : "keeps"
            learned = s.contains("learned nothing") ? false : (s.contains("every layer learns") || s.contains("yet it learned:")) ? true : nil
        }
    }

    func expected(ratio: Double, accuracy: Double, chance: Double) -> (String, Bool?) {
        (ratio < 0.1 ? "shrinks" : ratio > 10 ? "grows" : "keeps", accuracy >= 0.55 ? true : accuracy <= chance + 0.05 ? false : nil)
    }

    func testTheSentenceFollowsTheNumbersItSummarises() {
        // The cases the old fixed threshold got wrong: a 400× shrink with chance accuracy, and an
        // underflowing factor.
        for (norms, acc) in [([1e-3, 0.05, 0.2, 0.4], 0.095), ([1, 1.1, 0.9, 1.2], 0.93), ([1e-80, 1e-40, 1], 0.1),
                             ([50, 10, 1], 0.12), ([1, 1, 1], 0.08), ([1e-3, 1], 0.91), ([0.5, 1], 0.3), ([0, 0, 1e-30, 1e-10, 1], 0.06)] {
            let s = DemoRun.sentence(name: "run", gradNorms: norms, accuracy: acc, chance: 0.1)
            let claim = Claim(s), want = expected(ratio: norms[0] / norms.last!, accuracy: acc, chance: 0.1)
            XCTAssertEqual(claim.gradient, want.0, s)
            XCTAssertEqual(claim.learned, want.1, s)
            XCTAssertNil(s.range(of: #"×0(\.0*)?( |$)|∞"#, options: .regularExpression), s)
        }
    }

    func testTheDemoAgreesWithItsTableAtSeveralDepths() throws {
        var c = RunConfig(); c.data = .digits
        let (_, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        let chance = TaskBaseline(of: train).accuracy ?? 0
        for depth in [4, 12, 40] {
            let r = try runGradlab(["demo", "--depth", "\(depth)", "--steps", "150"])
            XCTAssertEqual(r.status, 0, r.err)
            let lines = r.out.split(separator: "\n").map(String.init)
            // The table: one row per layer, the two runs' ‖∂L/∂W‖ as the last two numbers.
            let rows = lines.filter { $0.range(of: #"^\s*\d+\s"#, options: .regularExpression) != nil }
            let values = rows.map { row in
                row.split(separator: " ").compactMap { Double($0) }.suffix(2)
            }
            XCTAssertEqual(values.count, depth + 1, "a row per layer:\n\(r.out)")
            for (column, name) in ["bad", "good"].enumerated() {
                let first = Array(values.first!)[column], last = Array(values.last!)[column]
                let sentence = try XCTUnwrap(lines.first { $0.hasPrefix("\(name):") }, r.out)
                let found = try XCTUnwrap(sentence.range(of: #"test accuracy [0-9.]+%"#, options: .regularExpression), sentence)
                let acc = try XCTUnwrap(Double(sentence[found].dropFirst("test accuracy ".count).dropLast())) / 100
                let want = expected(ratio: first / last, accuracy: acc, chance: chance)
                XCTAssertEqual(Claim(sentence).gradient, want.0, "depth \(depth): \(sentence)")
                XCTAssertEqual(Claim(sentence).learned, want.1, "depth \(depth): \(sentence)")
                XCTAssertNil(sentence.range(of: #"×0(\.0*)?( |$)|∞"#, options: .regularExpression), sentence)
            }
        }
    }
}
