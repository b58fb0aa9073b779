import XCTest
import Foundation
import GRDB
import GradLab
import GradLabDiagnostics
import GradLabStore

/// The run store: create, list, filter and compare; a real training run recorded through the
/// recorder; and concurrent writers (separate processes and separate pools) on one database.
final class RunStoreTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-runstore-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func config(_ edit: (inout RunConfig) -> Void) -> RunConfig {
        var c = RunConfig()
        c.data = .spirals; c.samples = 128; c.depth = 2; c.width = 16; c.steps = 20; c.batch = 32; c.evalEvery = 10
        edit(&c)
        return c
    }

    /// `runs --json` wrote every config value as a string ("depth": "2").
    func testSummaryJSONKeepsConfigTypes() throws {
        let store = try SQLiteRunStore(directory: dir)
        let id = try store.createRun(NewRun(name: "typed", config: config { $0.lr = 0.01; $0.standardize = true }, tags: ["t"]))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder.records.encode(try store.run(id).summary)) as? [String: Any]
        let c = try XCTUnwrap(json?["config"] as? [String: Any])
        XCTAssertEqual(c["depth"] as? Int, 2)
        XCTAssertEqual(c["lr"] as? Double, 0.01)
        XCTAssertEqual(c["activation"] as? String, "relu")
        XCTAssertTrue(c["standardize"] is Bool, "\(type(of: c["standardize"]!))")
        XCTAssertNil(c["depth"] as? String)
    }

    func testCreateListFilterCompare() throws {
        let store = try SQLiteRunStore(directory: dir)
        let a = try store.createRun(NewRun(name: "relu-a", experiment: "act", config: config { $0.activation = .relu }, tags: ["x", "x", "y"]))
        let b = try store.createRun(NewRun(name: "tanh-b", experiment: "act", config: config { $0.activation = .tanh; $0.lr = 0.01 }))
        let c = try store.createRun(NewRun(name: "other", experiment: "depth", config: config { $0.depth = 8 }))
        XCTAssertEqual([a, b, c], [a, a + 1, a + 2])
        try store.appendMetrics(a, (0..<5).map { MetricRow(step: $0, loss: 1 / Double($0 + 1), accuracy: 0.5) })
        try store.appendMetrics(a, [MetricRow(step: 4, loss: 0.1), MetricRow(step: 5, loss: .nan)])   // step 4 again: replaced
        try store.finishRun(a, status: .finished, final: FinalMetrics(loss: 0.2, accuracy: 0.9, wallSeconds: 1.5))
        try store.finishRun(b, status: .failed, final: FinalMetrics(loss: .infinity), message: "loss became inf")

        XCTAssertEqual(try store.listRuns().map(\.id), [c, b, a], "newest first")
        XCTAssertEqual(try store.listRuns(RunFilter(experiment: "act")).map(\.id), [b, a])
        XCTAssertEqual(try store.listRuns(RunFilter(status: .running)).map(\.id), [c])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("activation", "relu")])).map(\.id), [c, a])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [RunFilter.condition("lr=1e-2")])).map(\.id), [b], "numbers match by value")
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("depth", "8"), ("activation", "relu")])).map(\.id), [c])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("standardize", "false")])).count, 3, "booleans as true/false")
        XCTAssertEqual(try store.listRuns(RunFilter(nameContains: "TANH")).map(\.id), [b])
        XCTAssertEqual(try store.listRuns(RunFilter(tag: "y")).map(\.id), [a])
        XCTAssertEqual(try store.listRuns(RunFilter(limit: 1)).map(\.id), [c])
        XCTAssertThrowsError(try store.listRuns(RunFilter(config: [("activaton", "relu")]))) {
            XCTAssertTrue("\($0)".contains("no run has the config key 'activaton'"), "\($0)")
        }
        XCTAssertThrowsError(try RunFilter.condition("relu"))
        XCTAssertThrowsError(try RunStatus.named("done")) { XCTAssertTrue("\($0)".contains("allowed: running")) }

        let detail = try store.run(a)
        XCTAssertEqual(detail.summary.status, .finished)
        XCTAssertEqual(detail.summary.tags, ["x", "y"])
        XCTAssertEqual(detail.summary.steps, 6)
        XCTAssertEqual(detail.summary.final, FinalMetrics(loss: 0.2, accuracy: 0.9, wallSeconds: 1.5))
        XCTAssertEqual(detail.metrics.map(\.step), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(detail.metrics[4].loss, 0.1)
        XCTAssertNil(detail.metrics[5].loss, "NaN reads back as missing")
        XCTAssertEqual(detail.summary.config["activation"], "relu")
        XCTAssertEqual(detail.summary.config["lr"], "0.001")
        XCTAssertEqual(detail.summary.config["depth"], "2")
        XCTAssertEqual(detail.summary.config["warmup"], "0", "0 is a number, not false")
        XCTAssertEqual(detail.summary.config["standardize"], "false")
        XCTAssertEqual(try store.run(b).summary.final.loss, .infinity)
        XCTAssertEqual(try store.run(b).summary.message, "loss became inf")

        let cmp = try store.compare([a, b, c])
        XCTAssertEqual(cmp.runs.map(\.id), [a, b, c])
        XCTAssertEqual(cmp.differing.map(\.key), ["activation", "depth", "lr"])
        XCTAssertEqual(cmp.differing[0].values, ["relu", "tanh", "relu"])
        XCTAssertThrowsError(try store.compare([a]))
        XCTAssertThrowsError(try store.compare([a, 999])) { XCTAssertTrue("\($0)".contains("no run with id 999"), "\($0)") }
        XCTAssertThrowsError(try store.run(999))
        XCTAssertThrowsError(try store.appendMetrics(999, [MetricRow(step: 0, loss: 1)]))
        XCTAssertThrowsError(try store.finishRun(a, status: .running, final: FinalMetrics()))
        XCTAssertThrowsError(try store.createRun(NewRun(name: "bad", configJSON: "[1, 2]")))

        // Verdicts and artifacts round-trip.
        let verdict = try JSONDecoder().decode(Verdict.self, from: Data("""
            {"kind": "vanishing", "layers": [1, 2], "firstStep": 0, "predicted": true, "evidence": "‖∇W₁‖/‖∇W_L‖ = 1e-5",
             "explanation": "small weights", "remedies": ["use he-normal"]}
            """.utf8))
        try store.recordVerdicts(c, [verdict])
        try store.recordArtifact(c, Artifact(kind: "checkpoint", path: "other/model.safetensors"))
        XCTAssertEqual(try store.run(c).verdicts, [verdict])
        XCTAssertEqual(try store.run(c).artifacts, [Artifact(kind: "checkpoint", path: "other/model.safetensors")])
        XCTAssertEqual(try store.integrityCheck(), "ok")

        // Reopening finds everything; reading a directory without a database is an error.
        XCTAssertEqual(try SQLiteRunStore(directory: dir, create: false).listRuns().count, 3)
        XCTAssertThrowsError(try SQLiteRunStore(directory: dir + "-missing", create: false)) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
    }

    /// A tiny MLP trained 20 steps with a probe, recorded in batches: every step's metrics, one
    /// probe row per step and layer, the evaluations, and the final metrics from the last one.
    func testRecordsARealTrainingRun() throws {
        let store = try SQLiteRunStore(directory: dir)
        let cfg = config { _ in }
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try cfg.build()
        let probe = try Probe(model: trainer.model, options: Probe.Options(every: 2))
        probe.attach(to: trainer)
        let recorder = try RunRecorder(store: store, name: "tiny", experiment: "unit", config: cfg, tags: ["test"], flushEvery: 8)
        recorder.attach(to: trainer)
        recorder.attach(to: probe)
        let history = try trainer.fit(train, test: test, steps: cfg.steps, evalEvery: cfg.evalEvery)
        // Batches are written as training goes, before the end.
        XCTAssertEqual(try store.run(recorder.runID).metrics.count, 16)
        let final = try recorder.finish(history: history, verdicts: Diagnosis.run(probe.steps))
        try recorder.recordArtifact(kind: "probe", path: "tiny/probe.jsonl")

        let d = try store.run(recorder.runID)
        XCTAssertEqual(d.summary.status, .finished)
        XCTAssertEqual(d.summary.steps, 20)
        XCTAssertEqual(d.metrics.map(\.step), Array(0..<20))
        for (m, r) in zip(d.metrics, history.steps) {
            XCTAssertEqual(m.loss, r.loss); XCTAssertEqual(m.gradNorm, r.gradNorm); XCTAssertEqual(m.learningRate, r.learningRate)
        }
        XCTAssertEqual(d.evals.map(\.step), [10, 20])
        XCTAssertEqual(final.loss, history.evals.last!.loss)
        XCTAssertEqual(d.summary.final.accuracy, history.evals.last!.accuracy)
        XCTAssertGreaterThan(d.summary.final.wallSeconds ?? 0, 0)
        let layers = probe.layerNames.count
        XCTAssertEqual(layers, 3)
        XCTAssertEqual(d.probeRows, 10 * layers, "steps 0, 2, …, 18 × Dense layers")
        XCTAssertEqual(d.artifacts.map(\.kind), ["probe"])
        let rows = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT step, layer, name, grad_norm, delta_norm FROM probe WHERE run_id = ? ORDER BY step, layer",
                             arguments: [recorder.runID])
        }
        for (row, stats) in zip(rows, probe.steps.flatMap { s in s.layers.map { (s.step, $0) } }) {
            XCTAssertEqual(row["step"] as Int, stats.0)
            XCTAssertEqual(row["name"] as String, stats.1.name)
            XCTAssertEqual(row["grad_norm"] as Double, stats.1.gradNorm)
            XCTAssertEqual(row["delta_norm"] as Double, stats.1.deltaNorm)
        }
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("activation", "relu")], tag: "test")).map(\.name), ["tiny"])
    }

    /// A recurrent run's through-time probe records land in time_probe.
    func testRecordsThroughTimeProbe() throws {
        let store = try SQLiteRunStore(directory: dir)
        let cfg = config { $0.model = .rnnTanh; $0.data = .sequence(.adding); $0.seqLen = 24; $0.samples = 32; $0.depth = 1; $0.width = 8; $0.steps = 3; $0.batch = 16 }
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try cfg.build()
        let probe = try Probe(model: trainer.model)
        probe.attach(to: trainer)
        let recorder = try RunRecorder(store: store, name: "rnn", config: cfg)
        recorder.attach(to: trainer); recorder.attach(to: probe)
        try recorder.finish(history: try trainer.fit(train, test: test, steps: cfg.steps))
        XCTAssertEqual(try store.run(recorder.runID).timeProbeRows, 3)
        let norms = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT grad_norm_by_time FROM time_probe WHERE run_id = ? ORDER BY step", arguments: [recorder.runID])
        }
        let decoded = try JSONDecoder().decode([Double?].self, from: Data(norms[0].utf8))
        XCTAssertEqual(decoded.count, 24)
    }

    /// Two pools on one file written from two threads at once: nothing lost, nothing doubled.
    func testConcurrentPoolsInThreads() throws {
        let writers = ["t1", "t2"]
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: writers.count) { i in
            do {
                let store = try SQLiteRunStore(directory: dir)
                for r in 0..<15 {
                    let id = try store.createRun(NewRun(name: "\(writers[i])-\(r)", experiment: "stress", configJSON: "{\"writer\": \"\(writers[i])\"}", tags: [writers[i]]))
                    for start in stride(from: 0, to: 60, by: 10) {
                        try store.appendMetrics(id, (start..<start + 10).map { MetricRow(step: $0, loss: Double($0)) })
                    }
                    try store.finishRun(id, status: .finished, final: FinalMetrics(loss: 0))
                }
            } catch { errors.add(error) }
        }
        XCTAssertEqual(errors.all.map { "\($0)" }, [])
        try assertComplete(writers: writers, runs: 15, steps: 60)
    }

    /// Two `gradlab` processes write many runs and metric rows into one database at once (as
    /// parallel sweep workers would) while this process reads: the database stays intact and
    /// every row of both writers is there exactly once.
    func testConcurrentWriterProcesses() throws {
        let writer = binary.deletingLastPathComponent().appendingPathComponent("gradlab-store-writer")
        guard FileManager.default.fileExists(atPath: writer.path) else { throw XCTSkip("gradlab-store-writer not built") }
        let writers = ["alpha", "beta"]
        let processes = try writers.map { w -> (Process, Pipe) in
            let p = Process(), err = Pipe()
            p.executableURL = writer
            p.arguments = [dir, w, "30", "200", "10"]
            p.standardError = err
            try p.run()
            return (p, err)
        }
        // Read while they write: readers must never see a half-written transaction or block them.
        while processes.contains(where: { $0.0.isRunning }) {
            if FileManager.default.fileExists(atPath: dir + "/runs.sqlite"), let store = try? SQLiteRunStore(directory: dir, create: false) {
                for r in try store.listRuns(RunFilter(status: .finished)) { XCTAssertEqual(r.steps, 200) }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        for (p, err) in processes {
            p.waitUntilExit()
            let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 0, msg)
        }
        try assertComplete(writers: writers, runs: 30, steps: 200)

        // The CLI on the result: list, filter, show, compare, and bad input as one line, exit 2.
        let list = try cli(["runs", "--dir", dir, "--filter", "writer=alpha", "--filter", "lr=1e-3"])
        XCTAssertEqual(list.status, 0, list.err)
        XCTAssertEqual(list.out.split(separator: "\n").count, 31, "header + 30 runs")
        XCTAssertTrue(list.out.hasPrefix("id"), list.out)
        let json = try cli(["runs", "--dir", dir, "--experiment", "stress", "--status", "finished", "--json", "--limit", "5"])
        XCTAssertEqual(json.status, 0, json.err)
        let first = try JSONSerialization.jsonObject(with: Data(json.out.split(separator: "\n")[0].utf8)) as? [String: Any]
        XCTAssertEqual(first?["steps"] as? Int, 200)
        let show = try cli(["runs", "show", "1", "--dir", dir])
        XCTAssertEqual(show.status, 0, show.err)
        XCTAssertTrue(show.out.contains("200 steps") && show.out.contains("note: "), show.out)
        let cmp = try cli(["runs", "compare", "1", "2", "--dir", dir])
        XCTAssertEqual(cmp.status, 0, cmp.err)
        XCTAssertTrue(cmp.out.contains("config that differs:"), cmp.out)
        for (args, mentions) in [(["runs", "show", "abc", "--dir", dir], "run id 'abc'"), (["runs", "show", "99999", "--dir", dir], "no run with id 99999"),
                                 (["runs", "compare", "1", "--dir", dir], "at least two"), (["runs", "--dir", dir, "--filter", "relu"], "key=value"),
                                 (["runs", "--dir", dir, "--filter", "activaton=relu"], "activaton"), (["runs", "--dir", dir, "--status", "done"], "allowed: running"),
                                 (["runs", "--dir", dir + "-none"], "does not exist")] {
            let r = try cli(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertTrue(r.err.contains(mentions), "\(r.err) should mention \(mentions)")
        }
    }

    /// Integrity check passes; each writer's runs are there once each, each with every step once.
    func assertComplete(writers: [String], runs: Int, steps: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try SQLiteRunStore(directory: dir, create: false)
        XCTAssertEqual(try store.integrityCheck(), "ok", file: file, line: line)
        try store.pool.read { db in
            for w in writers {
                let names = try String.fetchAll(db, sql: "SELECT name FROM runs WHERE name LIKE ? ORDER BY name", arguments: ["\(w)-%"])
                XCTAssertEqual(names.count, runs, file: file, line: line)
                XCTAssertEqual(Set(names), Set((0..<runs).map { "\(w)-\($0)" }), file: file, line: line)
                let perRun = try Row.fetchAll(db, sql: """
                    SELECT r.id, COUNT(m.step) AS n, COUNT(DISTINCT m.step) AS d, MIN(m.step) AS lo, MAX(m.step) AS hi, r.status, r.steps
                    FROM runs r LEFT JOIN metrics m ON m.run_id = r.id WHERE r.name LIKE ? GROUP BY r.id
                    """, arguments: ["\(w)-%"])
                for row in perRun {
                    XCTAssertEqual([row["n"], row["d"], (row["hi"] as Int) + 1, row["steps"]], [steps, steps, steps, steps], file: file, line: line)
                    XCTAssertEqual(row["lo"] as Int, 0, file: file, line: line)
                    XCTAssertEqual(row["status"] as String, "finished", file: file, line: line)
                }
                let tagged = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run_tags WHERE tag = ?", arguments: [w])
                XCTAssertEqual(tagged, runs, file: file, line: line)
            }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM metrics")
            XCTAssertEqual(total, writers.count * runs * steps, file: file, line: line)
        }
    }

    var binary: URL { gradlabBinary }

    func cli(_ args: [String]) throws -> (status: Int32, out: String, err: String) { try runGradlab(args) }
}

/// Errors collected from concurrent workers.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ e: Error) { lock.lock(); errors.append(e); lock.unlock() }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
}

