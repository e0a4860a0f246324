-- Audit log (core/audit): append-only, hash-chained records of who did what to which
-- account, when (Unix nanoseconds, UTC), from where and with what result. seq is assigned by
-- the log's writer (gapless, from 1), not by the database, because it is part of each hash.
-- audit_head is the anchor: the last record's seq and hash, moved in the same transaction as
-- the records, so a tail cut off the log shows. Nothing ever updates or deletes a record.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    account   TEXT NOT NULL,
    ip        TEXT NOT NULL,
    result    TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
CREATE INDEX audit_log_account ON audit_log (account, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
