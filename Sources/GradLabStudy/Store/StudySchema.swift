import GRDB

/// The review store's schema, one migration per version (append-only: never edit a registered one).
///
/// Times are Unix seconds (REAL). A card's scheduling memory lives in columns (so the next-due
/// query is one index range scan); each review row keeps the memory before and after as JSON, so
/// undo restores exactly and a scheduler change can replay history.
enum StudySchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE decks (
                    id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    source TEXT NOT NULL,
                    imported_at REAL NOT NULL
                );
                CREATE TABLE cards (
                    deck_id TEXT NOT NULL REFERENCES decks(id) ON DELETE CASCADE,
                    id TEXT NOT NULL,
                    card TEXT NOT NULL,                       -- the Card as JSON
                    position INTEGER NOT NULL,                -- order in the deck file (new cards come in it)
                    suspended INTEGER NOT NULL DEFAULT 0,     -- 1: gone from the deck file, history kept
                    state INTEGER NOT NULL DEFAULT 0,         -- CardState; 0 = never reviewed
                    step INTEGER,
                    stability REAL,
                    difficulty REAL,
                    ease REAL,
                    interval REAL,
                    due REAL NOT NULL,
                    last_review REAL,
                    reps INTEGER NOT NULL DEFAULT 0,
                    lapses INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (deck_id, id)
                ) WITHOUT ROWID;
                CREATE INDEX cards_due ON cards(suspended, state, due);
                CREATE INDEX cards_new ON cards(deck_id, suspended, state, position);
                CREATE TABLE reviews (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    deck_id TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    time REAL NOT NULL,
                    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
                    elapsed_days REAL,                        -- since the card's previous review; NULL for the first
                    scheduler TEXT NOT NULL,
                    kind TEXT NOT NULL,                       -- study, quiz or predict
                    before TEXT NOT NULL,                     -- Memory as JSON
                    after TEXT NOT NULL
                );
                CREATE INDEX reviews_time ON reviews(time);
                CREATE INDEX reviews_card ON reviews(deck_id, card_id, time);
                """)
        }
        // The next-due query: a partial index holds only seen, active cards, in due order, so the
        // earliest due card is its first entry (a full index over (suspended, state, due) cannot
        // give due order across the range of states).
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                DROP INDEX cards_due;
                CREATE INDEX cards_seen_due ON cards(due) WHERE suspended = 0 AND state > 0;
                CREATE INDEX cards_seen_deck_due ON cards(deck_id, due) WHERE suspended = 0 AND state > 0;
                """)
        }
        return m
    }
}