/// A store made before runs could be `interrupted` is upgraded in place: its runs and rows kept.
final class RunStoreMigrationTests: XCTestCase {
    func testAVersionOneStoreIsUpgradedAndKeepsItsRuns() throws {
        let dir = NSTemporaryDirectory() + "gradlab-migrate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + SQLiteRunStore.fileName
        let old = try DatabaseQueue(path: path)
        try RunStoreSchema.migrator.migrate(old, upTo: "v1")
        try old.write { db in
            try db.execute(sql: "INSERT INTO runs (name, config, started_at, status) VALUES ('old', '{}', 0, 'finished')")
            try db.execute(sql: "INSERT INTO metrics (run_id, step, epoch, loss) VALUES (1, 0, 0, 2.5)")
            XCTAssertThrowsError(try db.execute(sql: "UPDATE runs SET status = 'interrupted'"), "v1 has no such status")
        }
        try old.close()
        let store = try SQLiteRunStore(directory: dir, create: false)
        let run = try XCTUnwrap(try store.listRuns().first)
        XCTAssertEqual(run.name, "old")
        XCTAssertEqual(try store.run(run.id).metrics.map(\.loss), [2.5])
        try store.finishRun(run.id, status: .interrupted, final: FinalMetrics())
        XCTAssertEqual(try store.run(run.id).summary.status, .interrupted)
        XCTAssertEqual(try store.integrityCheck(), "ok")
        let id = try store.createRun(NewRun(name: "new", configJSON: "{}"))
        XCTAssertGreaterThan(id, run.id, "ids keep counting after the rebuild")
    }
}
