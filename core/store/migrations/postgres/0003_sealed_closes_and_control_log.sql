-- Seals cover what the day close concluded, and control data gets a change log.
--
-- day_closes gains the fields of a version-2 seal: the previous seal's day, a digest of the
-- day's closing rows, and the head of the change log. Seals stored before keep them empty
-- and stay version 1: their signatures still verify, and `ledger verify` says they predate
-- sealed closing rows.
--
-- control_log is a hash chain of every change to the chart and to account attributes (the
-- state after the change, as JSON). Open adopts the chart and accounts that exist when this
-- migration runs as its first changes (memo "adopted at upgrade"), in the same transaction.
ALTER TABLE day_closes ADD COLUMN prev_day TEXT NOT NULL DEFAULT '';
ALTER TABLE day_closes ADD COLUMN rows_digest BYTEA;
ALTER TABLE day_closes ADD COLUMN control_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE day_closes ADD COLUMN control_hash BYTEA;

CREATE TABLE control_log (
	seq       BIGINT PRIMARY KEY,
	at        BIGINT NOT NULL,   -- unix nanoseconds UTC; 0 for adopted records
	subject   TEXT NOT NULL,      -- 'chart' or 'account'
	body      TEXT NOT NULL,      -- JSON: the chart code or the account's attributes after the change
	memo      TEXT NOT NULL DEFAULT '',
	prev_hash BYTEA NOT NULL,
	hash      BYTEA NOT NULL
);
