-- Payment core, part 1: payment and refund orders, their history/outbox events and the
-- query-back queue (core/order). Times are Unix microseconds, UTC; 0 = not set.
CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL,
    order_no           TEXT NOT NULL,
    channel            TEXT NOT NULL,
    account            TEXT NOT NULL,
    channel_order_no   TEXT NOT NULL,
    channel_order_time BIGINT NOT NULL,
    channel_txn_id     TEXT NOT NULL DEFAULT '',
    method             TEXT NOT NULL,
    amount             BIGINT NOT NULL CHECK (amount > 0),
    currency           TEXT NOT NULL,
    refunded           BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    subject            TEXT NOT NULL,
    notify_url         TEXT NOT NULL,
    state              TEXT NOT NULL,
    unresolved         SMALLINT NOT NULL DEFAULT 0,
    alert              TEXT NOT NULL DEFAULT '',
    expires_at         BIGINT NOT NULL,
    paid_at            BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL,
    UNIQUE (merchant_id, order_no),
    UNIQUE (account, channel_order_no)
);

CREATE TABLE refunds (
    id                  TEXT PRIMARY KEY,
    payment_id          TEXT NOT NULL REFERENCES payments (id),
    merchant_id         TEXT NOT NULL,
    refund_no           TEXT NOT NULL,
    channel_refund_no   TEXT NOT NULL,
    channel_refund_time BIGINT NOT NULL,
    channel_refund_id   TEXT NOT NULL DEFAULT '',
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL,
    fee_returned        BIGINT NOT NULL DEFAULT 0,
    reason              TEXT NOT NULL,
    state               TEXT NOT NULL,
    unresolved          SMALLINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    completed_at        BIGINT NOT NULL,
    version             BIGINT NOT NULL,
    UNIQUE (merchant_id, refund_no)
);
CREATE INDEX refunds_payment ON refunds (payment_id);

CREATE TABLE order_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    order_kind  TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    cause       TEXT NOT NULL,
    ref         TEXT NOT NULL,
    at          BIGINT NOT NULL,
    version     BIGINT NOT NULL
);
-- A transition's reference is applied once per order (duplicate notifications, retried calls).
CREATE UNIQUE INDEX order_events_ref ON order_events (order_id, ref) WHERE ref <> '';
CREATE INDEX order_events_payment ON order_events (payment_id, seq);

CREATE TABLE order_queries (
    order_id    TEXT PRIMARY KEY,
    order_kind  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX order_queries_due ON order_queries (next_at);
