import Foundation
import GradLab
import GradLabStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import GradLabServer

/// Each endpoint, its guard and its refusals, against a live server.
final class LabRouteTests: XCTestCase {
    func testEveryRequestNeedsTheTokenOrItsCookie() async throws {
        try await LabFixture().test { client, cookie in
            try await client.execute(uri: "/", method: .get) { r in
                XCTAssertEqual(r.status, .forbidden)
                XCTAssertTrue(r.body.text.contains("open the URL that gradlab serve printed"), "a page for a person: \(r.body.text)")
            }
            for path in ["/api/lab", "/api/runs", "/static/css/lab.css", "/api/store/runs"] {
                let (status, body) = try await client.json(path, .get, [:])
                XCTAssertEqual(status, .forbidden, path)
                XCTAssertTrue((body["error"] as? String ?? "").contains("token"), "\(path): \(body)")
            }
            let (wrong, _) = try await client.json("/api/lab?token=nope", .get, [:])
            XCTAssertEqual(wrong, .forbidden)
            // The token in the URL: a cookie, and the address without it.
            try await client.execute(uri: "/?token=\(LabFixture.token)&depth=5", method: .get) { r in
                XCTAssertEqual(r.status, .seeOther)
                XCTAssertEqual(r.headers[.location], "/?depth=5")
                XCTAssertTrue(r.headers[.setCookie]?.contains("gradlab_token_\(client.port!)=\(LabFixture.token)") == true)
                XCTAssertTrue(r.headers[.setCookie]?.contains("HttpOnly") == true)
            }
            try await client.execute(uri: "/", method: .get, headers: cookie) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertTrue(r.body.text.contains("<html"))
            }
        }
    }

    func testForeignOriginsAndHostsAreRefused() async throws {
        try await LabFixture().test { client, cookie in
            var foreign = cookie
            foreign[.origin] = "http://evil.example"
            let (status, body) = try await client.json("/api/lab", .get, foreign)
            XCTAssertEqual(status, .forbidden)
            XCTAssertTrue((body["error"] as? String ?? "").contains("evil.example"))
            var otherPort = cookie
            otherPort[.origin] = "http://localhost:1"
            expectEqual(try await client.json("/api/lab", .get, otherPort).0, .forbidden)
            var own = cookie
            own[.origin] = "http://localhost:\(client.port!)"
            expectEqual(try await client.json("/api/lab", .get, own).0, .ok)
        }
        let policy = AccessPolicy(token: "x", hostnames: LabServer.loopbackNames)
        policy.port = 8600
        XCTAssertTrue(policy.allows(host: "127.0.0.1:8600"))
        XCTAssertTrue(policy.allows(host: "[::1]:8600"))
        XCTAssertFalse(policy.allows(host: "attacker.example:8600"), "DNS rebinding: a foreign name resolving here")
        XCTAssertFalse(policy.allows(host: "127.0.0.1:9999"))
        XCTAssertFalse(policy.allows(host: nil))
        XCTAssertTrue(policy.allows(origin: "http://[::1]:8600"))
        XCTAssertFalse(policy.allows(origin: "https://127.0.0.1:8600"))
        XCTAssertFalse(policy.allows(origin: "ws://evil.example"))
        XCTAssertFalse(policy.allows(origin: "null"))
    }

    func testBadRequestsGetAJSONErrorNamingTheKey() async throws {
        try await LabFixture().test { client, cookie in
            let cases: [(String, HTTPResponse.Status, String?, String)] = [
                ("{not json", .badRequest, nil, "not"),
                (#"{"settings": {}}"#, .badRequest, nil, "config"),
                (#"{"config": {"depth": "deep"}}"#, .badRequest, "depth", "integer"),
                (#"{"config": {"nonsense": 1}}"#, .badRequest, nil, "unknown key"),
                (#"{"config": {"depth": 500}}"#, .badRequest, "depth", "cap"),
                (#"{"config": {"width": 5000}}"#, .badRequest, "width", "cap"),
                (#"{"config": {"steps": 100000}}"#, .badRequest, "steps", "cap"),
                (#"{"config": {"depth": 100, "steps": 5000}}"#, .badRequest, "steps", "layer-steps"),
                (#"{"config": {"data": "csv:/etc/passwd"}}"#, .badRequest, "data", "built-in"),
                (#"{"config": {"model": "lstm", "data": "digits"}}"#, .badRequest, "model", "sequence"),
                (#"{"config": {"lr": -1}}"#, .badRequest, "lr", "positive"),
            ]
            for (body, status, key, words) in cases {
                let (s, json) = try await client.json("/api/runs", .post, cookie, body: body)
                XCTAssertEqual(s, status, body)
                XCTAssertEqual(json["key"] as? String, key, body)
                let message = json["error"] as? String ?? ""
                XCTAssertTrue(message.contains(words), "\(body): \(message)")
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            }
            let huge = #"{"config": {"seed": 1}, "pad": ""# + String(repeating: "x", count: 70_000) + #""}"#
            expectEqual(try await client.json("/api/runs", .post, cookie, body: huge).0, .contentTooLarge)
            expectEqual(try await client.json("/api/runs/r999", .get, cookie).0, .notFound)
            expectEqual(try await client.json("/api/phase?activation=swish2", .get, cookie).1["key"] as? String, "activation")
            expectEqual(try await client.json("/api/store/runs?status=done", .get, cookie).0, .badRequest)
            expectEqual(try await client.json("/static/../Package.swift", .get, cookie).0, .notFound)
        }
    }

    func testTheQueueIsCappedAndShowsPlaces() async throws {
        try await LabFixture().test { client, cookie in
            let limits = LabLimits()
            var ids: [String] = []
            for _ in 0..<(limits.runs + limits.queue) { ids.append(try await client.start(smallRun, cookie, paused: true)) }
            let (_, last) = try await client.json("/api/runs/\(ids.last!)", .get, cookie)
            XCTAssertEqual(last["state"] as? String, "queued")
            XCTAssertEqual(last["queuePosition"] as? Int, limits.queue)
            let (full, body) = try await client.json("/api/runs", .post, cookie, body: #"{"config": \#(smallRun)}"#)
            XCTAssertEqual(full, .tooManyRequests)
            XCTAssertTrue((body["error"] as? String ?? "").contains("wait"))
            // Stopping a queued run ends it without starting; stopping the paused ones frees the workers.
            for id in ids.reversed() { expectEqual(try await client.json("/api/runs/\(id)/stop", .post, cookie).0, .ok) }
            for id in ids { _ = try await client.wait(for: id, cookie) { $0["state"] as? String == "stopped" } }
            expectEqual(try await client.json("/api/runs/\(ids[0])/step", .post, cookie).0, .conflict)
        }
    }

    func testPausedRunStepsOnceThenFinishesAsAStoredRun() async throws {
        let fixture = try LabFixture()
        try await fixture.test { client, cookie in
            let id = try await client.start(smallRun, cookie, paused: true)
            _ = try await client.wait(for: id, cookie) { $0["state"] as? String == "paused" }
            expectEqual(try await client.json("/api/runs/\(id)/step", .post, cookie).0, .ok)
            let one = try await client.wait(for: id, cookie) { $0["step"] as? Int == 1 }
            XCTAssertEqual(one["state"] as? String, "paused")
            expectEqual(try await client.json("/api/runs/\(id)/resume", .post, cookie).0, .ok)
            let end = try await client.wait(for: id, cookie) { $0["state"] as? String == "finished" }
            XCTAssertEqual(end["step"] as? Int, 300)
            let storeID = try XCTUnwrap(end["storeID"] as? Int)
            // An ordinary stored run: the store has it, its report renders.
            let detail = try SQLiteRunStore(directory: fixture.store, create: false).run(RunID(storeID))
            XCTAssertEqual(detail.summary.status, .finished)
            XCTAssertEqual(detail.metrics.count, 300)
            XCTAssertEqual(detail.summary.tags, ["web"])
            let (_, listed) = try await client.json("/api/store/runs?tag=web", .get, cookie)
            XCTAssertEqual((listed["runs"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [storeID])
            try await client.execute(uri: "/runs/\(storeID)/report", method: .get, headers: cookie) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertTrue(r.body.text.contains("<svg"))
            }
        }
    }
}
