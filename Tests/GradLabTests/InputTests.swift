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

    func configFile(_ text: String) throws -> String {
        let path = tempPath("config-\(UUID().uuidString).json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// JSON decoders keep one of two equal keys without a word; `null` silently meant "unset".
    func testConfigFilesRefuseRepeatedAndNullKeys() throws {
        let dup = try configFile(#"{"depth": 2, "width": 8, "depth": 3}"#)
        XCTAssertThrowsError(try RunConfig.load(dup)) { XCTAssertEqual("\($0)", "\(dup): key 'depth' is given twice; keep one") }
        let nested = try configFile(#"{"depth": 2, "data": "xor"}"#)
        XCTAssertEqual(try RunConfig.load(nested).depth, 2)
        let null = try configFile(#"{"clip-norm": null}"#)
        XCTAssertThrowsError(try RunConfig.load(null)) { XCTAssertTrue("\($0)".contains("key 'clip-norm' is null; leave the key out"), "\($0)") }
        XCTAssertEqual(JSONValue.duplicateKey(in: Data(#"{"a": [{"b": 1}, {"b": 2}], "c": {"a": 1}, "d\u0061": 1, "da": 2}"#.utf8)), "da")
        for yaml in ["name: x\nbase: {data: xor, depth: 2, depth: 3}\n", "name: x\nbase: {data: xor, clip-norm: null}\n"] {
            XCTAssertThrowsError(try Experiment.parse(yaml, source: "e.yaml")) {
                XCTAssertTrue("\($0)".contains("depth' given twice") || "\($0)".contains("'clip-norm' is null"), "\($0)")
                XCTAssertFalse("\($0)".contains("\n"), "one line: \($0)")
            }
        }
    }

    func testAFractionalIntegerNamesTheKey() throws {
        let path = try configFile(#"{"depth": 2.5}"#)
        XCTAssertThrowsError(try RunConfig.load(path)) { XCTAssertEqual("\($0)", "\(path): key 'depth' must be an integer, got 2.5") }
    }

    func testExperimentNamesAreSafeFolderNames() {
        for bad in ["a b", "a/b", "a:b", "a,b", "caf\u{e9}"] {
            XCTAssertThrowsError(try Experiment.parse("name: \"\(bad)\"\nbase: {data: xor}\n", source: "e.yaml"), bad) {
                XCTAssertTrue("\($0)".contains("name '\(bad)' must be letters, digits, '.', '_' or '-'"), "\($0)")
            }
        }
    }

    /// A diverged run's checkpoint used to load silently and train on NaN.
    func testANonFiniteCheckpointIsRefusedUnlessAsked() throws {
        var config = RunConfig(); config.data = .xor; config.depth = 1; config.width = 4
        let (trainer, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try config.build()
        let (name, p) = trainer.model.namedParameters[2]
        p.value.scalars[1] = .nan
        let path = tempPath("nan-\(UUID().uuidString).safetensors")
        try Checkpoint.save(to: path, parameters: trainer.model.namedParameters, optimizer: trainer.optimizer, metadata: ["seed": "\(config.seed)"])
        let (fresh, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try config.build()
        XCTAssertThrowsError(try fresh.resume(from: path)) {
            XCTAssertTrue("\($0)".contains("tensor '\(name)' holds 1 non-finite value") && "\($0)".contains("--allow-non-finite-checkpoint"), "\($0)")
        }
        XCTAssertNoThrow(try fresh.resume(from: path, allowNonFinite: true))
        XCTAssertTrue(fresh.model.namedParameters[2].parameter.value.scalars[1].isNaN)
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { return }
        let run = ["train", "--data", "xor", "--depth", "1", "--width", "4", "--steps", "3", "--no-progress", "--resume", path]
        let refused = try runGradlab(run)
        XCTAssertEqual(refused.status, 2, refused.out + refused.err)
        XCTAssertTrue(refused.err.contains("tensor '\(name)'"), refused.err)
        XCTAssertNotEqual(try runGradlab(run + ["--allow-non-finite-checkpoint"]).status, 2)
    }
}
