#if PostgreSQL
import Foundation
import GradLab
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// A value bound to a query parameter. NaN is stored as NULL, as SQLite stores it, so a diverged
/// loss reads back as missing from either store (±∞ is kept by both).
package enum SQLValue {
    case int(Int64?), double(Double?), text(String?), bool(Bool?)

    package static func int(_ x: Int) -> SQLValue { .int(Int64(x)) }
    package static func int(_ x: Int?) -> SQLValue { .int(x.map(Int64.init)) }
}

/// One result row, read by column name.
package struct SQLRow {
    let row: PostgresRandomAccessRow

    package func int(_ c: String) throws -> Int { Int(try row[c].decode(Int64.self)) }
    package func intOrNil(_ c: String) throws -> Int? { try row[c].decode(Int64?.self).map(Int.init) }
    package func double(_ c: String) throws -> Double? { try row[c].decode(Double?.self) }
    package func text(_ c: String) throws -> String { try row[c].decode(String.self) }
    package func textOrNil(_ c: String) throws -> String? { try row[c].decode(String?.self) }
    package func bool(_ c: String) throws -> Bool { try row[c].decode(Bool.self) }
}

/// A synchronous PostgreSQL session over one postgres-nio connection, for the store's blocking
/// `RunStore` calls (made from worker and CLI threads, never from an event loop).
///
/// Faults: a refused connection, bad credentials or a missing database on the first connect are
/// one-line `GradLabError`s that say what to fix. Once connected, a lost connection (the server
/// restarted, the network dropped) is re-established with exponential back-off, and the
/// transaction that met it runs again from the start: every transaction here is written so that
/// running it twice leaves the same rows as running it once.
package final class PostgresSession: @unchecked Sendable {
    package let url: PostgresURL
    /// How long to keep reconnecting after a lost connection before giving up.
    let reconnectFor: Double
    /// A statement without an answer for this long counts as a lost connection (a server that
    /// vanished without closing the socket, or a connection the driver left hanging).
    let statementTimeout: Double
    private var connection: PostgresConnection?
    private let lock = NSLock()
    private let logger = Logger(label: "gradlab.postgres")
    private var nextID = 0

    package init(_ url: PostgresURL, reconnectFor: Double = 120, statementTimeout: Double = 15) throws {
        self.url = url; self.reconnectFor = reconnectFor; self.statementTimeout = statementTimeout
        lock.lock(); defer { lock.unlock() }
        do { connection = try connect() } catch { throw Self.describe(error, url: url) }
    }

    deinit { if let connection { _ = try? Self.bounded(connection.close(), seconds: 2) } }

    /// No answer within the statement timeout.
    struct NoAnswer: Error {}

    /// The future's value, or `NoAnswer` after `seconds`.
    static func bounded<T: Sendable>(_ future: EventLoopFuture<T>, seconds: Double) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        let timer = future.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { promise.fail(NoAnswer()) }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    /// Runs `body` in one transaction (BEGIN … COMMIT), reconnecting and rerunning it after a
    /// lost connection.
    package func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try retrying { tx in
            _ = try tx.execute("BEGIN")
            do {
                let value = try body(tx)
                _ = try tx.execute("COMMIT")
                return value
            } catch {
                _ = try? tx.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// One statement, atomic on its own (no BEGIN/COMMIT round trips), rerun after a lost connection.
    @discardableResult
    package func execute(_ sql: String, _ binds: [SQLValue] = []) throws -> [SQLRow] {
        try retrying { try $0.execute(sql, binds) }
    }

    /// Rows changed by one UPDATE/DELETE statement (via RETURNING 1).
    package func changed(_ sql: String, _ binds: [SQLValue]) throws -> Int { try execute(sql + " RETURNING 1", binds).count }

    /// `body` on a live connection, reconnecting with exponential back-off and running it again
    /// while the connection is lost, up to `reconnectFor` seconds.
    private func retrying<T>(_ body: (Transaction) throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        var delay = 0.05
        let deadline = Date().addingTimeInterval(reconnectFor)
        while true {
            do {
                let conn = try connection.flatMap { $0.isClosed ? nil : $0 } ?? connect()
                connection = conn
                return try body(Transaction(connection: conn, logger: logger, statementTimeout: statementTimeout))
            } catch where Self.isConnectionLost(error) && Date() < deadline {
                if let connection { _ = try? Self.bounded(connection.close(), seconds: 2) }
                connection = nil
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
            } catch {
                throw Self.describe(error, url: url)
            }
        }
    }

    /// The statements of one transaction.
    package struct Transaction {
        let connection: PostgresConnection
        let logger: Logger
        let statementTimeout: Double

        @discardableResult
        package func execute(_ sql: String, _ binds: [SQLValue] = []) throws -> [SQLRow] {
            var b = PostgresBindings(capacity: binds.count)
            for v in binds {
                switch v {
                case .int(let x): b.append(x)
                case .double(let x): b.append(x.flatMap { $0.isNaN ? nil : $0 })
                case .text(let x): b.append(x)
                case .bool(let x): b.append(x)
                }
            }
            let result = try PostgresSession.bounded(connection.query(PostgresQuery(unsafeSQL: sql, binds: b), logger: logger), seconds: statementTimeout)
            return result.rows.map { SQLRow(row: $0.makeRandomAccess()) }
        }

        /// Several statements without parameters (a migration), each ending its line with ";"
        /// (postgres-nio sends one statement per query).
        package func script(_ sql: String) throws {
            for statement in sql.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                try execute(statement)
            }
        }
    }

    /// A new connection; errors as the driver gives them (see `describe`).
    private func connect() throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        switch url.sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var config = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                      database: url.database, tls: tls)
        config.options.connectTimeout = .milliseconds(Int64(url.connectTimeout * 1000))
        nextID += 1
        let conn = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config,
                                                  id: nextID, logger: logger).wait()
        // Quiet notices (e.g. "relation already exists, skipping") stay off the terminal.
        _ = try Self.bounded(conn.query("SET client_min_messages = warning", logger: logger), seconds: statementTimeout)
        return conn
    }

    /// Whether `error` means the connection is gone (as opposed to a refused statement).
    static func isConnectionLost(_ error: Error) -> Bool {
        if let e = error as? PSQLError {
            switch e.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
            case .server:
                let state = e.serverInfo?[.sqlState] ?? ""
                // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            default: return false
            }
        }
        if error is ChannelError || error is IOError || error is NoAnswer { return true }
        if let e = error as? GradLabError, case .unavailable(let m) = e { return m.hasPrefix("cannot reach PostgreSQL") }
        return false
    }

    /// A one-line error that names the store and the fix.
    static func describe(_ error: Error, url: PostgresURL) -> Error {
        if error is GradLabError { return error }
        let at = "\(url.host):\(url.port)"
        if error is NoAnswer {
            return GradLabError.unavailable("PostgreSQL at \(at) stopped answering and did not come back; is the server up and the network between here and there?")
        }
        if let e = error as? PSQLError {
            let state = e.serverInfo?[.sqlState] ?? ""
            let message = e.serverInfo?[.message] ?? ""
            switch state {
            case "28P01", "28000":
                return GradLabError.invalid("PostgreSQL at \(at) refused user '\(url.user)': \(message); check the user and password in --store (or PGPASSWORD)")
            case "3D000":
                return GradLabError.invalid("database '\(url.database)' does not exist on \(at); create it (createdb \(url.database)) or fix the name in --store")
            case "":
                break
            default:
                return GradLabError.io("PostgreSQL at \(at) refused a statement (\(state)): \(message)")
            }
            switch e.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                let why = e.underlying.map { "\($0)" } ?? "\(e.code)"
                return GradLabError.unavailable("cannot reach PostgreSQL at \(at) (\(oneLine(why))); is the server running and the host and port in --store right?")
            case .authMechanismRequiresPassword:
                return GradLabError.invalid("PostgreSQL at \(at) wants a password for '\(url.user)'; put it in --store (postgres://user:PASSWORD@…) or PGPASSWORD")
            case .sslUnsupported:
                return GradLabError.invalid("PostgreSQL at \(at) does not offer TLS; use sslmode=disable or prefer in --store")
            default:
                return GradLabError.io("PostgreSQL at \(at): \(e.code)\(e.underlying.map { " (\(oneLine("\($0)")))" } ?? "")")
            }
        }
        if error is ChannelError || error is IOError || "\(error)".contains("connect") {
            return GradLabError.unavailable("cannot reach PostgreSQL at \(at) (\(oneLine("\(error)"))); is the server running and the host and port in --store right?")
        }
        return GradLabError.io("PostgreSQL at \(at): \(oneLine("\(error)"))")
    }

    static func oneLine(_ s: String) -> String { s.split(separator: "\n").first.map(String.init) ?? s }
}
#endif
