#if PostgreSQL
import Foundation
import GradLab

/// The PostgreSQL store's tables, as numbered migrations applied in order and never edited once
/// released: `gradlab_schema` holds the version a database is at. Opening a database upgrades it
/// in one transaction (under an advisory lock, so workers starting together migrate it once); a
/// database from a newer GradLab is refused rather than misread.
///
/// The run tables mirror `RunStoreSchema` (SQLite) column for column; v2 adds the work queue.
package enum PostgresSchema {
    static let migrations: [String] = [v1, v2]
    package static var latest: Int { migrations.count }

    /// Brings the database to `upTo` (default: the latest); returns the version it was at.
    @discardableResult
    package static func migrate(_ session: PostgresSession, upTo target: Int = latest) throws -> Int {
        try session.transaction { tx in
            // Any fixed key: one migrating session at a time per database.
            try tx.execute("SELECT pg_advisory_xact_lock(7101966)")
            try tx.execute("CREATE TABLE IF NOT EXISTS gradlab_schema (version INTEGER NOT NULL, migrated_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            let current = try tx.execute("SELECT COALESCE(MAX(version), 0) AS v FROM gradlab_schema").first.map { try $0.int("v") } ?? 0
            if current > latest {
                throw GradLabError.invalid("the store \(session.url.redacted) is at schema version \(current), newer than this GradLab knows (\(latest)); upgrade gradlab")
            }
            guard current < target else { return current }
            for v in current..<target {
                try tx.script(migrations[v])
                try tx.execute("INSERT INTO gradlab_schema (version) VALUES ($1)", [.int(v + 1)])
            }
            return current
        }
    }

    static let v1 = """
        CREATE TABLE runs (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            experiment TEXT,
            status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed', 'stopped', 'interrupted')),
            config TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT '[]',
            started_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            steps BIGINT NOT NULL DEFAULT 0,
            final_loss DOUBLE PRECISION,
            final_accuracy DOUBLE PRECISION,
            wall_seconds DOUBLE PRECISION,
            message TEXT
        );
        CREATE INDEX runs_experiment ON runs(experiment);
        CREATE INDEX runs_status ON runs(status);
        CREATE TABLE run_tags (
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (run_id, tag)
        );
        CREATE INDEX run_tags_tag ON run_tags(tag);
        CREATE TABLE run_config (
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            num DOUBLE PRECISION,
            PRIMARY KEY (run_id, key)
        );
        CREATE INDEX run_config_value ON run_config(key, value);
        CREATE INDEX run_config_num ON run_config(key, num);
        CREATE TABLE metrics (
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step BIGINT NOT NULL,
            epoch BIGINT NOT NULL,
            loss DOUBLE PRECISION, accuracy DOUBLE PRECISION, grad_norm DOUBLE PRECISION, lr DOUBLE PRECISION,
            PRIMARY KEY (run_id, step)
        );
        CREATE TABLE evals (
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step BIGINT NOT NULL,
            loss DOUBLE PRECISION, accuracy DOUBLE PRECISION,
            PRIMARY KEY (run_id, step)
        );
        CREATE TABLE probe (
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step BIGINT NOT NULL,
            layer BIGINT NOT NULL,
            name TEXT NOT NULL,
            activation TEXT,
            grad_norm DOUBLE PRECISION, grad_rms DOUBLE PRECISION, grad_max_abs DOUBLE PRECISION, grad_mean_abs DOUBLE PRECISION,
            grad_zero_fraction DOUBLE PRECISION, grad_nonfinite BIGINT, bias_grad_norm DOUBLE PRECISION,
            weight_norm DOUBLE PRECISION, weight_std DOUBLE PRECISION, update_norm DOUBLE PRECISION, update_ratio DOUBLE PRECISION,
            activation_mean DOUBLE PRECISION, activation_std DOUBLE PRECISION, activation_nonfinite BIGINT,
            saturated DOUBLE PRECISION, dead DOUBLE PRECISION,
            delta_norm DOUBLE PRECISION, delta_nonfinite BIGINT, gain DOUBLE PRECISION, gain_product DOUBLE PRECISION,
            jacobian_sigma_max DOUBLE PRECISION, jacobian_mean_sq_sigma DOUBLE PRECISION,
            PRIMARY KEY (run_id, step, layer)
        );
        CREATE TABLE time_probe (
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step BIGINT NOT NULL,
            name TEXT NOT NULL,
            cell TEXT NOT NULL,
            first_to_last DOUBLE PRECISION,
            weight_hh_grad_norm DOUBLE PRECISION, weight_ih_grad_norm DOUBLE PRECISION,
            spectral_radius DOUBLE PRECISION, sigma_max DOUBLE PRECISION,
            gate_near_zero DOUBLE PRECISION, gate_near_one DOUBLE PRECISION, hidden_saturated DOUBLE PRECISION,
            grad_norm_by_time TEXT NOT NULL,
            PRIMARY KEY (run_id, step, name)
        );
        CREATE TABLE verdicts (
            id BIGSERIAL PRIMARY KEY,
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            layers TEXT NOT NULL,
            first_step BIGINT NOT NULL,
            predicted BOOLEAN NOT NULL,
            evidence TEXT NOT NULL,
            json TEXT NOT NULL
        );
        CREATE INDEX verdicts_run ON verdicts(run_id);
        CREATE INDEX verdicts_kind ON verdicts(kind);
        CREATE TABLE artifacts (
            id BIGSERIAL PRIMARY KEY,
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            UNIQUE (run_id, kind, path)
        );

        """

    /// v2: the work queue. Leases are server time (`now()`), so workers' clocks need not agree.
    static let v2 = """
        CREATE TABLE sweep_points (
            id BIGSERIAL PRIMARY KEY,
            experiment TEXT NOT NULL,
            point_index INTEGER NOT NULL,
            name TEXT NOT NULL,
            directory TEXT NOT NULL,
            config TEXT NOT NULL,
            tags TEXT NOT NULL,
            hparams TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT,
            lease_token TEXT,
            lease_expires TIMESTAMPTZ,
            run_id BIGINT REFERENCES runs(id) ON DELETE SET NULL,
            result TEXT,
            error TEXT,
            seconds DOUBLE PRECISION,
            enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            UNIQUE (experiment, point_index)
        );
        CREATE INDEX sweep_points_claim ON sweep_points(state, id);
        CREATE TABLE sweep_workers (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            point TEXT,
            started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );

        """
}
#endif
