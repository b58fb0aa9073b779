import XCTest
import GradLab
@testable import GradLabStudy

/// FSRS-6 against py-fsrs 6.3.2: every fixture history (scripts/fsrs_fixtures.py, fuzz off)
/// replayed review by review; state and step exactly, stability, difficulty and retrievability
/// to 1e-4 relative, due to the second.
final class FSRSOracleTests: XCTestCase {
    struct Config: Decodable {
        let parameters: [Double]
        let desired_retention: Double
        let learning_steps: [Double]
        let relearning_steps: [Double]
        let maximum_interval: Int

        func configuration(parameters override: [Double]? = nil) -> FSRSConfiguration {
            FSRSConfiguration(parameters: override ?? parameters, desiredRetention: desired_retention,
                              learningSteps: learning_steps, relearningSteps: relearning_steps,
                              maximumInterval: maximum_interval, fuzz: .off)
        }
    }

    /// [config index, start, reviews]; a review is [rating, gap, state, step, S, D, due, R before].
    struct History: Decodable {
        let config: Int
        let start: Double
        let reviews: [[Double?]]

        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            config = try c.decode(Int.self)
            start = try c.decode(Double.self)
            reviews = try c.decode([[Double?]].self)
        }
    }

    struct Fixture: Decodable {
        let configs: [Config]
        let histories: [History]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "fsrs-histories", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    struct Outcome {
        var reviews = 0
        var maxRelativeError = 0.0
        var maxDueError = 0.0
        var mismatches: [String] = []
    }

    static let tolerance = 1e-4

    static func relativeError(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(b), 1e-12)
    }

    /// Replays `histories` through schedulers built by `scheduler(configIndex)`.
    static func replay(_ histories: [History], scheduler: (Int) throws -> FSRS) rethrows -> Outcome {
        var out = Outcome()
        var schedulers: [Int: FSRS] = [:]
        for (h, history) in histories.enumerated() {
            if schedulers[history.config] == nil { schedulers[history.config] = try scheduler(history.config) }
            let fsrs = schedulers[history.config]!
            var now = Date(timeIntervalSince1970: history.start)
            var memory = Memory.fresh(at: now)
            for (i, r) in history.reviews.enumerated() {
                now = now.addingTimeInterval(r[1]!)
                let retrievability = fsrs.retrievability(memory, at: now) ?? 0
                memory = fsrs.review(memory, rating: Rating(rawValue: Int(r[0]!))!, at: now)
                out.reviews += 1
                let errors = [relativeError(memory.stability!, r[4]!), relativeError(memory.difficulty!, r[5]!),
                              relativeError(retrievability, r[7]!)]
                let dueError = abs(memory.due.timeIntervalSince1970 - r[6]!)
                out.maxRelativeError = max(out.maxRelativeError, errors.max()!)
                out.maxDueError = max(out.maxDueError, dueError)
                let stepMatches = memory.step.map(Double.init) == r[3]
                if memory.state.rawValue != Int(r[2]!) || !stepMatches || errors.max()! > tolerance || dueError >= 1 {
                    out.mismatches.append("history \(h) (config \(history.config)) review \(i + 1): got state \(memory.state) step \(String(describing: memory.step)) S \(memory.stability!) D \(memory.difficulty!) due \(memory.due.timeIntervalSince1970) R \(retrievability); py-fsrs \(r)")
                    break   // later reviews of this history only repeat the divergence
                }
            }
        }
        return out
    }

    func testEveryHistoryMatchesPyFSRS() throws {
        let fixture = Self.fixture
        XCTAssertGreaterThanOrEqual(fixture.histories.filter { $0.config == 0 }.count, 1000)
        XCTAssertGreaterThanOrEqual(fixture.configs.count, 8)
        let out = try Self.replay(fixture.histories) { try FSRS(configuration: fixture.configs[$0].configuration()) }
        print("FSRS oracle: \(fixture.histories.count) histories, \(out.reviews) reviews, max relative error \(out.maxRelativeError), max due error \(out.maxDueError) s")
        XCTAssertEqual(out.reviews, fixture.histories.reduce(0) { $0 + $1.reviews.count })
        XCTAssertTrue(out.mismatches.isEmpty, "\(out.mismatches.count) histories diverge; first: \(out.mismatches.prefix(3).joined(separator: "\n"))")
    }

    /// The fixtures reach every state and every configuration's special paths.
    func testFixturesCoverStatesAndSameDayReviews() {
        var states = Set<Int>(), sameDay = 0, early = 0
        for history in Self.fixture.histories {
            var due = history.start
            var now = history.start
            for r in history.reviews {
                let gap = r[1]!
                now += gap
                if gap < 86400 && now != history.start { sameDay += 1 }
                if now < due { early += 1 }
                due = r[6]!
                states.insert(Int(r[2]!))
            }
        }
        XCTAssertEqual(states, [1, 2, 3])
        XCTAssertGreaterThan(sameDay, 1000)
        XCTAssertGreaterThan(early, 1000)
    }

    /// The oracle is sensitive: moving any one default weight by 5% breaks the match somewhere.
    func testPerturbingAnyParameterBreaksTheMatch() throws {
        let fixture = Self.fixture
        let histories = fixture.histories.filter { $0.config == 0 }
        for k in 0..<FSRSParameters.count {
            var w = FSRSParameters.defaults
            w[k] = min(w[k] * 1.05, FSRSParameters.upperBounds[k])
            let out = try Self.replay(histories) { try FSRS(configuration: fixture.configs[$0].configuration(parameters: w)) }
            XCTAssertFalse(out.mismatches.isEmpty, "w\(k) × 1.05 still matches py-fsrs's defaults")
        }
    }

    /// A `.new` memory is py-fsrs's fresh Card: the same as learning at step 0 with no memory.
    func testNewMemoryIsAFreshLearningCard() throws {
        let fsrs = try FSRS(configuration: FSRSConfiguration(fuzz: .off))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for rating in Rating.allCases {
            let fromNew = fsrs.review(.fresh(at: now), rating: rating, at: now)
            let fromLearning = fsrs.review(Memory(state: .learning, step: 0, due: now), rating: rating, at: now)
            XCTAssertEqual(fromNew, fromLearning)
            XCTAssertEqual(fromNew.stability, FSRSParameters.defaults[rating.rawValue - 1])
        }
        XCTAssertNil(fsrs.retrievability(.fresh(at: now), at: now))
    }
}
