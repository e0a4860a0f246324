-- Ledger schema (SQLite). Amounts are INTEGER minor units; days are TEXT 'YYYY-MM-DD' (Beijing
-- accounting day); times are INTEGER unix nanoseconds UTC.
CREATE TABLE chart (
	code   TEXT PRIMARY KEY,
	parent TEXT NOT NULL DEFAULT '',
	name   TEXT NOT NULL,
	type   TEXT NOT NULL,
	normal TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
	id          INTEGER PRIMARY KEY,
	code        TEXT NOT NULL REFERENCES chart(code),
	owner_kind  TEXT NOT NULL,
	owner_id    TEXT NOT NULL,
	currency    TEXT NOT NULL,
	name        TEXT NOT NULL,
	flags       INTEGER NOT NULL,
	age_limit_s INTEGER NOT NULL DEFAULT 0,
	dp INTEGER NOT NULL DEFAULT 0,
	cp INTEGER NOT NULL DEFAULT 0,
	dh INTEGER NOT NULL DEFAULT 0,
	ch INTEGER NOT NULL DEFAULT 0,
	UNIQUE (code, owner_kind, owner_id, currency)
);

CREATE TABLE entries (
	seq       INTEGER PRIMARY KEY,
	idem_key  TEXT NOT NULL UNIQUE,
	kind      TEXT NOT NULL,
	day       TEXT NOT NULL,
	late_for  TEXT NOT NULL DEFAULT '',
	posted_at INTEGER NOT NULL,
	ref       INTEGER NOT NULL DEFAULT 0,
	v_kind    TEXT NOT NULL,
	v_id      TEXT NOT NULL,
	v_amount  INTEGER NOT NULL,
	v_cur     TEXT NOT NULL,
	memo      TEXT NOT NULL DEFAULT '',
	fp        BLOB NOT NULL,
	prev_hash BLOB NOT NULL,
	hash      BLOB NOT NULL
);
CREATE INDEX entries_day ON entries(day);
CREATE UNIQUE INDEX entries_reversal ON entries(ref) WHERE kind = 'reverse';

CREATE TABLE lines (
	seq        INTEGER NOT NULL,
	idx        INTEGER NOT NULL,
	account_id INTEGER NOT NULL,
	side       TEXT NOT NULL,
	effect     INTEGER NOT NULL,
	amount     INTEGER NOT NULL,
	currency   TEXT NOT NULL,
	PRIMARY KEY (seq, idx)
) WITHOUT ROWID;

CREATE TABLE vouchers (
	kind     TEXT NOT NULL,
	id       TEXT NOT NULL,
	amount   INTEGER NOT NULL,
	currency TEXT NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE holds (
	seq       INTEGER PRIMARY KEY,
	debit     INTEGER NOT NULL,
	credit    INTEGER NOT NULL,
	amount    INTEGER NOT NULL,
	currency  TEXT NOT NULL,
	remaining INTEGER NOT NULL
);

CREATE TABLE ledger_head (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	seq         INTEGER NOT NULL,
	hash        BLOB NOT NULL,
	last_closed TEXT NOT NULL DEFAULT '',
	-- gen counts every write transaction, so a writer can tell whether its cached accounts
	-- are still current.
	gen         INTEGER NOT NULL DEFAULT 0,
	-- bal_seq: the counters in accounts (dp, cp, dh, ch) sum the lines of entries up to
	-- bal_seq; an account's balance is those counters plus its lines after bal_seq. The
	-- writer folds that tail into the counters every few thousand entries instead of
	-- rewriting every touched account in every batch.
	bal_seq     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO ledger_head (id, seq, hash, last_closed) VALUES (1, 0, zeroblob(32), '');

CREATE TABLE day_closes (
	day       TEXT PRIMARY KEY,
	head_seq  INTEGER NOT NULL,
	head_hash BLOB NOT NULL,
	closed_at INTEGER NOT NULL,
	key_id    TEXT NOT NULL DEFAULT '',
	signature BLOB
) WITHOUT ROWID;

CREATE TABLE day_balances (
	day        TEXT NOT NULL,
	account_id INTEGER NOT NULL,
	o_dp INTEGER NOT NULL, o_cp INTEGER NOT NULL, o_dh INTEGER NOT NULL, o_ch INTEGER NOT NULL,
	m_dp INTEGER NOT NULL, m_cp INTEGER NOT NULL, m_dh INTEGER NOT NULL, m_ch INTEGER NOT NULL,
	c_dp INTEGER NOT NULL, c_cp INTEGER NOT NULL, c_dh INTEGER NOT NULL, c_ch INTEGER NOT NULL,
	PRIMARY KEY (day, account_id)
) WITHOUT ROWID;
