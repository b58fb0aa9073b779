import XCTest
import GradLab
@testable import GradLabStudy

/// Bad scheduler settings are one-line `GradLabError.invalid` messages naming the problem and the fix.
final class SchedulerConfigurationTests: XCTestCase {
    func assertInvalid(_ configuration: FSRSConfiguration, mentions words: [String], line: UInt = #line) {
        XCTAssertThrowsError(try FSRS(configuration: configuration), line: line) { error in
            guard case GradLabError.invalid(let message) = error else { return XCTFail("\(error)", line: line) }
            XCTAssertFalse(message.contains("\n"), message, line: line)
            for word in words { XCTAssertTrue(message.contains(word), "'\(message)' lacks '\(word)'", line: line) }
        }
    }

    func testDefaultsAreValidAndMatchPyFSRS() throws {
        let fsrs = try FSRS()
        XCTAssertEqual(fsrs.configuration.parameters.count, 21)
        XCTAssertEqual(fsrs.configuration.desiredRetention, 0.9)
        XCTAssertEqual(fsrs.configuration.learningSteps, [60, 600])
        XCTAssertEqual(fsrs.configuration.relearningSteps, [600])
        XCTAssertEqual(fsrs.configuration.maximumInterval, 36500)
        XCTAssertTrue(zip(FSRSParameters.lowerBounds, FSRSParameters.upperBounds).allSatisfy { $0 <= $1 })
        XCTAssertTrue(FSRSParameters.defaults.indices.allSatisfy {
            (FSRSParameters.lowerBounds[$0]...FSRSParameters.upperBounds[$0]).contains(FSRSParameters.defaults[$0]) })
    }

    func testBadSettingsAreRejected() {
        assertInvalid(FSRSConfiguration(parameters: Array(FSRSParameters.defaults.prefix(19))), mentions: ["21 parameters", "got 19"])
        var w = FSRSParameters.defaults
        w[20] = 0.95
        assertInvalid(FSRSConfiguration(parameters: w), mentions: ["w20 = 0.95", "[0.1, 0.8]", "default 0.1542"])
        w[20] = .nan
        assertInvalid(FSRSConfiguration(parameters: w), mentions: ["w20"])
        for retention in [0.0, 1.0, 1.2, -0.5, .nan] {
            assertInvalid(FSRSConfiguration(desiredRetention: retention), mentions: ["desired retention", "between 0 and 1", "0.9"])
        }
        assertInvalid(FSRSConfiguration(learningSteps: [60, -600]), mentions: ["learning step 2", "-600", "positive"])
        assertInvalid(FSRSConfiguration(relearningSteps: [0]), mentions: ["relearning step 1", "positive"])
        assertInvalid(FSRSConfiguration(maximumInterval: 0), mentions: ["maximum interval 0", "at least 1 day"])
    }

    func testEmptyStepsAreAllowed() throws {
        let fsrs = try FSRS(configuration: FSRSConfiguration(learningSteps: [], relearningSteps: [], fuzz: .off))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let m = fsrs.review(.fresh(at: now), rating: .again, at: now)
        XCTAssertEqual(m.state, .review)
        XCTAssertEqual(m.interval, 1)
    }

    func testFactoryAndParsing() throws {
        XCTAssertEqual(try SchedulerKind.parse("fsrs"), .fsrs)
        XCTAssertEqual(try SchedulerKind.parse("SM2"), .sm2)
        XCTAssertThrowsError(try SchedulerKind.parse("anki")) { error in
            XCTAssertEqual(error as? GradLabError, .invalid("unknown scheduler 'anki' — use fsrs or sm2"))
        }
        for kind in SchedulerKind.allCases { XCTAssertEqual(try kind.make().name, kind) }
        XCTAssertTrue(try SchedulerKind.fsrs.make() is FSRS)
        XCTAssertTrue(try SchedulerKind.sm2.make() is SM2)
        XCTAssertThrowsError(try SchedulerKind.fsrs.make(fsrs: FSRSConfiguration(desiredRetention: 2)))
    }
}
