-- The same tables and guards as PostgreSQL's 0001_initial.sql, in SQLite's dialect, plus the gate's journal.
CREATE TABLE sales (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT    NOT NULL,
    product_id              TEXT    NOT NULL,
    price                   TEXT    NOT NULL,           -- decimal as text: no binary rounding
    stock                   INTEGER NOT NULL CHECK (stock > 0),
    available_stock         INTEGER NOT NULL,
    per_user_limit          INTEGER NOT NULL CHECK (per_user_limit > 0),
    starts_at_ms            INTEGER NOT NULL,
    ends_at_ms              INTEGER NOT NULL,
    payment_timeout_seconds INTEGER NOT NULL CHECK (payment_timeout_seconds > 0),
    version                 INTEGER NOT NULL DEFAULT 0,
    created_at_ms           INTEGER NOT NULL,
    CONSTRAINT sales_available_stock_range CHECK (available_stock >= 0 AND available_stock <= stock),
    CONSTRAINT sales_window CHECK (ends_at_ms > starts_at_ms)
);

CREATE TABLE orders (
    order_id        INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales (id),
    user_id         TEXT    NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    request_id      TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled', 'failed')),
    accepted_at_ms  INTEGER NOT NULL,
    persisted_at_ms INTEGER NOT NULL,
    failure         TEXT
);
CREATE INDEX orders_sale_user ON orders (sale_id, user_id);
CREATE INDEX orders_sale_status ON orders (sale_id, status);

CREATE TABLE user_purchases (
    sale_id        INTEGER NOT NULL REFERENCES sales (id),
    user_id        TEXT    NOT NULL,
    purchased      INTEGER NOT NULL,
    purchase_limit INTEGER NOT NULL,
    PRIMARY KEY (sale_id, user_id),
    CONSTRAINT user_purchases_within_limit CHECK (purchased >= 0 AND purchased <= purchase_limit)
);

-- The in-process gate's ledger: written (and synced) before a purchase is answered 202.
CREATE TABLE intents (
    order_id       INTEGER PRIMARY KEY,
    sale_id        INTEGER NOT NULL,
    user_id        TEXT    NOT NULL,
    quantity       INTEGER NOT NULL,
    request_id     TEXT    NOT NULL,
    accepted_at_ms INTEGER NOT NULL,
    returned       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX intents_sale ON intents (sale_id);
