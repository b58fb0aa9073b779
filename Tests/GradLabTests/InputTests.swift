import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabExperiments

/// Bad input is refused by name, and a half-written file does not sink what was saved.
final class InputTests: XCTestCase {
    func testAWronglyTypedValueSaysWhatItGot() {
        XCTAssertThrowsError(try RunConfig().applying(["lr": .string("0.1")])) {
            XCTAssertTrue("\($0)".contains(#"key 'lr' must be a number, got the string "0.1""#), "\($0)")
        }
        XCTAssertThrowsError(try RunConfig().applying(["depth": .bool(true)])) {
            XCTAssertTrue("\($0)".contains("got true"), "\($0)")
        }
    }

    func testASplitWithAnEmptySideAndAbsurdLabelsAreRefused() throws {
        let one = tempPath("one-row.csv"), big = tempPath("big-label.csv")
        try "0.5,1.5,0\n".write(toFile: one, atomically: true, encoding: .utf8)
        try "0.5,1.5,0\n0.1,0.2,1\n0.3,0.4,100000\n".write(toFile: big, atomically: true, encoding: .utf8)
        var c = RunConfig(); c.data = .csv(one)
        XCTAssertThrowsError(try c.loadData() as (Dataset<Float>, Dataset<Float>)) { XCTAssertTrue("\($0)".contains("at least 2 rows"), "\($0)") }
        c.data = .csv(big)
        XCTAssertThrowsError(try c.loadData() as (Dataset<Float>, Dataset<Float>)) { XCTAssertTrue("\($0)".contains("largest label is 100000"), "\($0)") }
        // Two rows: one on each side.
        try "0.5,1.5,0\n0.1,0.2,1\n".write(toFile: one, atomically: true, encoding: .utf8)
        c.data = .csv(one)
        let (train, test): (Dataset<Float>, Dataset<Float>) = try c.loadData()
        XCTAssertEqual([train.count, test.count], [1, 1])
    }

    func testExperimentNamesCannotLeaveTheRunsDirectory() {
        for bad in ["..", ".", ".hidden", "../x"] {
            XCTAssertThrowsError(try Experiment.parse("name: \"\(bad)\"\nbase: {data: xor}\n", source: "e.yaml"), bad)
        }
        XCTAssertNoThrow(try Experiment.parse("name: sweep.v2\nbase: {data: xor}\n", source: "e.yaml"))
    }

    /// A run killed mid-write leaves a last line without its newline: the records before it read.
    func testATruncatedLastLineIsSkipped() throws {
        let dir = RunDirectory(tempPath("truncated-\(UUID().uuidString)"))
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let whole = (0..<3).map { #"{"epoch":0,"gradNorm":1,"learningRate":0.1,"loss":0.5,"step":\#($0)}"# + "\n" }.joined()
        try (whole + #"{"step":3,"lo"#).write(toFile: dir.file(.metrics), atomically: true, encoding: .utf8)
        XCTAssertEqual(try dir.readMetrics().map(\.step), [0, 1, 2])
        // A bad line in the middle is still an error, with its line.
        try (#"{"nope":1}"# + "\n" + whole).write(toFile: dir.file(.metrics), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try dir.readMetrics()) { XCTAssertTrue("\($0)".contains("metrics.jsonl:1:"), "\($0)") }
    }

    /// Resuming a checkpoint at or past --steps says so instead of silently doing nothing.
    func testResumingPastTheStepsIsRefused() throws {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        let ckpt = tempPath("past-\(UUID().uuidString).safetensors")
        let run = ["train", "--data", "xor", "--depth", "1", "--width", "4", "--no-progress"]
        XCTAssertEqual(try runGradlab(run + ["--steps", "5", "--checkpoint", ckpt]).status, 0)
        let r = try runGradlab(run + ["--steps", "5", "--resume", ckpt])
        XCTAssertEqual(r.status, 2, r.out + r.err)
        XCTAssertTrue(r.err.contains("already at step 5") && r.err.contains("raise --steps"), r.err)
        XCTAssertEqual(try runGradlab(run + ["--steps", "8", "--resume", ckpt]).status, 0)
    }
}
