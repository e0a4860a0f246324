-- Merchant API: the nonce replay cache and Idempotency-Key records (core/gateway), and the
-- look-ups the gateway's workers need. Times are Unix microseconds, UTC.
CREATE TABLE api_nonces (
    merchant_id TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, nonce)
);
CREATE INDEX api_nonces_expiry ON api_nonces (expires_at);

-- state: 0 in flight, 1 done. response is the stored JSON answer, replayed for a retry.
CREATE TABLE api_idempotency (
    merchant_id  TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        SMALLINT NOT NULL DEFAULT 0,
    status       INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, idem_key)
);
CREATE INDEX api_idempotency_expiry ON api_idempotency (expires_at);

CREATE INDEX payments_expiry ON payments (state, expires_at);
CREATE UNIQUE INDEX refunds_channel_no ON refunds (channel_refund_no);
