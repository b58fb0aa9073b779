import XCTest
import GradLab
@testable import GradLabStudy

/// Interval fuzz: py-fsrs's mapping from its uniform draw, its range, and seeded reproducibility.
final class FSRSFuzzTests: XCTestCase {
    struct Fixture: Decodable {
        /// [days, maximum interval, u, fuzzed days]
        let draws: [[Double]]
        /// [days, maximum interval, fewest, most] over a dense grid of u
        let ranges: [[Int]]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "fsrs-fuzz", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func testFuzzOfAGivenDrawMatchesPyFSRS() {
        XCTAssertGreaterThan(Self.fixture.draws.count, 1000)
        for d in Self.fixture.draws {
            XCTAssertEqual(IntervalFuzzRange.fuzzed(days: Int(d[0]), maximum: Int(d[1]), draw: d[2]), Int(d[3]), "\(d)")
        }
    }

    /// Over many seeded draws every fuzzed interval lies in py-fsrs's observed range and under the
    /// maximum, and short intervals reach every day of it.
    func testSeededDrawsStayInPyFSRSRange() {
        var rng = SeededRandom(seed: 11)
        for r in Self.fixture.ranges {
            let (days, maximum, fewest, most) = (r[0], r[1], r[2], r[3])
            var seen = Set<Int>()
            for _ in 0..<400 {
                let fuzzed = IntervalFuzzRange.fuzzed(days: days, maximum: maximum, draw: rng.uniform())
                XCTAssertTrue((fewest...most).contains(fuzzed), "\(days) days (max \(maximum)) fuzzed to \(fuzzed), outside \(fewest)...\(most)")
                XCTAssertLessThanOrEqual(fuzzed, maximum)
                seen.insert(fuzzed)
            }
            if most - fewest <= 6 { XCTAssertEqual(seen, Set(fewest...most), "\(days) days (max \(maximum))") }
        }
    }

    /// Random histories through FSRS with fuzz: the same seed gives the same schedule, another
    /// seed another one, and each review interval stays within the fuzz range of the unfuzzed one.
    func testSameSeedSameIntervalsWithinRange() throws {
        func schedule(seed: UInt64, maximum: Int) throws -> [Memory] {
            let fuzzed = try FSRS(configuration: FSRSConfiguration(maximumInterval: maximum, fuzz: .seeded(seed)))
            let plain = try FSRS(configuration: FSRSConfiguration(maximumInterval: maximum, fuzz: .off))
            var rng = SeededRandom(seed: 3)
            var memories: [Memory] = []
            for _ in 0..<200 {
                var now = Date(timeIntervalSince1970: 1_700_000_000 + rng.uniform(0, 1e7))
                var memory = Memory.fresh(at: now)
                for _ in 0..<20 {
                    now = max(now.addingTimeInterval(60), memory.due.addingTimeInterval(rng.uniform(-0.5, 2) * 86400))
                    let rating = Rating(rawValue: [1, 2, 3, 3, 3, 4, 4][rng.int(below: 7)])!
                    let reference = plain.review(memory, rating: rating, at: now)
                    memory = fuzzed.review(memory, rating: rating, at: now)
                    XCTAssertEqual(memory.stability, reference.stability)
                    XCTAssertEqual(memory.state, reference.state)
                    if memory.state == .review {
                        let days = Int(reference.interval!)
                        let fuzzedDays = try XCTUnwrap(memory.interval)
                        XCTAssertEqual(fuzzedDays, fuzzedDays.rounded(), "whole days")
                        XCTAssertEqual(memory.due.timeIntervalSince(now), fuzzedDays * 86400, accuracy: 1e-3)
                        XCTAssertLessThanOrEqual(Int(fuzzedDays), maximum)
                        if let (low, high) = IntervalFuzzRange.bounds(days: days, maximum: maximum) {
                            XCTAssertTrue((low...min(high + 1, maximum)).contains(Int(fuzzedDays)), "\(days) → \(fuzzedDays)")
                        } else {
                            XCTAssertEqual(Int(fuzzedDays), days)
                        }
                    }
                    memories.append(memory)
                }
            }
            return memories
        }
        for maximum in [36500, 30] {
            let a = try schedule(seed: 7, maximum: maximum)
            XCTAssertEqual(a, try schedule(seed: 7, maximum: maximum))
            let b = try schedule(seed: 8, maximum: maximum)
            XCTAssertGreaterThan(zip(a, b).filter { $0.due != $1.due }.count, a.count / 20)
        }
    }
}
