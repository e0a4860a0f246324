-- Risk case log (core/risk): every assessment with its inputs, the rules that fired (hits,
-- JSON) and the verdict, for review. Times are Unix microseconds, UTC. Amounts are minor
-- units. Inputs are identifiers only: card fingerprints, never card numbers.
CREATE TABLE risk_cases (
    seq              BIGSERIAL PRIMARY KEY,
    id               TEXT NOT NULL,
    at               BIGINT NOT NULL,
    merchant_id      TEXT NOT NULL,
    order_no         TEXT NOT NULL,
    method           TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    payer            TEXT NOT NULL,
    card_fingerprint TEXT NOT NULL,
    device_id        TEXT NOT NULL,
    client_ip        TEXT NOT NULL,
    verdict          TEXT NOT NULL,
    rule             TEXT NOT NULL,
    hits             TEXT NOT NULL
);
CREATE INDEX risk_cases_order ON risk_cases (merchant_id, order_no);
CREATE INDEX risk_cases_verdict ON risk_cases (verdict, at);
