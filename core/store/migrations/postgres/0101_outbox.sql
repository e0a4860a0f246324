-- The outbox's delivery side: one row per event and consumer, written with the event.
-- state: 0 pending, 1 done, 2 dead. Times are Unix microseconds, UTC.
CREATE TABLE order_outbox (
    event_seq   BIGINT NOT NULL,
    consumer    TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    state       SMALLINT NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    event_at    BIGINT NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (consumer, event_seq)
);
CREATE INDEX order_outbox_due ON order_outbox (consumer, state, next_at);
CREATE INDEX order_outbox_payment ON order_outbox (consumer, payment_id, event_seq);
