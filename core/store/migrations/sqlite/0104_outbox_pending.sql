-- Claims look only at pending deliveries, in event order: a partial index over them keeps a
-- claim's cost proportional to what is pending, not to every delivery ever made, and lets the
-- claim read pending rows in event order instead of sorting them (the older index on
-- (consumer, state, next_at) led planners to scan and sort every pending row per claim).
DROP INDEX order_outbox_due;
CREATE INDEX order_outbox_pending ON order_outbox (consumer, event_seq) WHERE state = 0;
CREATE INDEX order_outbox_pending_payment ON order_outbox (consumer, payment_id, event_seq) WHERE state = 0;
