import XCTest
import Foundation
import GradLabStudy

/// Running experiments: claims are checked against what the engine measures (a false claim is ✗),
/// the same seed gives the same numbers, and the cache reuses a result per engine version.
final class ExperimentRunTests: XCTestCase {
    let vanishing = "deep = depth=12 width=32 activation=sigmoid init=normal sigma-w2=1; he = depth=12 width=32 activation=relu init=he-normal"

    func testAFalseClaimIsCrossedWithBothSides() throws {
        // The deck says the sigmoid net's first layer gets far less gradient than its last; the
        // reverse claim must come out false, with the measured numbers on both sides.
        let outcome = try CardExperiment.run(experiment: vanishing, claim: "grad_norm(deep, layer 1) > grad_norm(deep, layer 12) and chi1(he) > 0.9",
                                             version: "test", cacheDirectory: nil)
        XCTAssertEqual(outcome.checks.map(\.holds), [false, true])
        XCTAssertFalse(outcome.holds)
        let first = outcome.checks[0]
        XCTAssertEqual(first.left, outcome.runs[0].layers[0].gradNorm)
        XCTAssertEqual(first.right, outcome.runs[0].layers[11].gradNorm)
        XCTAssertTrue(first.line.hasPrefix("✗ grad_norm(deep, layer 1) > grad_norm(deep, layer 12)   ("), first.line)
        XCTAssertTrue(outcome.checks[1].line.hasPrefix("✓ chi1(he) > 0.9   (1 > 0.9)"), outcome.checks[1].line)
        XCTAssertTrue(outcome.text.contains("✗ grad_norm(deep, layer 1)"))
    }

    func testArithmeticOverMeasuredQuantities() throws {
        let o = try CardExperiment.run(experiment: vanishing, claim: "grad_norm(deep, layer 1) / grad_norm(deep, layer last) < 1 and layers(he) - 1 >= 12",
                                       version: "test", cacheDirectory: nil)
        let deep = o.runs[0]
        XCTAssertEqual(o.checks[0].left, deep.layers[0].gradNorm / deep.layers[12].gradNorm)
        XCTAssertEqual(o.checks[1].left, 12)
        XCTAssertTrue(o.holds)
    }

    func testSameSeedSameNumbersAndTheChartShowsEveryLayer() throws {
        let a = try CardExperiment.run(experiment: vanishing, claim: nil, version: "test", cacheDirectory: nil)
        let b = try CardExperiment.run(experiment: vanishing, claim: nil, version: "test", cacheDirectory: nil)
        XCTAssertEqual(a.runs.map(\.layers), b.runs.map(\.layers))
        XCTAssertEqual(a.runs.map(\.initialLoss), b.runs.map(\.initialLoss))
        let rows = a.chart.split(separator: "\n")
        XCTAssertEqual(rows.count, 1 + 13, "a title row and one row per linear layer")
        XCTAssertTrue(rows[0].contains("deep: ‖∂L/∂W‖ at step 0") && rows[0].contains("he: ‖∂L/∂W‖ at step 0"))
        // Log scale: the sigmoid net's first layer has the shortest bar of its column.
        let firstBar = rows[1].split(separator: " ", omittingEmptySubsequences: true)[1].count
        let lastBar = rows[13].split(separator: " ", omittingEmptySubsequences: true)[1].count
        XCTAssertLessThan(firstBar, lastBar)
    }

    func testTrainedQuantities() throws {
        let o = try CardExperiment.run(experiment: "depth=2 width=32 optimizer=adam lr=0.01 steps=40",
                                       claim: "final_loss < initial_loss and update_ratio(layer 1) > 0 and test_accuracy > 0.5",
                                       version: "test", cacheDirectory: nil)
        XCTAssertTrue(o.holds, o.text)
        XCTAssertEqual(o.runs[0].steps, 40)
        XCTAssertNotNil(o.runs[0].layers[0].updateRatio)
    }

    func testCacheIsReusedPerVersionAndTextAndWrittenAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let experiment = "depth=3 width=16"
        let first = try CardExperiment.run(experiment: experiment, claim: "layers > 3", version: "1.0", cacheDirectory: dir)
        XCTAssertFalse(first.cached)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 1, "one JSON file, no temporary left")
        // A different claim reuses the same measurement.
        let second = try CardExperiment.run(experiment: experiment, claim: "layers < 3", version: "1.0", cacheDirectory: dir)
        XCTAssertTrue(second.cached)
        XCTAssertEqual(second.runs, first.runs)
        XCTAssertFalse(second.holds)
        // Another engine version or another experiment text runs again.
        XCTAssertFalse(try CardExperiment.run(experiment: experiment, claim: nil, version: "1.1", cacheDirectory: dir).cached)
        XCTAssertFalse(try CardExperiment.run(experiment: experiment + " seed=1", claim: nil, version: "1.0", cacheDirectory: dir).cached)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(files.count, 3)
        XCTAssertTrue(files.allSatisfy { $0.hasSuffix(".json") && !$0.hasPrefix(".") })
        // A cached file whose stored text differs (a collision, a hand edit) is a miss, not a wrong answer.
        let cache = ExperimentCache(directory: dir, version: "1.0")
        let path = cache.path(experiment: experiment)
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"experiment\":\"depth=3 width=16\"", with: "\"experiment\":\"depth=4\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNil(cache.read(experiment: experiment))
    }
}
