-- The last reconciliation report of each sale, as the JSON the admin API answers.
CREATE TABLE IF NOT EXISTS reconciliation_reports (
    sale_id       INTEGER PRIMARY KEY REFERENCES sales (id),
    status        TEXT    NOT NULL,
    report        TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);
