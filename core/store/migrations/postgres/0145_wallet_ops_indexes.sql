-- Fewer index entries per wallet operation (each is written when the op is stored and again
-- when its final state is). Nothing reads ops by customer; the due index only needs the ops
-- that wait for something (a re-drive, a payout query), whose next_at is set.
DROP INDEX wallet_ops_customer;
DROP INDEX wallet_ops_due;
CREATE INDEX wallet_ops_due ON wallet_ops (kind, state, next_at) WHERE next_at > 0;
