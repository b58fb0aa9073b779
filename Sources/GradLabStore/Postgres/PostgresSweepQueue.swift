#if PostgreSQL
import Foundation
import GradLab

/// The work queue in PostgreSQL (`sweep_points`, `sweep_workers`; see `PostgresSchema.v2`).
///
/// A claim is one statement: `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`, so
/// any number of workers claim at once without waiting on each other or taking the same point.
/// A claim writes a fresh random lease token and an expiry in server time; every later call
/// about the point names the token, so a worker that lost its lease (it stalled, and another
/// claimed the point after expiry) can no longer change it.
package final class PostgresSweepQueue: SweepQueue {
    let session: PostgresSession

    package init(_ url: PostgresURL, reconnectFor: Double = 120) throws {
        session = try PostgresSession(url, reconnectFor: reconnectFor)
        try PostgresSchema.migrate(session)
    }

    package func enqueue(_ points: [QueuedPoint]) throws -> Int {
        try session.transaction { tx in
            var added = 0
            for p in points {
                let inserted = try tx.execute("""
                    INSERT INTO sweep_points (experiment, point_index, name, directory, config, tags, hparams) VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (experiment, point_index) DO NOTHING RETURNING id
                    """, [.text(p.experiment), .int(p.index), .text(p.name), .text(p.directory), .text(p.configJSON),
                          .text(SQLiteRunStore.jsonArray(p.tags)), .text(SQLiteRunStore.jsonArray(p.hparams))])
                if !inserted.isEmpty { added += 1; continue }
                let old = try tx.execute("SELECT config, name FROM sweep_points WHERE experiment = $1 AND point_index = $2",
                                         [.text(p.experiment), .int(p.index)])[0]
                guard try old.text("config") == p.configJSON, try old.text("name") == p.name else {
                    throw GradLabError.invalid("experiment '\(p.experiment)' is already queued with a different point \(p.index) (\(try old.text("name"))); give the changed experiment a new name")
                }
            }
            return added
        }
    }

    package func claim(worker: String, lease: Double, experiment: String?, maxAttempts: Int) throws -> ClaimedPoint? {
        let token = UUID().uuidString
        // Points whose workers died too often fail instead of taking down one more worker. Each
        // statement is atomic on its own: SKIP LOCKED hands every free point to one claimer.
        try session.execute("""
                UPDATE sweep_points SET state = 'failed', lease_token = NULL, finished_at = now(),
                    error = 'its worker stopped renewing the lease ' || attempts || ' times (killed, or out of memory?); gradlab sweep retry queues it again'
                WHERE state = 'running' AND lease_expires < now() AND attempts >= $1
                """, [.int(maxAttempts)])
        let rows = try session.execute("""
                UPDATE sweep_points SET state = 'running', attempts = attempts + 1, worker = $1, lease_token = $2,
                    lease_expires = now() + make_interval(secs => $3), started_at = COALESCE(started_at, now())
                WHERE id = (SELECT id FROM sweep_points
                            WHERE (state = 'queued' OR (state = 'running' AND lease_expires < now())) AND ($4::text IS NULL OR experiment = $4)
                            ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING id, experiment, point_index, name, directory, config, tags, hparams, run_id, attempts
                """, [.text(worker), .text(token), .double(lease), .text(experiment)])
        guard let r = rows.first else { return nil }
        return ClaimedPoint(id: Int64(try r.int("id")), point: try Self.point(r), token: token,
                            runID: try r.intOrNil("run_id").map(Int64.init), attempt: try r.int("attempts"))
    }

    package func renew(_ claim: ClaimedPoint, lease: Double) throws -> Bool {
        try session.changed("UPDATE sweep_points SET lease_expires = now() + make_interval(secs => $1) WHERE id = $2 AND lease_token = $3 AND state = 'running'",
                            [.double(lease), .int(claim.id), .text(claim.token)]) == 1
    }

    package func run(for claim: ClaimedPoint, make: NewRun) throws -> RunID {
        let entries = try ConfigValues.flatten(make.configJSON)
        return try session.transaction { tx in
            let rows = try tx.execute("SELECT run_id FROM sweep_points WHERE id = $1 AND lease_token = $2 AND state = 'running' FOR UPDATE",
                                      [.int(claim.id), .text(claim.token)])
            guard let row = rows.first else { throw LeaseLost(claim.point) }
            if let id = try row.intOrNil("run_id") { return Int64(id) }
            let id = try PostgresRunStore.insertRun(tx, make, entries: entries)
            try tx.execute("UPDATE sweep_points SET run_id = $1 WHERE id = $2", [.int(id), .int(claim.id)])
            return id
        }
    }

    package func complete(_ claim: ClaimedPoint, result: String, seconds: Double) throws -> Bool {
        try session.changed("""
            UPDATE sweep_points SET state = 'done', result = $1, seconds = $2, finished_at = now(), lease_token = NULL, error = NULL
            WHERE id = $3 AND lease_token = $4 AND state = 'running'
            """, [.text(result), .double(seconds), .int(claim.id), .text(claim.token)]) == 1
    }

    package func fail(_ claim: ClaimedPoint, error: String) throws -> Bool {
        try session.transaction { tx in
            guard let row = try tx.execute("""
                UPDATE sweep_points SET state = 'failed', error = $1, finished_at = now(), lease_token = NULL
                WHERE id = $2 AND lease_token = $3 AND state = 'running' RETURNING run_id
                """, [.text(error), .int(claim.id), .text(claim.token)]).first else { return false }
            if let run = try row.intOrNil("run_id") {
                try tx.execute("UPDATE runs SET status = 'failed', finished_at = $1, message = $2 WHERE id = $3 AND status = 'running'",
                               [.double(Date().timeIntervalSince1970), .text(error), .int(run)])
            }
            return true
        }
    }

    package func retry(experiment: String?) throws -> Int {
        try session.changed("""
            UPDATE sweep_points SET state = 'queued', attempts = 0, error = NULL, finished_at = NULL, lease_token = NULL
            WHERE state = 'failed' AND ($1::text IS NULL OR experiment = $1)
            """, [.text(experiment)])
    }

    package func heartbeat(worker: String, host: String, point: String?) throws {
        try session.execute("""
            INSERT INTO sweep_workers (id, host, point) VALUES ($1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET point = EXCLUDED.point, seen_at = now()
            """, [.text(worker), .text(host), .text(point)])
    }

    package func leave(worker: String) throws {
        try session.execute("DELETE FROM sweep_workers WHERE id = $1", [.text(worker)])
    }

    /// A worker counts as live if seen in the last `liveWithin` seconds.
    package func status(experiment: String?) throws -> SweepStatus { try status(experiment: experiment, liveWithin: 30) }

    package func status(experiment: String?, liveWithin: Double) throws -> SweepStatus {
        try session.transaction { tx in
            let workers = try tx.execute("""
                SELECT id, host, point, EXTRACT(EPOCH FROM now() - seen_at)::float8 AS ago FROM sweep_workers
                WHERE seen_at > now() - make_interval(secs => $1) ORDER BY id
                """, [.double(liveWithin)]).map {
                SweepStatus.Worker(id: try $0.text("id"), host: try $0.text("host"), point: try $0.textOrNil("point"), lastSeen: try $0.double("ago") ?? 0)
            }
            let counts = try tx.execute("""
                SELECT experiment,
                    COUNT(*) FILTER (WHERE state = 'queued') AS queued,
                    COUNT(*) FILTER (WHERE state = 'running') AS running,
                    COUNT(*) FILTER (WHERE state = 'done') AS done,
                    COUNT(*) FILTER (WHERE state = 'failed') AS failed,
                    AVG(seconds) FILTER (WHERE state = 'done') AS mean
                FROM sweep_points WHERE ($1::text IS NULL OR experiment = $1) GROUP BY experiment ORDER BY MIN(id)
                """, [.text(experiment)])
            let slots = max(workers.count, 1)
            let experiments = try counts.map { r -> SweepStatus.Experiment in
                var e = SweepStatus.Experiment(name: try r.text("experiment"), queued: try r.int("queued"), running: try r.int("running"),
                                               done: try r.int("done"), failed: try r.int("failed"), meanSeconds: try r.double("mean"))
                if let mean = e.meanSeconds {
                    // Running points are taken as half done.
                    e.etaSeconds = e.queued + e.running == 0 ? 0 : mean * (Double(e.queued) + 0.5 * Double(e.running)) / Double(slots)
                }
                return e
            }
            let failures = try tx.execute("""
                SELECT experiment, name, COALESCE(error, '') AS error, attempts FROM sweep_points
                WHERE state = 'failed' AND ($1::text IS NULL OR experiment = $1) ORDER BY id LIMIT 20
                """, [.text(experiment)]).map {
                SweepStatus.Failure(experiment: try $0.text("experiment"), name: try $0.text("name"), error: try $0.text("error"), attempts: try $0.int("attempts"))
            }
            return SweepStatus(experiments: experiments, workers: workers, failures: failures)
        }
    }

    package func points(experiment: String) throws -> [(point: QueuedPoint, state: PointState, runID: RunID?)] {
        try session.execute("SELECT * FROM sweep_points WHERE experiment = $1 ORDER BY point_index", [.text(experiment)]).map {
            (try Self.point($0), PointState(rawValue: try $0.text("state")) ?? .queued, try $0.intOrNil("run_id").map(Int64.init))
        }
    }

    private static func point(_ r: SQLRow) throws -> QueuedPoint {
        let dec = JSONDecoder()
        return QueuedPoint(experiment: try r.text("experiment"), index: try r.int("point_index"), name: try r.text("name"),
                           directory: try r.text("directory"), configJSON: try r.text("config"),
                           tags: try dec.decode([String].self, from: Data(try r.text("tags").utf8)),
                           hparams: try dec.decode([String].self, from: Data(try r.text("hparams").utf8)))
    }
}
#endif
