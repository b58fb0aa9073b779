#if PostgreSQL
import Foundation
import GradLab
import GradLabDiagnostics

/// The run store in a PostgreSQL database, for sweeps spread over machines: the same tables as
/// `SQLiteRunStore` (see `PostgresSchema`), the same answers to the same calls (one conformance
/// suite runs against both). Each call is one transaction; a lost connection is re-established
/// and the call repeated, which the upserts below make safe.
package final class PostgresRunStore: RunStore {
    package let url: PostgresURL
    let session: PostgresSession

    /// Connects and brings the schema up to date (refusing a database from a newer GradLab).
    package init(_ url: PostgresURL, reconnectFor: Double = 120) throws {
        self.url = url
        session = try PostgresSession(url, reconnectFor: reconnectFor)
        try PostgresSchema.migrate(session)
    }

    // MARK: Writes

    package func createRun(_ run: NewRun) throws -> RunID {
        let entries = try ConfigValues.flatten(run.configJSON)
        return try session.transaction { tx in try Self.insertRun(tx, run, entries: entries) }
    }

    /// Inserts a run with its config values and tags (inside the caller's transaction).
    static func insertRun(_ tx: PostgresSession.Transaction, _ run: NewRun, entries: [ConfigValues.Entry]) throws -> RunID {
        let tags = Array(Set(run.tags)).sorted()
        let id = Int64(try tx.execute("""
            INSERT INTO runs (name, experiment, config, tags, started_at) VALUES ($1, $2, $3, $4, $5) RETURNING id
            """, [.text(run.name), .text(run.experiment), .text(run.configJSON), .text(SQLiteRunStore.jsonArray(tags)),
                  .double(run.startedAt.timeIntervalSince1970)])[0].int("id"))
        try insert(tx, "run_config", ["run_id", "key", "value", "num"], entries.map { [.int(id), .text($0.key), .text($0.value), .double($0.num)] })
        try insert(tx, "run_tags", ["run_id", "tag"], tags.map { [.int(id), .text($0)] })
        return id
    }

    package func appendMetrics(_ run: RunID, _ rows: [MetricRow]) throws {
        guard !rows.isEmpty else { return }
        let last = Self.lastByKey(rows) { $0.step }
        try write(run) { tx in
            try Self.insert(tx, "metrics", ["run_id", "step", "epoch", "loss", "accuracy", "grad_norm", "lr"], last.map {
                [.int(run), .int($0.step), .int($0.epoch), .double($0.loss), .double($0.accuracy), .double($0.gradNorm), .double($0.learningRate)]
            }, key: ["run_id", "step"])
            try tx.execute("UPDATE runs SET steps = GREATEST(steps, $1) WHERE id = $2", [.int(rows.map(\.step).max()! + 1), .int(run)])
        }
    }

    package func appendEvals(_ run: RunID, _ rows: [EvalRow]) throws {
        guard !rows.isEmpty else { return }
        try write(run) { tx in
            try Self.insert(tx, "evals", ["run_id", "step", "loss", "accuracy"], Self.lastByKey(rows) { $0.step }.map {
                [.int(run), .int($0.step), .double($0.loss), .double($0.accuracy)]
            }, key: ["run_id", "step"])
        }
    }

    package func appendProbe(_ run: RunID, _ steps: [ProbeStep]) throws {
        guard !steps.isEmpty else { return }
        let layers = Self.lastByKey(steps.flatMap { s in s.layers.map { (s.step, $0) } }) { "\($0.0) \($0.1.layer)" }
        let times = Self.lastByKey(steps.flatMap { s in s.time.map { (s.step, $0) } }) { "\($0.0) \($0.1.name)" }
        try write(run) { tx in
            try Self.insert(tx, "probe", ["run_id", "step", "layer", "name", "activation"] + Self.probeColumns.map(\.name), layers.map { step, l in
                [.int(run), .int(step), .int(l.layer), .text(l.name), .text(l.activation)] + Self.probeColumns.map { $0.value(l) }
            }, key: ["run_id", "step", "layer"])
            try Self.insert(tx, "time_probe", ["run_id", "step", "name", "cell", "first_to_last", "weight_hh_grad_norm", "weight_ih_grad_norm",
                                               "spectral_radius", "sigma_max", "gate_near_zero", "gate_near_one", "hidden_saturated",
                                               "grad_norm_by_time"], times.map { step, t in
                [.int(run), .int(step), .text(t.name), .text(t.cell), .double(t.firstToLast), .double(t.weightHHGradNorm),
                 .double(t.weightIHGradNorm), .double(t.spectralRadius), .double(t.sigmaMax), .double(t.gateNearZero),
                 .double(t.gateNearOne), .double(t.hiddenSaturated), .text(SQLiteRunStore.jsonArray(t.gradNormByTime))]
            }, key: ["run_id", "step", "name"])
        }
    }

    package func recordVerdicts(_ run: RunID, _ verdicts: [Verdict]) throws {
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let json = try verdicts.map { String(decoding: try enc.encode($0), as: UTF8.self) }
        try write(run) { tx in
            try tx.execute("DELETE FROM verdicts WHERE run_id = $1", [.int(run)])
            try Self.insert(tx, "verdicts", ["run_id", "kind", "layers", "first_step", "predicted", "evidence", "json"], zip(verdicts, json).map { v, j in
                [.int(run), .text(v.kind.rawValue), .text(v.layers.map(String.init).joined(separator: ",")), .int(v.firstStep),
                 .bool(v.predicted), .text(v.evidence), .text(j)]
            })
        }
    }

    package func recordArtifact(_ run: RunID, _ artifact: Artifact) throws {
        try write(run) { tx in
            try tx.execute("""
                INSERT INTO artifacts (run_id, kind, path, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, kind, path) DO NOTHING
                """, [.int(run), .text(artifact.kind), .text(artifact.path), .double(Date().timeIntervalSince1970)])
        }
    }

    package func finishRun(_ run: RunID, status: RunStatus, final: FinalMetrics, message: String?) throws {
        guard status != .running else { throw GradLabError.invalid("a run finishes as finished, failed or stopped, not running") }
        let changed = try session.changed("""
            UPDATE runs SET status = $1, finished_at = $2, final_loss = $3, final_accuracy = $4, wall_seconds = $5, message = $6 WHERE id = $7
            """, [.text(status.rawValue), .double(Date().timeIntervalSince1970), .double(final.loss),
                  .double(final.accuracy), .double(final.wallSeconds), .text(message), .int(run)])
        if changed == 0 { throw Self.noRun(run) }
    }

    // MARK: Reads

    package func listRuns(_ filter: RunFilter) throws -> [RunSummary] {
        try session.transaction { tx in
            var sql = "SELECT * FROM runs r WHERE TRUE", args: [SQLValue] = []
            func arg(_ v: SQLValue) -> String { args.append(v); return "$\(args.count)" }
            if let e = filter.experiment { sql += " AND r.experiment = \(arg(.text(e)))" }
            if let s = filter.status { sql += " AND r.status = \(arg(.text(s.rawValue)))" }
            if let n = filter.nameContains { sql += " AND strpos(lower(r.name), lower(\(arg(.text(n))))) > 0" }
            if let t = filter.tag { sql += " AND EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = \(arg(.text(t))))" }
            for (key, value) in filter.config {
                try Self.requireConfigKey(tx, key)
                sql += " AND EXISTS (SELECT 1 FROM run_config c WHERE c.run_id = r.id AND c.key = \(arg(.text(key))) AND (c.value = \(arg(.text(value)))"
                if let x = Double(value) { sql += " OR c.num = \(arg(.double(x)))" }
                sql += "))"
            }
            sql += " ORDER BY r.id DESC"
            if let limit = filter.limit { sql += " LIMIT \(arg(.int(limit)))" }
            return try tx.execute(sql, args).map(Self.summary)
        }
    }

    package func run(_ id: RunID) throws -> RunDetail {
        try session.transaction { tx in
            guard let row = try tx.execute("SELECT * FROM runs WHERE id = $1", [.int(id)]).first else { throw Self.noRun(id) }
            let metrics = try tx.execute("SELECT * FROM metrics WHERE run_id = $1 ORDER BY step", [.int(id)]).map {
                MetricRow(step: try $0.int("step"), epoch: try $0.int("epoch"), loss: try $0.double("loss"), accuracy: try $0.double("accuracy"),
                          gradNorm: try $0.double("grad_norm"), learningRate: try $0.double("lr"))
            }
            let evals = try tx.execute("SELECT * FROM evals WHERE run_id = $1 ORDER BY step", [.int(id)]).map {
                EvalRow(step: try $0.int("step"), loss: try $0.double("loss"), accuracy: try $0.double("accuracy"))
            }
            let dec = JSONDecoder()
            let verdicts = try tx.execute("SELECT json FROM verdicts WHERE run_id = $1 ORDER BY id", [.int(id)]).map {
                try dec.decode(Verdict.self, from: Data(try $0.text("json").utf8))
            }
            let artifacts = try tx.execute("SELECT kind, path FROM artifacts WHERE run_id = $1 ORDER BY id", [.int(id)]).map {
                Artifact(kind: try $0.text("kind"), path: try $0.text("path"))
            }
            let counts = try tx.execute("""
                SELECT (SELECT COUNT(*) FROM probe WHERE run_id = $1) AS p, (SELECT COUNT(*) FROM time_probe WHERE run_id = $1) AS t
                """, [.int(id)])[0]
            return RunDetail(summary: try Self.summary(row), metrics: metrics, evals: evals, verdicts: verdicts, artifacts: artifacts,
                             probeRows: try counts.int("p"), timeProbeRows: try counts.int("t"))
        }
    }

    package func compare(_ ids: [RunID]) throws -> RunComparison {
        guard ids.count >= 2 else { throw GradLabError.invalid("compare needs at least two run ids, got \(ids.count)") }
        let rows = try session.transaction { tx in
            try ids.map { id in
                guard let row = try tx.execute("SELECT * FROM runs WHERE id = $1", [.int(id)]).first else { throw Self.noRun(id) }
                return try Self.summary(row)
            }
        }
        return RunComparison.of(rows)
    }

    /// Per-layer probe values of a run, `column` by (step, layer), for checks the protocol does not cover.
    package func probeColumn(_ run: RunID, _ column: String) throws -> [(step: Int, layer: Int, name: String, value: Double?)] {
        guard Self.probeColumns.contains(where: { $0.name == column }) else { throw GradLabError.invalid("no probe column \(column)") }
        return try session.execute("SELECT step, layer, name, \(column) AS v FROM probe WHERE run_id = $1 ORDER BY step, layer", [.int(run)]).map {
            (try $0.int("step"), try $0.int("layer"), try $0.text("name"), try $0.double("v"))
        }
    }

    // MARK: Helpers

    /// A write to an existing run, in one transaction.
    private func write(_ run: RunID, _ body: (PostgresSession.Transaction) throws -> Void) throws {
        try session.transaction { tx in
            guard try tx.execute("SELECT 1 FROM runs WHERE id = $1", [.int(run)]).first != nil else { throw Self.noRun(run) }
            try body(tx)
        }
    }

    /// Multi-row INSERT in chunks under PostgreSQL's 65 535 parameters; with `key`, a row whose
    /// key exists replaces the old one (as SQLite's INSERT OR REPLACE).
    static func insert(_ tx: PostgresSession.Transaction, _ table: String, _ columns: [String], _ rows: [[SQLValue]], key: [String] = []) throws {
        guard !rows.isEmpty else { return }
        let perChunk = max(1, 60_000 / columns.count)
        let update = columns.filter { !key.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let conflict = key.isEmpty ? "" : " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(update)"
        for start in stride(from: 0, to: rows.count, by: perChunk) {
            let chunk = rows[start..<min(start + perChunk, rows.count)]
            var n = 0
            let values = chunk.map { row in "(" + row.map { _ in n += 1; return "$\(n)" }.joined(separator: ", ") + ")" }.joined(separator: ", ")
            try tx.execute("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values)\(conflict)", chunk.flatMap { $0 })
        }
    }

    /// The last of each key, in first-seen order (one statement may not touch a row twice).
    static func lastByKey<T, K: Hashable>(_ xs: [T], _ key: (T) -> K) -> [T] {
        var index: [K: Int] = [:], out: [T] = []
        for x in xs {
            if let i = index[key(x)] { out[i] = x } else { index[key(x)] = out.count; out.append(x) }
        }
        return out
    }

    private static func summary(_ row: SQLRow) throws -> RunSummary {
        let config = try row.text("config")
        let tags = (try? JSONDecoder().decode([String].self, from: Data(try row.text("tags").utf8))) ?? []
        return RunSummary(
            id: Int64(try row.int("id")), name: try row.text("name"), experiment: try row.textOrNil("experiment"),
            status: RunStatus(rawValue: try row.text("status")) ?? .running, tags: tags,
            startedAt: Date(timeIntervalSince1970: try row.double("started_at") ?? 0),
            finishedAt: try row.double("finished_at").map(Date.init(timeIntervalSince1970:)),
            steps: try row.int("steps"),
            final: FinalMetrics(loss: try row.double("final_loss"), accuracy: try row.double("final_accuracy"), wallSeconds: try row.double("wall_seconds")),
            message: try row.textOrNil("message"), config: ConfigValues.dictionary(config), configJSON: config)
    }

    static func noRun(_ id: RunID) -> GradLabError { GradLabError.invalid("no run with id \(id); list the runs with 'gradlab runs'") }

    private static func requireConfigKey(_ tx: PostgresSession.Transaction, _ key: String) throws {
        guard try tx.execute("SELECT 1 FROM run_config WHERE key = $1 LIMIT 1", [.text(key)]).isEmpty,
              try !tx.execute("SELECT 1 FROM runs LIMIT 1").isEmpty else { return }
        let keys = try tx.execute("SELECT DISTINCT key FROM run_config ORDER BY key").map { try $0.text("key") }
        throw GradLabError.invalid("no run has the config key '\(key)'; keys: \(keys.joined(separator: ", "))")
    }

    static let probeColumns: [(name: String, value: (LayerStats) -> SQLValue)] = ProbeColumns.all.map { c in
        (c.name, { l -> SQLValue in
            switch c.value(l) { case .real(let x): .double(x); case .count(let n): .int(n) }
        })
    }
}
#endif
