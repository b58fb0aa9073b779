#if PostgreSQL
import Foundation
import GradLab
import GradLabStore
import GradLabTestSupport
import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import GradLabServer

/// The web lab over a PostgreSQL run store: a browser run lands in the database, the runs page
/// lists it from there, and its report is found through the runs directory.
final class LabPostgresTests: XCTestCase {
    func testBrowserRunIsStoredInPostgres() async throws {
        let url = try PostgresTestServer.shared().freshDatabase("lab")
        let dir = NSTemporaryDirectory() + "gradlab-lab-pg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = LabServer.Options(studyStore: dir + "/study.sqlite")
        o.port = 0; o.store = dir + "/runs"; o.runStore = url.full; o.token = LabFixture.token; o.webRoot = LabFixture.webRoot
        let lab = try LabServer(o)
        try await lab.application(onReady: { _ in }).test(.live) { client in
            let cookie: HTTPFields = [.cookie: "gradlab_token_\(client.port!)=\(LabFixture.token)"]
            let id = try await client.start(smallRun, cookie)
            let end = try await client.wait(for: id, cookie) { $0["state"] as? String == "finished" }
            let storeID = try XCTUnwrap(end["storeID"] as? Int)
            let detail = try PostgresRunStore(url).run(RunID(storeID))
            XCTAssertEqual(detail.summary.status, .finished)
            XCTAssertEqual(detail.metrics.count, end["step"] as? Int)
            XCTAssertEqual(detail.summary.tags, ["web"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/runs/runs.sqlite"), "no SQLite store beside the database")
            let (_, listed) = try await client.json("/api/store/runs?tag=web", .get, cookie)
            XCTAssertEqual((listed["runs"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [storeID])
            try await client.execute(uri: "/runs/\(storeID)/report", method: .get, headers: cookie) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertTrue(r.body.text.contains("<svg"))
            }
        }
    }
}
#endif
