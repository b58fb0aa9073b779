import Foundation
import GradLab
import GradLabStore
import XCTest

/// `gradlab-server` as a person starts it: the printed URL, bad flags, a foreign Host over a raw
/// socket, and SIGTERM in the middle of a run (checkpointed, recorded as interrupted).
final class ServeProcessTests: XCTestCase {
    var binary: URL {
        get throws {
            guard let url = serverBinary else { throw XCTSkip("gradlab-server is not built beside the tests") }
            return url
        }
    }

    /// A started server: its process, URL, port and token.
    struct Started { let process: Process; let port: Int; let token: String; let stdout: Pipe; let stderr: Pipe }

    func start(_ extra: [String] = [], dir: String) throws -> Started {
        let p = Process()
        p.executableURL = try binary
        p.arguments = ["serve", "--port", "0", "--store", dir + "/runs", "--study-store", dir + "/study.sqlite"] + extra
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("\n"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("GradLab web lab: ") }, text)
        let url = try XCTUnwrap(URLComponents(string: String(line.dropFirst("GradLab web lab: ".count))))
        XCTAssertEqual(url.host, extra.contains("--host") ? extra[extra.firstIndex(of: "--host")! + 1] : "127.0.0.1")
        let token = try XCTUnwrap(url.queryItems?.first { $0.name == "token" }?.value)
        XCTAssertGreaterThanOrEqual(token.count, 32, "a random token")
        return Started(process: p, port: try XCTUnwrap(url.port), token: token, stdout: out, stderr: err)
    }

    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "gradlab-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func testForeignHostAndCrossSiteUpgradeAreRefusedOnTheWire() throws {
        let dir = try tempDir()
        let s = try start(dir: dir)
        defer { s.process.terminate(); s.process.waitUntilExit() }
        let q = "token=\(s.token)"
        XCTAssertEqual(try RawHTTP.status(port: s.port, "GET /api/lab?\(q) HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\n\r\n"), 200)
        XCTAssertEqual(try RawHTTP.status(port: s.port, "GET /api/lab?\(q) HTTP/1.1\r\nHost: rebind.example:\(s.port)\r\n\r\n"), 403)
        // The WebSocket upgrade passes the same guard: refused (the WebSocket layer answers a refused
        // upgrade 400, with no 101) for a foreign Origin, accepted for the page's own.
        let body = #"{"config": {"data": "xor", "depth": 2, "width": 8, "steps": 50}, "paused": true}"#
        XCTAssertEqual(try RawHTTP.status(port: s.port, "POST /api/runs?\(q) HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"), 202)
        func upgrade(origin: String) throws -> Int {
            try RawHTTP.status(port: s.port, "GET /api/runs/r1/live?\(q) HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: \(origin)\r\n\r\n")
        }
        XCTAssertEqual(try upgrade(origin: "http://127.0.0.1:\(s.port)"), 101)
        XCTAssertEqual(try upgrade(origin: "http://evil.example"), 400)
        XCTAssertEqual(try upgrade(origin: "http://127.0.0.1:\(s.port + 1)"), 400)
    }

    func testSIGTERMCheckpointsTheLiveRunAndRecordsItInterrupted() throws {
        let dir = try tempDir()
        let s = try start(dir: dir)
        let body = #"{"config": {"data": "spirals", "depth": 4, "width": 32, "steps": 5000, "seed": 2}}"#
        let post = "POST /api/runs?token=\(s.token) HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        XCTAssertEqual(try RawHTTP.status(port: s.port, post), 202)
        // Let it train a little, then ask the server to stop.
        let deadline = Date().addingTimeInterval(60)
        var step = 0
        while step < 20, Date() < deadline {
            let text = try RawHTTP.response(port: s.port, "GET /api/runs/r1?token=\(s.token) HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\n\r\n")
            step = Int(text.range(of: #""step":(\d+)"#, options: .regularExpression).map { text[$0].dropFirst(7) } ?? "0") ?? 0
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertGreaterThanOrEqual(step, 20)
        kill(s.process.processIdentifier, SIGTERM)
        s.process.waitUntilExit()
        XCTAssertEqual(s.process.terminationStatus, 0)
        let store = try SQLiteRunStore(directory: dir + "/runs", create: false)
        let run = try XCTUnwrap(try store.listRuns().first)
        XCTAssertEqual(run.status, .interrupted)
        XCTAssertTrue(run.message?.contains("--resume") == true, run.message ?? "")
        let detail = try store.run(run.id)
        let checkpoint = try XCTUnwrap(detail.artifacts.first { $0.kind == "checkpoint" })
        XCTAssertEqual(detail.metrics.count, run.steps, "every step measured is in the store")
        // The checkpoint resumes at the step the store recorded.
        let config = try RunConfig.load(dir + "/runs/" + (checkpoint.path as NSString).deletingLastPathComponent + "/config.json")
        let (trainer, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try config.build()
        try trainer.resume(from: dir + "/runs/" + checkpoint.path)
        XCTAssertEqual(trainer.optimizer.step, run.steps)
    }

    func testBadFlagsAreOneLineAndExitTwo() throws {
        for args in [["--port", "70000"], ["--port", "many"], ["--bogus"], ["serve", "extra"]] {
            let p = Process()
            p.executableURL = try binary
            p.arguments = args
            let err = Pipe()
            p.standardError = err; p.standardOutput = Pipe()
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 2, "\(args): \(text)")
            XCTAssertTrue(text.hasPrefix("error: ") && text.split(separator: "\n").count == 1, "\(args): \(text)")
        }
    }

    func testANonLoopbackHostWarns() throws {
        let dir = try tempDir()
        let s = try start(["--host", "0.0.0.0"], dir: dir)
        s.process.terminate()
        s.process.waitUntilExit()
        let text = String(decoding: s.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("warning: listening on 0.0.0.0"), text)
    }
}

/// One HTTP/1.1 exchange over a plain socket, to send headers no HTTP client lets a caller forge.
enum RawHTTP {
    static func response(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GradLabError.io("socket failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw GradLabError.io("connect to \(port) failed") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
    }

    static func status(port: Int, _ request: String) throws -> Int {
        let text = try response(port: port, request)
        return Int(text.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
}
