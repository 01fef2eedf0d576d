-- Sales, orders and per-user totals (the classic seckill_products / seckill_orders / user_purchases tables), made consistent.
CREATE TABLE sales (
    id                      bigint        PRIMARY KEY,
    name                    text          NOT NULL,
    product_id              text          NOT NULL,
    price                   numeric(14,2) NOT NULL CHECK (price >= 0),
    stock                   integer       NOT NULL CHECK (stock > 0),
    available_stock         integer       NOT NULL,
    per_user_limit          integer       NOT NULL CHECK (per_user_limit > 0),
    starts_at               timestamptz   NOT NULL,
    ends_at                 timestamptz   NOT NULL,
    payment_timeout_seconds integer       NOT NULL CHECK (payment_timeout_seconds > 0),
    version                 bigint        NOT NULL DEFAULT 0,
    created_at              timestamptz   NOT NULL DEFAULT now(),
    -- The last line against oversell: no write can take stock below zero or above what was put on sale.
    CONSTRAINT sales_available_stock_range CHECK (available_stock >= 0 AND available_stock <= stock),
    CONSTRAINT sales_window CHECK (ends_at > starts_at)
);

CREATE TABLE orders (
    order_id     bigint      PRIMARY KEY,
    sale_id      bigint      NOT NULL REFERENCES sales (id),
    user_id      text        NOT NULL,
    quantity     integer     NOT NULL CHECK (quantity > 0),
    request_id   text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled', 'failed')),
    accepted_at  timestamptz NOT NULL,
    persisted_at timestamptz NOT NULL DEFAULT now(),
    failure      text
);
CREATE INDEX orders_sale_user ON orders (sale_id, user_id);
CREATE INDEX orders_sale_status ON orders (sale_id, status);

-- The limit is copied into each row so a plain CHECK enforces it, with no read of sales under contention.
CREATE TABLE user_purchases (
    sale_id        bigint  NOT NULL REFERENCES sales (id),
    user_id        text    NOT NULL,
    purchased      integer NOT NULL,
    purchase_limit integer NOT NULL,
    PRIMARY KEY (sale_id, user_id),
    CONSTRAINT user_purchases_within_limit CHECK (purchased >= 0 AND purchased <= purchase_limit)
);
