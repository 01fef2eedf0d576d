-- The last reconciliation report of each sale, as the JSON the admin API answers.
CREATE TABLE IF NOT EXISTS reconciliation_reports (
    sale_id    bigint      PRIMARY KEY REFERENCES sales (id),
    status     text        NOT NULL,
    report     jsonb       NOT NULL,
    created_at timestamptz NOT NULL
);
