-- Customers, users, payment accounts, bound cards, operations and statements (core/wallet).
-- There is no balance column anywhere: balances are the ledger's (accounts.ledger_id and
-- frozen_ledger_id name the ledger accounts). Times are Unix microseconds, UTC; amounts are
-- minor units. ID numbers, card numbers and mobiles are stored sealed (SM4-GCM text form)
-- with keyed fingerprints, never in the clear.
CREATE TABLE wallet_customers (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL,
    customer_no     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    id_no_sealed    TEXT NOT NULL,
    id_no_fp        TEXT NOT NULL,
    level           INTEGER NOT NULL,
    level_note      TEXT NOT NULL,
    pw_hash         TEXT NOT NULL DEFAULT '',
    pw_failures     INTEGER NOT NULL DEFAULT 0,
    pw_locked_until BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (merchant_id, customer_no)
);

CREATE TABLE wallet_users (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES wallet_customers (id),
    merchant_id   TEXT NOT NULL,
    business_line TEXT NOT NULL,
    login         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (merchant_id, business_line, login)
);

CREATE TABLE wallet_accounts (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES wallet_customers (id),
    kind             TEXT NOT NULL,
    currency         TEXT NOT NULL,
    ledger_id        BIGINT NOT NULL,
    frozen_ledger_id BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX wallet_accounts_customer ON wallet_accounts (customer_id);

CREATE TABLE wallet_cards (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES wallet_customers (id),
    channel      TEXT NOT NULL,
    state        TEXT NOT NULL,
    pan_sealed   TEXT NOT NULL,
    pan_fp       TEXT NOT NULL,
    masked       TEXT NOT NULL,
    phone_sealed TEXT NOT NULL,
    holder       TEXT NOT NULL,
    token        TEXT NOT NULL,
    bank_code    TEXT NOT NULL,
    card_type    TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX wallet_cards_customer ON wallet_cards (customer_id);

CREATE TABLE wallet_ops (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    request_no  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    to_account  TEXT NOT NULL,
    payee       TEXT NOT NULL,
    card_id     TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    ref         TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    operator    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    hold_seq    BIGINT NOT NULL,
    entry_seq   BIGINT NOT NULL,
    reverse_seq BIGINT NOT NULL,
    attempts    INTEGER NOT NULL,
    next_at     BIGINT NOT NULL,
    limit_day   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    UNIQUE (merchant_id, kind, request_no)
);
CREATE INDEX wallet_ops_customer ON wallet_ops (customer_id, created_at);
CREATE INDEX wallet_ops_due ON wallet_ops (kind, state, next_at);

-- Each customer's total of payments, transfers and withdrawals per Beijing day, kept in the
-- transaction that stores each op, so that concurrent requests never pass the day's limit.
CREATE TABLE wallet_day_totals (
    customer_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    total       BIGINT NOT NULL,
    PRIMARY KEY (customer_id, day)
);

CREATE TABLE wallet_lines (
    seq          BIGSERIAL PRIMARY KEY,
    account_id   TEXT NOT NULL,
    entry_seq    BIGINT NOT NULL,
    side         TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    op_id        TEXT NOT NULL,
    op_kind      TEXT NOT NULL,
    voucher_kind TEXT NOT NULL,
    voucher_id   TEXT NOT NULL,
    memo         TEXT NOT NULL,
    at           BIGINT NOT NULL,
    UNIQUE (account_id, entry_seq, side)
);
