import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The `gradlab` executable: bad input is one line on stderr and exit code 2.
final class CLITests: XCTestCase {
    var binary: URL { gradlabBinary }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) { try runGradlab(args) }

    func assertBadInput(_ args: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(args)
        XCTAssertEqual(r.status, 2, "\(args): \(r.err)", file: file, line: line)
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line expected: \(r.err)", file: file, line: line)
        XCTAssertTrue(r.err.contains(mentions), "\(r.err) should mention \(mentions)", file: file, line: line)
        XCTAssertFalse(r.err.contains("Fatal error"), file: file, line: line)
    }

    func testBadFlagsAndValues() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        try assertBadInput(["train", "--activation", "swish"], mentions: "allowed: identity")
        try assertBadInput(["train", "--depth=-3"], mentions: "depth -3")
        try assertBadInput(["train", "--depth", "abc"], mentions: "abc")
        try assertBadInput(["train", "--frobnicate"], mentions: "frobnicate")
        try assertBadInput(["train", "--init", "xavier-gaussian"], mentions: "allowed:")
        try assertBadInput(["train", "--config", "/nonexistent/run.json"], mentions: "run.json")
        try assertBadInput(["train", "--data", "csv:/nonexistent.csv", "--steps", "1"], mentions: "nonexistent.csv")
        try assertBadInput(["bench", "--workload", "W9"], mentions: "allowed: W1")
        try assertBadInput(["bench", "--workload", "W5", "--sizes", "128x"], mentions: "MxNxK")
        try assertBadInput(["bench", "--workload", "W5", "--sizes", "4x4x4:XY"], mentions: ":NT")
        try assertBadInput(["demo", "--depth", "1"], mentions: "depth 1")
        try assertBadInput(["train", "--model", "lstm", "--data", "digits"], mentions: "sequence task")
        try assertBadInput(["train", "--model", "transformer"], mentions: "allowed: mlp")
        try assertBadInput(["train", "--model", "gru", "--data", "adding", "--seq-len", "5"], mentions: "seq-len 5")
        try assertBadInput(["train", "--model", "rnn-relu", "--data", "adding", "--recurrent-init", "eye"], mentions: "allowed: torch-default")
        try assertBadInput(["train", "--model", "lstm", "--data", "copy", "--tbptt", "0"], mentions: "tbptt 0")
        // The work queue and its store.
        let pg = "postgres://u@127.0.0.1:9/db"
        try assertBadInput(["worker", "--store", "runs"], mentions: "needs a PostgreSQL store")
        try assertBadInput(["worker", "--store", pg, "--jobs", "0"], mentions: "--jobs 0")
        try assertBadInput(["worker", "--store", pg, "--lease", "1"], mentions: "--lease 1.0")
        try assertBadInput(["worker", "--store", pg, "--max-attempts", "0"], mentions: "--max-attempts 0")
        try assertBadInput(["worker", "--store", pg, "--checkpoint-every=-5"], mentions: "--checkpoint-every -5")
        try assertBadInput(["sweep", "status", "--store", "runs"], mentions: "gradlab sweep status needs a PostgreSQL store, not 'runs'")
        try assertBadInput(["sweep", "retry", "--store", "mysql://u@h/db"], mentions: "needs a PostgreSQL store")
        try assertBadInput(["sweep", "retry", "--store", "postgres://u@h"], mentions: "names no database")
        try assertBadInput(["sweep", "bench", "--store", pg, "--workers", "0"], mentions: "--workers 0")
        try assertBadInput(["runs", "--store", "postgres://h/db"], mentions: "has no user name")
        try assertBadInput(["runs", "--store", "x", "--dir", "y"], mentions: "--dir or --store, not both")
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/experiments/sigmoid-vs-relu.yaml").path
        try assertBadInput(["run", example, "--enqueue", "--store", "runs"], mentions: "work queue lives in a PostgreSQL store")
    }

    /// A recurrent run from the command line, watched: the through-time picture is drawn and
    /// the probe's JSON Lines carry one "time" record per probed step, after the look before
    /// training that every diagnostic session records first.
    func testRecurrentTrainingWithWatch() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let jsonl = NSTemporaryDirectory() + "cli-rnn-\(ProcessInfo.processInfo.processIdentifier).jsonl"
        let r = try run(["train", "--model", "rnn-tanh", "--data", "adding", "--seq-len", "40", "--samples", "128", "--depth", "1",
                         "--width", "16", "--recurrent-init", "gaussian", "--recurrent-scale", "0.05", "--steps", "12", "--batch", "16",
                         "--watch", "--probe-jsonl", jsonl, "--diagnose"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("through time"), r.out)
        XCTAssertTrue(r.out.contains("baseline: 0.1667"))
        XCTAssertTrue(r.out.contains("the gradient at step 1 is"), r.out)
        let lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("{\"type\":\"time\"") }.count, 1 + 12)
    }

    func testVersionHelpAndATinyRun() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let v = try run(["--version"])
        XCTAssertEqual(v.status, 0); XCTAssertTrue(v.out.contains("backend"))
        let h = try run(["train", "--help"])
        XCTAssertEqual(h.status, 0); XCTAssertTrue(h.out.contains("Examples"))
        let ckpt = NSTemporaryDirectory() + "cli-\(ProcessInfo.processInfo.processIdentifier).safetensors"
        let t = try run(["train", "--data", "xor", "--samples", "64", "--depth", "1", "--width", "8", "--steps", "20", "--no-progress", "--checkpoint", ckpt])
        XCTAssertEqual(t.status, 0, t.err); XCTAssertTrue(t.out.contains("final test loss"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: ckpt))
        let r = try run(["train", "--data", "xor", "--samples", "64", "--depth", "1", "--width", "8", "--steps", "30", "--no-progress", "--resume", ckpt])
        XCTAssertEqual(r.status, 0, r.err); XCTAssertTrue(r.out.contains("resumed from"))
    }

    func testDiagnoseExitCodesAndJSON() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let sick = try run(["diagnose", "--data", "blobs", "--depth", "12", "--width", "16", "--activation", "sigmoid", "--init", "normal",
                            "--optimizer", "sgd", "--lr", "0.1", "--probe-steps", "20", "--json"])
        XCTAssertEqual(sick.status, 1, sick.err)
        let o = try JSONSerialization.jsonObject(with: Data(sick.out.utf8)) as! [String: Any]
        XCTAssertEqual(o["healthy"] as? Bool, false)
        XCTAssertEqual((o["verdicts"] as? [[String: Any]])?.first?["kind"] as? String, "vanishing")
        let well = try run(["diagnose", "--data", "blobs", "--depth", "3", "--width", "16", "--probe-steps", "20"])
        XCTAssertEqual(well.status, 0, well.out + well.err)
        XCTAssertTrue(well.out.contains("healthy"))
        let suite = try run(["diagnose", "--suite", "--seeds", "1", "--category", "oscillation", "--json"])
        XCTAssertEqual(suite.status, 0, suite.err)
        let r = try JSONSerialization.jsonObject(with: Data(suite.out.utf8)) as! [String: Any]
        for key in ["cases", "recall", "precision", "false_verdicts_on_healthy", "median_steps_to_detect", "categories", "seconds"] { XCTAssertNotNil(r[key], key) }
        let categories = try XCTUnwrap(r["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.map { $0["category"] as? String }, ["oscillation"])
        XCTAssertEqual(r["recall"] as? Double, 1)
        XCTAssertEqual(r["false_verdicts_on_healthy"] as? Int, 0)
        try assertBadInput(["diagnose", "--suite", "--category", "sleepy"], mentions: "category")
        try assertBadInput(["diagnose", "--probe-steps", "0"], mentions: "probe-steps")
    }

    func testDemoShowsBothRuns() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let d = try run(["demo", "--steps", "60", "--depth", "12"])
        XCTAssertEqual(d.status, 0, d.err)
        XCTAssertTrue(d.out.contains("bad: test accuracy") && d.out.contains("good: test accuracy"), d.out)
        XCTAssertTrue(d.out.contains("vanishing gradients"), d.out)
    }

    func testTheoryCommand() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let t = try run(["theory", "--critical", "tanh", "--sigma-b2", "0.05", "--depth", "10", "--json"])
        XCTAssertEqual(t.status, 0, t.err)
        let o = try JSONSerialization.jsonObject(with: Data(t.out.utf8)) as! [String: Any]
        for key in ["q_star", "chi1", "c_star", "xi_q", "xi_c", "trainable_depth", "critical_sigma_w2", "predicted_grad_sq_ratio"] { XCTAssertNotNil(o[key], key) }
        XCTAssertEqual(o["critical_sigma_w2"] as! Double, 1.760955, accuracy: 2e-4)
        let ratios = o["predicted_grad_sq_ratio"] as! [Double]
        XCTAssertEqual(ratios.count, 10); XCTAssertEqual(ratios.last, 1)
        let text = try run(["theory", "--activation", "relu", "--sigma-w2", "1", "--depth", "30"])
        XCTAssertEqual(text.status, 0); XCTAssertTrue(text.out.contains("ordered"), text.out)
        try assertBadInput(["theory", "--activation", "swish"], mentions: "allowed:")
        try assertBadInput(["theory", "--depth", "0"], mentions: "depth 0")
    }

    func testPhaseDiagramIsWellFormedSVG() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let path = NSTemporaryDirectory() + "phase-\(ProcessInfo.processInfo.processIdentifier).svg"
        let r = try run(["phase", "--activation", "tanh", "--measure", "--depths", "2", "--sigma-w2s", "1,3", "--steps", "5", "--output", path, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        final class Counter: NSObject, XMLParserDelegate {
            var counts: [String: Int] = [:]
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                counts[name, default: 0] += 1
            }
        }
        let parser = XMLParser(data: data), counter = Counter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "SVG is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        XCTAssertGreaterThan(counter.counts["rect", default: 0], 1000)          // the phase-plane cells
        XCTAssertEqual(counter.counts["circle", default: 0], 2)                  // the measured grid points
        XCTAssertGreaterThanOrEqual(counter.counts["polyline", default: 0], 2)  // critical line and 6ξ_c curve
        XCTAssertTrue(r.out.contains("train_accuracy"), r.out)
    }
}
