import XCTest
import GradLab
@testable import GradLabStudy

/// SM-2's closed forms: intervals 1, 6, round(I · EF); EF' = EF + (0.1 − (5 − q)(0.08 + (5 − q) 0.02)) ≥ 1.3.
final class SM2Tests: XCTestCase {
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// Reviews each rating on the day the card falls due; returns the memories after each.
    func run(_ ratings: [Rating], from memory: Memory? = nil) -> [Memory] {
        var m = memory ?? .fresh(at: start)
        return ratings.map { rating in
            m = SM2().review(m, rating: rating, at: m.due)
            return m
        }
    }

    func testGoodFromNewGives1_6_15_38_95_238() {
        let memories = run(Array(repeating: .good, count: 6))
        XCTAssertEqual(memories.map(\.interval), [1, 6, 15, 38, 95, 238])   // 15·2.5 = 37.5 → 38, 95·2.5 = 237.5 → 238
        XCTAssertEqual(memories.map(\.step), [1, 2, 3, 4, 5, 6])
        for m in memories {
            XCTAssertEqual(m.ease!, 2.5, accuracy: 1e-12)
            XCTAssertEqual(m.state, .review)
            XCTAssertEqual(m.due.timeIntervalSince(m.lastReview!), m.interval! * 86400)
        }
        XCTAssertEqual(memories.last!.reps, 6)
    }

    func testEaseAfterEachQuality() {
        XCTAssertEqual(SM2.nextEase(2.5, quality: 5), 2.6, accuracy: 1e-12)
        XCTAssertEqual(SM2.nextEase(2.5, quality: 4), 2.5, accuracy: 1e-12)
        XCTAssertEqual(SM2.nextEase(2.5, quality: 3), 2.36, accuracy: 1e-12)
        XCTAssertEqual(SM2.nextEase(2.5, quality: 1), 1.96, accuracy: 1e-12)
        XCTAssertEqual(SM2.nextEase(1.35, quality: 3), 1.3, accuracy: 1e-12)
        XCTAssertEqual(Rating.allCases.map(SM2.quality), [1, 3, 4, 5])
    }

    func testEasyRunUsesTheEaseBeforeEachReview() {
        let memories = run([.easy, .easy, .easy, .easy])
        XCTAssertEqual(memories.map(\.ease!), [2.6, 2.7, 2.8, 2.9], accuracy: 1e-12)
        XCTAssertEqual(memories.map(\.interval), [1, 6, 16, 45])   // 6·2.7 = 16.2, 16·2.8 = 44.8
    }

    func testHardRunFloorsTheEaseAt1_3() {
        let memories = run(Array(repeating: .hard, count: 12))
        let expected = (1...12).map { max(1.3, 2.5 - 0.14 * Double($0)) }
        XCTAssertEqual(memories.map(\.ease!), expected, accuracy: 1e-9)
        XCTAssertEqual(memories.last!.ease, 1.3)
        XCTAssertEqual(memories.prefix(4).map(\.interval), [1, 6, 13, 27])   // 6·2.22 = 13.32, 13·2.08 = 27.04
    }

    func testLapseResetsRepetitionsAndInterval() {
        let passed = run([.good, .good, .good])
        XCTAssertEqual(passed.last!.interval, 15)
        let after = run([.again, .good, .good, .good], from: passed.last!)
        XCTAssertEqual(after[0].interval, 1)
        XCTAssertEqual(after[0].step, 0)
        XCTAssertEqual(after[0].state, .relearning)
        XCTAssertEqual(after[0].lapses, 1)
        XCTAssertEqual(after[0].ease!, 1.96, accuracy: 1e-12)
        XCTAssertEqual(after.map(\.interval), [1, 1, 6, 12])   // 6·1.96 = 11.76 → 12
        XCTAssertEqual(after.last!.reps, 7)
    }

    func testFailingANewCardKeepsItLearning() {
        let m = run([.again, .again])
        XCTAssertEqual(m.map(\.state), [.learning, .learning])
        XCTAssertEqual(m.last!.lapses, 0)
        XCTAssertNil(SM2().retrievability(m.last!, at: start))
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
