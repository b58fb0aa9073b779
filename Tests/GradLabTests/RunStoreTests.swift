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

    /// The conformance checks every store passes (PostgreSQL runs the same ones).
    func testConformance() throws {
        try RunStoreConformance.summaryJSONKeepsConfigTypes(try SQLiteRunStore(directory: dir + "/a"))
        try RunStoreConformance.createListFilterCompare(try SQLiteRunStore(directory: dir + "/b"))
        try RunStoreConformance.recordsARealTrainingRun(try SQLiteRunStore(directory: dir + "/c"))
        try RunStoreConformance.recordsThroughTimeProbe(try SQLiteRunStore(directory: dir + "/d"))
        try RunStoreConformance.endWrittenTwiceIsKeptOnce(try SQLiteRunStore(directory: dir + "/e"))
        for sub in ["a", "b", "c", "d", "e"] { XCTAssertEqual(try SQLiteRunStore(directory: dir + "/" + sub).integrityCheck(), "ok") }
    }

    /// What only the SQLite store has: reopening a directory, and the raw probe rows.
    func testReopenAndRawProbeRows() throws {
        let store = try SQLiteRunStore(directory: dir)
        let (recorder, probe) = try RunStoreConformance.recordProbedRun(store)
        let rows = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT step, layer, name, grad_norm, delta_norm FROM probe WHERE run_id = ? ORDER BY step, layer",
                             arguments: [recorder.runID])
        }
        XCTAssertEqual(rows.count, 30)
        for (row, stats) in zip(rows, probe.steps.flatMap { s in s.layers.map { (s.step, $0) } }) {
            XCTAssertEqual(row["step"] as Int, stats.0)
            XCTAssertEqual(row["name"] as String, stats.1.name)
            XCTAssertEqual(row["grad_norm"] as Double, stats.1.gradNorm)
            XCTAssertEqual(row["delta_norm"] as Double, stats.1.deltaNorm)
        }
        XCTAssertEqual(try SQLiteRunStore(directory: dir, create: false).listRuns().count, 1)
        XCTAssertThrowsError(try SQLiteRunStore(directory: dir + "-missing", create: false)) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
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
