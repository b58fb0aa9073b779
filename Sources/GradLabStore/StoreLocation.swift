import Foundation
import GradLab

/// Where runs are recorded, as `--store` (or `GRADLAB_STORE`) names it: a runs directory holding
/// `runs.sqlite` (the embedded default), or a PostgreSQL database many machines share
/// (`postgres://user@host:5432/db`), which also holds the sweep work queue.
package enum StoreLocation: Equatable, Sendable, CustomStringConvertible {
    case directory(String)
    case postgres(PostgresURL)

    /// The environment variable that names the store when no flag does.
    package static let environmentKey = "GRADLAB_STORE"

    /// `value` if given, else `GRADLAB_STORE`, else `fallback` (a directory).
    package static func resolve(_ value: String?, fallback: String = "runs",
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreLocation {
        let text = value ?? environment[environmentKey].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        return try parse(text)
    }

    /// The PostgreSQL store that `command` (worker, sweep) needs: `value`, else `GRADLAB_STORE`.
    package static func requirePostgres(_ value: String?, for command: String,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresURL {
        let text = value ?? environment[environmentKey] ?? ""
        guard PostgresURL.isPostgres(text) else {
            throw GradLabError.invalid("\(command) needs a PostgreSQL store\(text.isEmpty ? "" : ", not '\(text)'"): pass --store postgres://user@host:5432/db or set GRADLAB_STORE")
        }
        return try PostgresURL(text, environment: environment)
    }

    /// A `postgres://` or `postgresql://` URL, else a directory path.
    package static func parse(_ text: String) throws -> StoreLocation {
        if PostgresURL.isPostgres(text) { return .postgres(try PostgresURL(text)) }
        if text.contains("://") {
            throw GradLabError.invalid("store '\(text)' is neither a directory nor a postgres:// URL; give a runs directory or postgres://user@host:5432/db")
        }
        guard !text.isEmpty else { throw GradLabError.invalid("the store is empty; give a runs directory or postgres://user@host:5432/db") }
        return .directory(text)
    }

    /// The store as another process is handed it: the directory, or the URL as given (its
    /// password too, if it carried one: prefer PGPASSWORD).
    package var argument: String {
        switch self {
        case .directory(let d): d
        case .postgres(let u): u.full
        }
    }

    /// The runs directory, for a directory store.
    package var directory: String? { if case .directory(let d) = self { d } else { nil } }

    package var description: String {
        switch self {
        case .directory(let d): d
        case .postgres(let u): u.redacted
        }
    }

    /// Whether this build can open PostgreSQL stores (the `PostgreSQL` package trait).
    package static var postgresAvailable: Bool {
        #if PostgreSQL
        true
        #else
        false
        #endif
    }

    /// Opens the run store: `create` makes a missing runs directory (a database must exist).
    package func open(create: Bool = true) throws -> any RunStore {
        switch self {
        case .directory(let d): return try SQLiteRunStore(directory: d, create: create)
        case .postgres(let url):
            #if PostgreSQL
            return try PostgresRunStore(url)
            #else
            throw Self.noPostgres
            #endif
        }
    }

    /// The sweep work queue; only a PostgreSQL store has one.
    package func openQueue() throws -> any SweepQueue {
        switch self {
        case .directory(let d):
            throw GradLabError.invalid("the work queue lives in a PostgreSQL store, and '\(d)' is a runs directory; pass --store postgres://user@host:5432/db (or set GRADLAB_STORE)")
        case .postgres(let url):
            #if PostgreSQL
            return try PostgresSweepQueue(url)
            #else
            throw Self.noPostgres
            #endif
        }
    }

    package static let noPostgres = GradLabError.unavailable(
        "this gradlab was built without PostgreSQL; rebuild it with: swift build -c release --traits PostgreSQL")
}

/// A PostgreSQL address: `postgres://user[:password]@host[:port]/database[?sslmode=…&connect_timeout=…]`.
/// The password may also come from `PGPASSWORD`, which keeps it out of process listings.
package struct PostgresURL: Equatable, Sendable {
    package var user: String
    package var password: String?
    package var host: String
    package var port: Int
    package var database: String
    /// `disable` (the default: loopback and trusted networks), `prefer` or `require` (TLS).
    package var sslMode: SSLMode
    /// Seconds to wait for the server to answer before giving up.
    package var connectTimeout: Double
    /// The URL as given (with its password, if it had one), to hand to another process.
    package let full: String

    package enum SSLMode: String, CaseIterable, Sendable { case disable, prefer, require }

    static func isPostgres(_ s: String) -> Bool { s.hasPrefix("postgres://") || s.hasPrefix("postgresql://") }

    package init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func bad(_ why: String) -> GradLabError {
            GradLabError.invalid("store URL '\(Self.redact(text))' \(why); write it as postgres://user@host:5432/database")
        }
        guard Self.isPostgres(text), let c = URLComponents(string: text) else { throw bad("is not a valid URL") }
        guard let host = c.host, !host.isEmpty else { throw bad("has no host") }
        guard let user = c.user, !user.isEmpty else { throw bad("has no user name") }
        let db = String(c.path.drop { $0 == "/" })
        guard !db.isEmpty, !db.contains("/") else { throw bad("names no database (the path after the host)") }
        let port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("has port \(port), outside 1…65535") }
        self.user = user.removingPercentEncoding ?? user
        self.password = c.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        self.host = host; self.port = port; self.database = db.removingPercentEncoding ?? db; full = text
        sslMode = .disable; connectTimeout = 5
        for item in c.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let m = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw bad("has sslmode=\(item.value ?? ""); allowed: \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = m
            case "connect_timeout":
                guard let t = item.value.flatMap(Double.init), t > 0, t <= 600 else { throw bad("has connect_timeout=\(item.value ?? ""); give seconds in (0, 600]") }
                connectTimeout = t
            default:
                throw bad("has the unknown parameter '\(item.name)'; allowed: sslmode, connect_timeout")
            }
        }
    }

    /// The URL with any password hidden, for messages and listings.
    package var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func redact(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? text
    }
}
