import GRDB

/// The run database's schema, one migration per version. Migrations are append-only: a new
/// version adds a `registerMigration` below and never edits an earlier one.
///
/// Times are Unix seconds (REAL). NaN values (a diverged loss) are stored as NULL; ±∞ as is.
/// Per-step tables are keyed `(run_id, step, …)` WITHOUT ROWID, so a run's rows lie together
/// and a step written twice (a resumed run) replaces the earlier row.
package enum RunStoreSchema {
    package static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    experiment TEXT,
                    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed', 'stopped')),
                    config TEXT NOT NULL,                 -- JSON object
                    tags TEXT NOT NULL DEFAULT '[]',      -- JSON array (run_tags indexes it)
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    steps INTEGER NOT NULL DEFAULT 0,     -- highest recorded step + 1
                    final_loss REAL,
                    final_accuracy REAL,
                    wall_seconds REAL,
                    message TEXT
                );
                CREATE INDEX runs_experiment ON runs(experiment);
                CREATE INDEX runs_status ON runs(status);

                CREATE TABLE run_tags (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (run_id, tag)
                ) WITHOUT ROWID;
                CREATE INDEX run_tags_tag ON run_tags(tag);

                -- Flattened config for `key = value` filters; num holds numbers for value matches.
                CREATE TABLE run_config (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    num REAL,
                    PRIMARY KEY (run_id, key)
                ) WITHOUT ROWID;
                CREATE INDEX run_config_value ON run_config(key, value);
                CREATE INDEX run_config_num ON run_config(key, num);

                CREATE TABLE metrics (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    epoch INTEGER NOT NULL,
                    loss REAL,
                    accuracy REAL,
                    grad_norm REAL,
                    lr REAL,
                    PRIMARY KEY (run_id, step)
                ) WITHOUT ROWID;

                CREATE TABLE evals (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    loss REAL,
                    accuracy REAL,
                    PRIMARY KEY (run_id, step)
                ) WITHOUT ROWID;

                -- One row per probed step and Dense layer (LayerStats; saturated/dead are fractions).
                CREATE TABLE probe (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    layer INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    activation TEXT,
                    grad_norm REAL, grad_rms REAL, grad_max_abs REAL, grad_mean_abs REAL,
                    grad_zero_fraction REAL, grad_nonfinite INTEGER, bias_grad_norm REAL,
                    weight_norm REAL, weight_std REAL, update_norm REAL, update_ratio REAL,
                    activation_mean REAL, activation_std REAL, activation_nonfinite INTEGER,
                    saturated REAL, dead REAL,
                    delta_norm REAL, delta_nonfinite INTEGER, gain REAL, gain_product REAL,
                    jacobian_sigma_max REAL, jacobian_mean_sq_sigma REAL,
                    PRIMARY KEY (run_id, step, layer)
                ) WITHOUT ROWID;

                -- One row per probed step and recurrent layer (TimeStats); the per-time-step
                -- gradient norms ‖∂L/∂h_t‖ as a JSON array (non-finite entries null).
                CREATE TABLE time_probe (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    cell TEXT NOT NULL,
                    first_to_last REAL,
                    weight_hh_grad_norm REAL, weight_ih_grad_norm REAL,
                    spectral_radius REAL, sigma_max REAL,
                    gate_near_zero REAL, gate_near_one REAL, hidden_saturated REAL,
                    grad_norm_by_time TEXT NOT NULL,
                    PRIMARY KEY (run_id, step, name)
                ) WITHOUT ROWID;

                CREATE TABLE verdicts (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    layers TEXT NOT NULL,                 -- comma-separated 1-based Dense layers
                    first_step INTEGER NOT NULL,
                    predicted INTEGER NOT NULL,
                    evidence TEXT NOT NULL,
                    json TEXT NOT NULL                    -- the whole Verdict
                );
                CREATE INDEX verdicts_run ON verdicts(run_id);
                CREATE INDEX verdicts_kind ON verdicts(kind);

                CREATE TABLE artifacts (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    path TEXT NOT NULL,                   -- relative to the runs directory
                    created_at REAL NOT NULL
                );
                CREATE INDEX artifacts_run ON artifacts(run_id);
                """)
        }
        // v2: a run can be `interrupted` (a server shut down mid-run). SQLite cannot alter a CHECK,
        // so the table is rebuilt; GRDB turns foreign keys off for the migration and checks them after.
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE runs_v2 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    experiment TEXT,
                    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed', 'stopped', 'interrupted')),
                    config TEXT NOT NULL,
                    tags TEXT NOT NULL DEFAULT '[]',
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    steps INTEGER NOT NULL DEFAULT 0,
                    final_loss REAL,
                    final_accuracy REAL,
                    wall_seconds REAL,
                    message TEXT
                );
                INSERT INTO runs_v2 SELECT * FROM runs;
                DROP TABLE runs;
                ALTER TABLE runs_v2 RENAME TO runs;
                CREATE INDEX runs_experiment ON runs(experiment);
                CREATE INDEX runs_status ON runs(status);
                """)
        }
        return m
    }
}
