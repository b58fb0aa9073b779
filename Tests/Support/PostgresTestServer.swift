#if PostgreSQL
import XCTest
import Foundation
import GradLab
import GradLabStore

/// The PostgreSQL server the store tests use: the one `.ci/run` started (its directory in
/// `GRADLAB_TEST_POSTGRES_DIR`), else a throwaway cluster this test process starts with
/// `scripts/postgres-throwaway.sh` and stops when the tests end. Each test gets a database of
/// its own. Tests skip, saying why, only when no server can start (PostgreSQL not installed).
package final class PostgresTestServer: NSObject, XCTestObservation {
    package let directory: String
    package let url: PostgresURL
    private let ownsServer: Bool

    static let script: String = {
        var dir = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path), dir.path != "/" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("scripts/postgres-throwaway.sh").path
    }()

    private static let started: Result<PostgresTestServer, Error> = Result {
        if let dir = ProcessInfo.processInfo.environment["GRADLAB_TEST_POSTGRES_DIR"], !dir.isEmpty {
            return try PostgresTestServer(directory: dir, owns: false)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradlab-pg-\(UUID().uuidString.prefix(8))").path
        let r = try shell([script, "start", dir])
        guard r.status == 0 else {
            throw XCTSkip(r.status == 3 ? "PostgreSQL is not installed (no initdb; .ci/run installs it from Debian): \(r.err.trimmingCharacters(in: .whitespacesAndNewlines))"
                                        : "the throwaway PostgreSQL server did not start: \(r.err.prefix(300))")
        }
        let server = try PostgresTestServer(directory: dir, owns: true)
        XCTestObservationCenter.shared.addTestObserver(server)
        return server
    }

    /// The server, or a skip that says why there is none.
    package static func shared() throws -> PostgresTestServer { try started.get() }

    private init(directory: String, owns: Bool) throws {
        self.directory = directory; ownsServer = owns
        let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent("url"), encoding: .utf8)
        url = try PostgresURL(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    package func testBundleDidFinish(_ testBundle: Bundle) {
        guard ownsServer else { return }
        _ = try? Self.shell([Self.script, "stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new empty database; its URL.
    package func freshDatabase(_ label: String) throws -> PostgresURL {
        let name = "t_\(label)_\(UUID().uuidString.prefix(8).lowercased())".replacingOccurrences(of: "-", with: "_")
        try psql("CREATE DATABASE \(name)")
        var u = try PostgresURL(url.full.replacingOccurrences(of: "/\(url.database)", with: "/\(name)"))
        u.connectTimeout = 5
        return u
    }

    /// Runs SQL through psql against the test database.
    @discardableResult
    package func psql(_ sql: String, database: PostgresURL? = nil) throws -> String {
        let r = try Self.shell(["psql", (database ?? url).full, "-v", "ON_ERROR_STOP=1", "-Atqc", sql])
        guard r.status == 0 else { throw GradLabError.io("psql failed: \(r.err)") }
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Restarts the server (same port): every open connection is cut.
    package func restart() throws {
        let r = try Self.shell([Self.script, "restart", directory])
        guard r.status == 0 else { throw GradLabError.io("restart failed: \(r.err)") }
    }

    package static func shell(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process(), out = Pipe(), err = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env"); p.arguments = args
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
#endif
