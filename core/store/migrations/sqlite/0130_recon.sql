-- Reconciliation (core/recon). Times are Unix microseconds, UTC; days are 'YYYY-MM-DD'
-- (the channel's accounting day). Amounts are minor units.

-- The local side streams by channel account and paid (completed) time.
CREATE INDEX payments_account_paid ON payments (account, paid_at);
CREATE INDEX IF NOT EXISTS refunds_completed ON refunds (completed_at); -- also made by 0120 (settlement)

-- One row per difference found; a re-run of a day replaces its open and waiting rows and
-- keeps the resolved ones.
CREATE TABLE recon_items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account        TEXT NOT NULL,
    channel        TEXT NOT NULL,
    day            TEXT NOT NULL,
    class          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    no             TEXT NOT NULL,
    order_no       TEXT NOT NULL,
    local_id       TEXT NOT NULL,
    txn_id         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    local_amount   BIGINT NOT NULL,
    channel_amount BIGINT NOT NULL,
    local_fee      BIGINT NOT NULL,
    channel_fee    BIGINT NOT NULL,
    local_state    TEXT NOT NULL,
    channel_status TEXT NOT NULL,
    at             BIGINT NOT NULL,
    status         TEXT NOT NULL,
    note           TEXT NOT NULL,
    carried_to     TEXT NOT NULL DEFAULT '',
    UNIQUE (account, day, kind, no, class)
);
CREATE INDEX recon_items_day ON recon_items (account, day, status);

-- The audit of every resolution: who, when, why, what was done. Append-only.
CREATE TABLE recon_resolutions (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES recon_items (id),
    action  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX recon_resolutions_item ON recon_resolutions (item_id, id);

-- The last run's summary (a recon.Result as JSON) per account and day.
CREATE TABLE recon_runs (
    account TEXT NOT NULL,
    day     TEXT NOT NULL,
    result  TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (account, day)
);
