import Foundation
import GRDB
import GradLab
import GradLabDiagnostics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The run store as one SQLite file, `runs.sqlite` in a runs directory.
///
/// Safe for many writers at once, across processes (parallel sweep workers): the database is in
/// WAL mode (readers never block the writer), every write is one IMMEDIATE transaction, and a
/// writer that finds the database locked waits up to `busyTimeout` instead of failing. Opening
/// (WAL set-up and schema migration) is serialized across processes by a lock file beside the
/// database, so two workers starting at once cannot both try to create the schema.
package final class SQLiteRunStore: RunStore {
    package static let fileName = "runs.sqlite"
    /// The database file.
    package let path: String
    /// The connection pool, for queries the protocol does not cover.
    package let pool: DatabasePool

    /// Opens (or, with `create`, creates) `directory/runs.sqlite`.
    /// - Parameter busyTimeout: how long a write waits for another process's write to finish.
    package init(directory: String = "runs", create: Bool = true, busyTimeout: TimeInterval = 60) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.path = path
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else {
                throw GradLabError.unavailable("\(path) does not exist: no runs recorded in \(directory) yet; record one or pass --dir")
            }
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw GradLabError.io("cannot create the runs directory \(directory): \(error.localizedDescription)")
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        pool = try Self.withFileLock(path + ".lock") {
            let pool: DatabasePool
            do { pool = try DatabasePool(path: path, configuration: config) } catch {
                throw GradLabError.io("\(path): cannot open the run database (\(Self.oneLine(error))); is it a SQLite file?")
            }
            try RunStoreSchema.migrator.migrate(pool)
            return pool
        }
    }

    /// `PRAGMA integrity_check`: "ok", or what is wrong.
    package func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    // MARK: Writes (each one transaction)

    package func createRun(_ run: NewRun) throws -> RunID {
        let entries = try ConfigValues.flatten(run.configJSON)
        let tags = Array(Set(run.tags)).sorted()
        return try pool.write { db in
            try db.execute(sql: "INSERT INTO runs (name, experiment, config, tags, started_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run.name, run.experiment, run.configJSON, Self.jsonArray(tags), run.startedAt.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            let config = try db.cachedStatement(sql: "INSERT INTO run_config (run_id, key, value, num) VALUES (?, ?, ?, ?)")
            for e in entries { try config.execute(arguments: [id, e.key, e.value, e.num]) }
            let tag = try db.cachedStatement(sql: "INSERT INTO run_tags (run_id, tag) VALUES (?, ?)")
            for t in tags { try tag.execute(arguments: [id, t]) }
            return id
        }
    }

    package func appendMetrics(_ run: RunID, _ rows: [MetricRow]) throws {
        guard !rows.isEmpty else { return }
        try pool.write { db in
            try Self.requireRun(db, run)
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO metrics (run_id, step, epoch, loss, accuracy, grad_norm, lr) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                try insert.execute(arguments: [run, r.step, r.epoch, r.loss, r.accuracy, r.gradNorm, r.learningRate])
            }
            try db.execute(sql: "UPDATE runs SET steps = MAX(steps, ?) WHERE id = ?", arguments: [rows.map(\.step).max()! + 1, run])
        }
    }

    package func appendEvals(_ run: RunID, _ rows: [EvalRow]) throws {
        guard !rows.isEmpty else { return }
        try pool.write { db in
            try Self.requireRun(db, run)
            let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO evals (run_id, step, loss, accuracy) VALUES (?, ?, ?, ?)")
            for r in rows { try insert.execute(arguments: [run, r.step, r.loss, r.accuracy]) }
        }
    }

    package func appendProbe(_ run: RunID, _ steps: [ProbeStep]) throws {
        guard !steps.isEmpty else { return }
        try pool.write { db in
            try Self.requireRun(db, run)
            let layer = try db.cachedStatement(sql: "INSERT OR REPLACE INTO probe (run_id, step, layer, name, activation, "
                + Self.probeColumns.map(\.name).joined(separator: ", ") + ") VALUES (?, ?, ?, ?, ?"
                + String(repeating: ", ?", count: Self.probeColumns.count) + ")")
            let time = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO time_probe (run_id, step, name, cell, first_to_last, weight_hh_grad_norm, weight_ih_grad_norm,
                    spectral_radius, sigma_max, gate_near_zero, gate_near_one, hidden_saturated, grad_norm_by_time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for s in steps {
                for l in s.layers {
                    // The probe step's number is authoritative (a layer record's own may be unset).
                    let values: [(any DatabaseValueConvertible)?] = [run, s.step, l.layer, l.name, l.activation]
                    try layer.execute(arguments: StatementArguments(values + Self.probeColumns.map { $0.value(l) }))
                }
                for t in s.time {
                    try time.execute(arguments: [run, s.step, t.name, t.cell, t.firstToLast, t.weightHHGradNorm, t.weightIHGradNorm,
                                                 t.spectralRadius, t.sigmaMax, t.gateNearZero, t.gateNearOne, t.hiddenSaturated,
                                                 Self.jsonArray(t.gradNormByTime)])
                }
            }
        }
    }

    package func recordVerdicts(_ run: RunID, _ verdicts: [Verdict]) throws {
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let json = try verdicts.map { String(decoding: try enc.encode($0), as: UTF8.self) }
        try pool.write { db in
            try Self.requireRun(db, run)
            try db.execute(sql: "DELETE FROM verdicts WHERE run_id = ?", arguments: [run])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO verdicts (run_id, kind, layers, first_step, predicted, evidence, json) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for (v, j) in zip(verdicts, json) {
                try insert.execute(arguments: [run, v.kind.rawValue, v.layers.map(String.init).joined(separator: ","), v.firstStep,
                                               v.predicted, v.evidence, j])
            }
        }
    }

    package func recordArtifact(_ run: RunID, _ artifact: Artifact) throws {
        try pool.write { db in
            try Self.requireRun(db, run)
            try db.execute(sql: """
                INSERT INTO artifacts (run_id, kind, path, created_at) SELECT ?, ?, ?, ?
                WHERE NOT EXISTS (SELECT 1 FROM artifacts WHERE run_id = ? AND kind = ? AND path = ?)
                """, arguments: [run, artifact.kind, artifact.path, Date().timeIntervalSince1970, run, artifact.kind, artifact.path])
        }
    }

    package func finishRun(_ run: RunID, status: RunStatus, final: FinalMetrics, message: String?) throws {
        guard status != .running else { throw GradLabError.invalid("a run finishes as finished, failed or stopped, not running") }
        try pool.write { db in
            try Self.requireRun(db, run)
            try db.execute(sql: """
                UPDATE runs SET status = ?, finished_at = ?, final_loss = ?, final_accuracy = ?, wall_seconds = ?, message = ? WHERE id = ?
                """, arguments: [status.rawValue, Date().timeIntervalSince1970, final.loss, final.accuracy, final.wallSeconds, message, run])
        }
    }

    // MARK: Reads

    package func listRuns(_ filter: RunFilter) throws -> [RunSummary] {
        try pool.read { db in
            var sql = "SELECT * FROM runs r WHERE 1", args: [(any DatabaseValueConvertible)?] = []
            if let e = filter.experiment { sql += " AND r.experiment = ?"; args.append(e) }
            if let s = filter.status { sql += " AND r.status = ?"; args.append(s.rawValue) }
            if let n = filter.nameContains { sql += " AND instr(lower(r.name), lower(?)) > 0"; args.append(n) }
            if let t = filter.tag { sql += " AND EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = ?)"; args.append(t) }
            for (key, value) in filter.config {
                try Self.requireConfigKey(db, key)
                sql += " AND EXISTS (SELECT 1 FROM run_config c WHERE c.run_id = r.id AND c.key = ? AND (c.value = ?"
                args += [key, value]
                if let x = Double(value) { sql += " OR c.num = ?"; args.append(x) }
                sql += "))"
            }
            sql += " ORDER BY r.id DESC"
            if let limit = filter.limit { sql += " LIMIT ?"; args.append(limit) }
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.summary)
        }
    }

    package func run(_ id: RunID) throws -> RunDetail {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else {
                throw Self.noRun(id)
            }
            let metrics = try Row.fetchAll(db, sql: "SELECT * FROM metrics WHERE run_id = ? ORDER BY step", arguments: [id]).map {
                MetricRow(step: $0["step"], epoch: $0["epoch"], loss: $0["loss"], accuracy: $0["accuracy"],
                          gradNorm: $0["grad_norm"], learningRate: $0["lr"])
            }
            let evals = try Row.fetchAll(db, sql: "SELECT * FROM evals WHERE run_id = ? ORDER BY step", arguments: [id]).map {
                EvalRow(step: $0["step"], loss: $0["loss"], accuracy: $0["accuracy"])
            }
            let dec = JSONDecoder()
            let verdicts = try String.fetchAll(db, sql: "SELECT json FROM verdicts WHERE run_id = ? ORDER BY id", arguments: [id]).map {
                try dec.decode(Verdict.self, from: Data($0.utf8))
            }
            let artifacts = try Row.fetchAll(db, sql: "SELECT kind, path FROM artifacts WHERE run_id = ? ORDER BY id", arguments: [id]).map {
                Artifact(kind: $0["kind"], path: $0["path"])
            }
            let probeRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM probe WHERE run_id = ?", arguments: [id]) ?? 0
            let timeRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM time_probe WHERE run_id = ?", arguments: [id]) ?? 0
            return RunDetail(summary: Self.summary(row), metrics: metrics, evals: evals, verdicts: verdicts, artifacts: artifacts,
                             probeRows: probeRows, timeProbeRows: timeRows)
        }
    }

    package func compare(_ ids: [RunID]) throws -> RunComparison {
        guard ids.count >= 2 else { throw GradLabError.invalid("compare needs at least two run ids, got \(ids.count)") }
        let rows = try pool.read { db in
            try ids.map { id in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else { throw Self.noRun(id) }
                return Self.summary(row)
            }
        }
        return RunComparison.of(rows)
    }

    // MARK: Helpers

    private static func summary(_ row: Row) -> RunSummary {
        let config: String = row["config"]
        let tagsJSON: String = row["tags"]
        let tags = (try? JSONDecoder().decode([String].self, from: Data(tagsJSON.utf8))) ?? []
        return RunSummary(
            id: row["id"], name: row["name"], experiment: row["experiment"],
            status: RunStatus(rawValue: row["status"]) ?? .running, tags: tags,
            startedAt: Date(timeIntervalSince1970: row["started_at"]),
            finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            steps: row["steps"],
            final: FinalMetrics(loss: row["final_loss"], accuracy: row["final_accuracy"], wallSeconds: row["wall_seconds"]),
            message: row["message"], config: ConfigValues.dictionary(config), configJSON: config)
    }

    private static func noRun(_ id: RunID) -> GradLabError {
        GradLabError.invalid("no run with id \(id); list the runs with 'gradlab runs'")
    }

    private static func requireRun(_ db: Database, _ id: RunID) throws {
        if try Int.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [id]) == nil { throw noRun(id) }
    }

    /// A filter on a key no run has is almost always a typo: say so instead of listing nothing.
    private static func requireConfigKey(_ db: Database, _ key: String) throws {
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM run_config WHERE key = ? LIMIT 1", arguments: [key]) == nil,
              try Int.fetchOne(db, sql: "SELECT 1 FROM runs LIMIT 1") != nil else { return }
        let keys = try String.fetchAll(db, sql: "SELECT DISTINCT key FROM run_config ORDER BY key")
        throw GradLabError.invalid("no run has the config key '\(key)'; keys: \(keys.joined(separator: ", "))")
    }

    /// Per-layer probe columns as GRDB values.
    private static let probeColumns: [(name: String, value: (LayerStats) -> (any DatabaseValueConvertible)?)] = ProbeColumns.all.map { c in
        (c.name, { l -> (any DatabaseValueConvertible)? in
            switch c.value(l) { case .real(let x): x; case .count(let n): n }
        })
    }

    /// A JSON array; non-finite numbers become null (JSON has no NaN).
    static func jsonArray(_ xs: [Double]) -> String {
        "[" + xs.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
    }

    static func jsonArray(_ xs: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(xs)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func oneLine(_ error: Error) -> String {
        "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
    }

    /// Runs `body` holding an exclusive advisory lock on `lockPath` (created if needed), so only
    /// one process at a time sets up the database. A separate file: closing a descriptor of the
    /// database itself would drop SQLite's own POSIX locks held by this process.
    private static func withFileLock<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw GradLabError.io("cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw GradLabError.io("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
