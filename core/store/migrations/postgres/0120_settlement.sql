-- Clearing (core/clearing): settlement batches, one per merchant, clearing day (YYYY-MM-DD),
-- currency and sequence (1, then supplements for what arrived after the first run), and the
-- indexes that let a day's succeeded payments and refunds be read without scanning history.
CREATE TABLE settlement_batches (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq > 0),
    currency    TEXT NOT NULL,
    pay_on      TEXT NOT NULL,
    payments    BIGINT NOT NULL,
    refunds     BIGINT NOT NULL,
    gross       BIGINT NOT NULL,
    refunded    BIGINT NOT NULL,
    fees        BIGINT NOT NULL,
    net         BIGINT NOT NULL CHECK (net = gross - refunded - fees),
    entry_seq   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    UNIQUE (merchant_id, day, currency, seq)
);
CREATE INDEX settlement_batches_day ON settlement_batches (day);
CREATE INDEX payments_channel_paid ON payments (channel, paid_at);
CREATE INDEX refunds_completed ON refunds (completed_at);
-- The business records behind clearing's other ledger entries (funds arriving, splits), so the
-- ledger's voucher check can look every voucher up outside the ledger.
CREATE TABLE clearing_records (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    currency   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
