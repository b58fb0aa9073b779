import Foundation
import GradLab
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import WSClient
import XCTest
@testable import GradLabServer

/// A lab server on a free loopback port with a known token, its stores in a fresh temporary folder.
struct LabFixture {
    static let token = "test-token-0123"
    let dir: String
    let server: LabServer
    var store: String { dir + "/runs" }
    var studyStore: String { dir + "/study.sqlite" }

    init() throws {
        dir = NSTemporaryDirectory() + "gradlab-lab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var o = LabServer.Options(studyStore: dir + "/study.sqlite")
        o.port = 0; o.store = dir + "/runs"; o.token = Self.token
        o.webRoot = Self.webRoot
        server = try LabServer(o)
    }

    /// The front end's source folder (the built-in copy is the same files).
    static var webRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/GradLabServer/Resources/web").path
    }

    /// Runs `body` against the server, live on a port (the WebSocket tests need one).
    func test(_ body: @escaping @Sendable (any TestClientProtocol, HTTPFields) async throws -> Void) async throws {
        try await server.application(onReady: { _ in }).test(.live) { client in
            try await body(client, [.cookie: "gradlab_token_\(client.port!)=\(Self.token)"])
        }
    }
}

extension ByteBuffer {
    var text: String { String(buffer: self) }
    func json() throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(readableBytesView)) as? [String: Any])
    }
}

extension TestClientProtocol {
    func json(_ uri: String, _ method: HTTPRequest.Method = .get, _ headers: HTTPFields, body: String? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
            (r.status, (try? r.body.json()) ?? [:])
        }
    }

    /// Starts a run and returns its id.
    func start(_ config: String, _ headers: HTTPFields, paused: Bool = false) async throws -> String {
        let (status, body) = try await json("/api/runs", .post, headers, body: #"{"config": \#(config), "paused": \#(paused)}"#)
        XCTAssertEqual(status, .accepted, "\(body)")
        return try XCTUnwrap(body["id"] as? String)
    }

    /// Polls the run until `done` holds for its state (at most `seconds`).
    func wait(for id: String, _ headers: HTTPFields, seconds: Double = 120, until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            let (_, state) = try await json("/api/runs/\(id)", .get, headers)
            if done(state) { return state }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("run \(id) did not get there in \(seconds) s")
        return [:]
    }

    /// Every message of a run's live view until its `end` event, with arrival times.
    func liveMessages(_ id: String, _ headers: HTTPFields) async throws -> [(time: Date, events: [[String: Any]])] {
        let box = MessageBox()
        var config = WebSocketClientConfiguration()
        config.additionalHeaders = headers
        config.maxFrameSize = 1 << 26   // a late joiner's first message holds the whole backlog
        try await ws("/api/runs/\(id)/live", configuration: config) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 64 << 20) {
                guard case .text(let text) = message,
                      let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      let events = object["events"] as? [[String: Any]] else { continue }
                box.add(events)
                if events.contains(where: { $0["type"] as? String == "end" }) { break }
            }
            try? await outbound.close(.normalClosure, reason: nil)   // the server may have closed it first
        }
        return box.all
    }
}

final class MessageBox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [(time: Date, events: [[String: Any]])] = []
    func add(_ events: [[String: Any]]) { lock.lock(); messages.append((Date(), events)); lock.unlock() }
    var all: [(time: Date, events: [[String: Any]])] { lock.lock(); defer { lock.unlock() }; return messages }
}

/// A small, fast run: 3 × 16 tanh MLP on the spirals.
let smallRun = #"{"data": "spirals", "depth": 3, "width": 16, "activation": "tanh", "steps": 300, "eval-every": 100, "seed": 1}"#

/// XCTAssertEqual for values that need `await` (its autoclosures cannot).
func expectEqual<T: Equatable>(_ a: T, _ b: T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a, b, message, file: file, line: line)
}

/// The built `gradlab-server` beside the test bundle (nil if it was not built).
let serverBinary: URL? = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while dir.path != "/" {
        let candidate = dir.appendingPathComponent("gradlab-server")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir.deleteLastPathComponent()
    }
    return nil
}()
