import XCTest
import Foundation
import GradLab

/// A small sweep run by the `gradlab` executable, checked from the outside: folder names that
/// `tensorboard --logdir_spec` can take, the HParams records as TensorBoard parses them, and
/// tags and typed config values in the run store.
final class SweepOutputTests: XCTestCase {
    var scripts: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts") }

    func python(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        p.standardOutput = out; p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testASweepIsTaggedTypedAndReadableByTensorBoard() throws {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        let root = tempPath("sweep-\(UUID().uuidString)"), file = root + ".yaml"
        try """
            name: tiny
            tags: [smoke, "xor baseline"]
            base: {data: xor, width: 4, steps: 4, eval-every: 2, standardize: true}
            sweep:
              grid: {depth: [1, 2], lr: [0.1]}
            seeds: [0, 1]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try runGradlab(["run", file, "--dir", root, "--no-progress"])
        XCTAssertEqual(run.status, 0, run.out + run.err)
        let expDir = (root as NSString).appendingPathComponent("tiny")
        let points = try FileManager.default.contentsOfDirectory(atPath: expDir).filter { $0.hasPrefix("00") }.sorted()
        XCTAssertEqual(points, ["0000-run_depth=1_lr=0.1_seed=0", "0001-run_depth=1_lr=0.1_seed=1", "0002-run_depth=2_lr=0.1_seed=0", "0003-run_depth=2_lr=0.1_seed=1"])

        // The store: experiment tags filter, and config values keep their JSON types.
        let tagged = try runGradlab(["runs", "--dir", root, "--tag", "xor baseline", "--json"])
        XCTAssertEqual(tagged.status, 0, tagged.err)
        let lines = tagged.out.split(separator: "\n")
        guard lines.count == 4 else { return XCTFail("4 tagged runs expected: \(tagged.out)") }
        let row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(row["tags"] as? [String], ["smoke", "xor baseline"])
        XCTAssertTrue(lines[0].contains(#""depth":"#) && !lines[0].contains(#""depth":""#), "depth as a number: \(lines[0])")
        XCTAssertTrue(lines[0].contains(#""standardize":true"#) && lines[0].contains(#""lr":0.1"#) && lines[0].contains(#""data":"xor""#), String(lines[0]))
        XCTAssertEqual(try runGradlab(["runs", "--dir", root, "--tag", "other"]).out, "no runs match\n")

        guard let probe = try? python(["-c", "import tensorboard.plugins.hparams.metadata"]), probe.status == 0 else {
            throw XCTSkip("python3 with the tensorboard package is not available (pip install tensorboard)")
        }
        // --logdir_spec name:path,name:path takes every folder whole.
        let spec = points.enumerated().map { "p\($0):\(expDir)/\($1)/tb" }.joined(separator: ",")
        let parse = try python(["-c", """
            import sys, os, json
            from tensorboard.backend.event_processing.data_ingester import _parse_event_files_spec
            got = _parse_event_files_spec(sys.argv[1])
            want = {os.path.realpath(p.split(":", 1)[1]): p.split(":", 1)[0] for p in sys.argv[1].split(",")}
            sys.exit(0 if got == want and all(os.path.isdir(p) for p in got) else "parsed " + json.dumps(got))
            """, spec])
        XCTAssertEqual(parse.status, 0, parse.output)
        // The HParams experiment at the root, each point's values and its test-set metric.
        let checker = scripts.appendingPathComponent("check_tensorboard.py").path
        let experiment = try python([checker, expDir, "--experiment-hparam", "depth", "--experiment-hparam", "seed",
                                     "--metric", "eval/loss", "--metric", "eval/accuracy"])
        XCTAssertEqual(experiment.status, 0, experiment.output)
        let point = try python([checker, "\(expDir)/\(points[3])/tb", "--hparam", "depth=2", "--hparam", "seed=1",
                                "--tag", "eval/loss", "--tag", "eval/accuracy", "--list"])
        XCTAssertEqual(point.status, 0, point.output)
        XCTAssertTrue(point.output.contains("'status': 1"), "session ended with success: \(point.output)")
        XCTAssertFalse(point.output.contains("'lr'"), "lr is not swept (one value): \(point.output)")
    }

    func testTrainTagsARecordedRun() throws {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        let root = tempPath("train-tag-\(UUID().uuidString)")
        let train = try runGradlab(["train", "--data", "xor", "--steps", "2", "--no-progress", "--record", root, "--tag", "first", "--tag", "mine"])
        XCTAssertEqual(train.status, 0, train.out + train.err)
        XCTAssertEqual(try runGradlab(["runs", "--dir", root, "--tag", "mine", "--json"]).out.split(separator: "\n").count, 1)
        let untagged = try runGradlab(["train", "--data", "xor", "--steps", "2", "--tag", "x"])
        XCTAssertEqual(untagged.status, 2)
        XCTAssertTrue(untagged.err.contains("add --record"), untagged.err)
    }

    /// A killed run leaves a torn last line; a broken run used to sink the whole report.
    func testOneBrokenRunNeverSinksTheReport() throws {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        let root = tempPath("report-\(UUID().uuidString)"), file = root + ".yaml"
        try "name: three\nbase: {data: xor, width: 4, steps: 3}\nseeds: [0, 1, 2]\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runGradlab(["run", file, "--dir", root, "--no-progress"]).status, 0)
        let exp = (root as NSString).appendingPathComponent("three")
        let runs = try FileManager.default.contentsOfDirectory(atPath: exp).filter { $0.hasPrefix("000") }.sorted().map { "\(exp)/\($0)" }
        XCTAssertEqual(runs.count, 3)
        let probe = runs[0] + "/probe.jsonl"
        let text = try String(contentsOfFile: probe, encoding: .utf8)
        let lines = text.split(separator: "\n").count
        try String(text.dropLast(7)).write(toFile: probe, atomically: true, encoding: .utf8)   // torn last record
        try "{\"not\": \"a record\"}\n".write(toFile: runs[1] + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let out = root + "/report.html"
        let r = try runGradlab(["report", exp, "--out", out])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("(2 runs)"), r.out)
        XCTAssertTrue(r.err.contains("warning: \(probe):\(lines): truncated last line skipped"), r.err)
        XCTAssertTrue(r.err.contains("warning: \(runs[1]) left out of the report: \(runs[1])/metrics.jsonl:1: not a valid record"), r.err)
    }
}
