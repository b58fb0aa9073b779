#if PostgreSQL
import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabStore
import GradLabTestSupport

/// The PostgreSQL run store against a real server: the conformance checks every store passes,
/// schema versions, and bad addresses as one clear line.
final class PostgresStoreTests: XCTestCase {
    func testConformance() throws {
        let server = try PostgresTestServer.shared()
        try RunStoreConformance.summaryJSONKeepsConfigTypes(try PostgresRunStore(server.freshDatabase("json")))
        try RunStoreConformance.createListFilterCompare(try PostgresRunStore(server.freshDatabase("list")))
        try RunStoreConformance.recordsARealTrainingRun(try PostgresRunStore(server.freshDatabase("train")))
        try RunStoreConformance.recordsThroughTimeProbe(try PostgresRunStore(server.freshDatabase("time")))
        try RunStoreConformance.endWrittenTwiceIsKeptOnce(try PostgresRunStore(server.freshDatabase("twice")))
    }

    /// Probe values land in their columns exactly (the same check the SQLite store has on its rows).
    func testProbeRowsAreExact() throws {
        let store = try PostgresRunStore(try PostgresTestServer.shared().freshDatabase("probe"))
        let (recorder, probe) = try RunStoreConformance.recordProbedRun(store)
        let expected = probe.steps.flatMap { s in s.layers.map { (s.step, $0) } }
        for column in ["grad_norm", "delta_norm", "update_ratio"] {
            let rows = try store.probeColumn(recorder.runID, column)
            XCTAssertEqual(rows.count, expected.count)
            for (row, (step, stats)) in zip(rows, expected) {
                XCTAssertEqual(row.step, step); XCTAssertEqual(row.name, stats.name)
                let want = column == "grad_norm" ? stats.gradNorm : column == "delta_norm" ? stats.deltaNorm : stats.updateRatio
                XCTAssertEqual(row.value, want.isNaN ? nil : want, "\(column) at step \(step)")
            }
        }
    }

    /// A database at schema v1 (runs only, before the queue) is upgraded and keeps its runs; a
    /// database from a newer GradLab is refused, not misread; two stores opening one new
    /// database at once migrate it once.
    func testSchemaUpgradeAndNewerRefused() throws {
        let server = try PostgresTestServer.shared()
        let url = try server.freshDatabase("schema")
        let session = try PostgresSession(url)
        XCTAssertEqual(try PostgresSchema.migrate(session, upTo: 1), 0)
        try session.execute("INSERT INTO runs (name, config, started_at, status) VALUES ('old', '{}', 0, 'finished')")
        XCTAssertThrowsError(try session.execute("SELECT 1 FROM sweep_points"), "v1 has no queue")
        let store = try PostgresRunStore(url)
        XCTAssertEqual(try store.listRuns().map(\.name), ["old"])
        XCTAssertEqual(try server.psql("SELECT MAX(version) FROM gradlab_schema", database: url), "\(PostgresSchema.latest)")
        _ = try PostgresSweepQueue(url)    // the queue's tables are there
        try server.psql("INSERT INTO gradlab_schema (version) VALUES (99)", database: url)
        XCTAssertThrowsError(try PostgresRunStore(url)) {
            XCTAssertTrue("\($0)".contains("schema version 99, newer than this GradLab knows"), "\($0)")
        }

        let fresh = try server.freshDatabase("race")
        let errors = NSLock(); var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try PostgresRunStore(fresh) } catch { errors.withLock { failures.append("\(error)") } }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(try server.psql("SELECT COUNT(*) FROM gradlab_schema", database: fresh), "\(PostgresSchema.latest)")
    }

    /// Wrong URL, refused connection, bad password, missing database, unreachable host: one
    /// line each that says what to fix, from the library and from the CLI (exit 2), and no hang.
    func testBadAddressesAreOneClearLine() throws {
        let server = try PostgresTestServer.shared()
        let u = server.url
        let closedPort = try PostgresTestServer.shell(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let cases: [(String, String)] = [
            ("postgres://127.0.0.1/db", "has no user name"),
            ("postgres://u@127.0.0.1:99999/db", "outside 1…65535"),
            ("postgres://u@127.0.0.1:5432/", "names no database"),
            ("postgres://u@127.0.0.1/db?sslmode=maybe", "sslmode=maybe"),
            ("postgres://u@127.0.0.1/db?pool=3", "unknown parameter 'pool'"),
            ("mysql://u@127.0.0.1/db", "neither a directory nor a postgres:// URL"),
            ("postgres://gradlab:gradlab@127.0.0.1:\(closedPort)/gradlab_test", "cannot reach PostgreSQL at 127.0.0.1:\(closedPort)"),
            ("postgres://gradlab:wrong@127.0.0.1:\(u.port)/gradlab_test", "refused user 'gradlab'"),
            ("postgres://nobody_here:x@127.0.0.1:\(u.port)/gradlab_test", "refused user 'nobody_here'"),
            ("postgres://gradlab:gradlab@127.0.0.1:\(u.port)/no_such_db", "database 'no_such_db' does not exist"),
            ("postgres://gradlab:gradlab@10.255.255.1:5432/db?connect_timeout=1", "cannot reach PostgreSQL at 10.255.255.1:5432"),
        ]
        for (url, mention) in cases {
            let t0 = Date()
            XCTAssertThrowsError(try StoreLocation.parse(url).open()) { XCTAssertTrue("\($0)".contains(mention), "\(url): \($0)") }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 20, "\(url) must not hang")
            guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { continue }
            let r = try runGradlab(["runs", "--store", url])
            XCTAssertEqual(r.status, 2, "\(url): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertTrue(r.err.contains(mention), "\(url): \(r.err)")
            XCTAssertFalse(r.err.contains("gradlab:") && url.contains("gradlab:gradlab") && r.err.contains(":gradlab@"), "no password in messages: \(r.err)")
        }
        // GRADLAB_STORE names the store when no flag does.
        XCTAssertEqual(try StoreLocation.resolve(nil, environment: ["GRADLAB_STORE": u.full]), .postgres(u))
        XCTAssertEqual(try StoreLocation.resolve("here", environment: ["GRADLAB_STORE": u.full]), .directory("here"))
    }
}
#endif
