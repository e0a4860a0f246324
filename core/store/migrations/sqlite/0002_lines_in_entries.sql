-- An entry's lines move into its row (entries.lines, JSON: [[account_id,"side",effect,amount,"currency"],…]):
-- the writer then inserts one row per entry instead of one plus one per line. The lines table
-- becomes a view of the same name and columns (plus the entry's day), so SQL that reads lines
-- keeps working. Existing lines are carried over in idx order; their chain hashes do not change
-- (the hash covers the lines' fields, not how they are stored).
ALTER TABLE entries ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';

UPDATE entries SET lines = (
	SELECT '[' || group_concat('[' || l.account_id || ',"' || l.side || '",' || l.effect || ',' || l.amount || ',"' || l.currency || '"]', ',' ORDER BY l.idx) || ']'
	FROM lines l WHERE l.seq = entries.seq)
WHERE EXISTS (SELECT 1 FROM lines l WHERE l.seq = entries.seq);

DROP TABLE lines;

CREATE VIEW lines AS
SELECT e.seq AS seq,
	CAST(j.key AS INTEGER) AS idx,
	CAST(j.value ->> 0 AS INTEGER) AS account_id,
	j.value ->> 1 AS side,
	CAST(j.value ->> 2 AS INTEGER) AS effect,
	CAST(j.value ->> 3 AS INTEGER) AS amount,
	j.value ->> 4 AS currency,
	e.day AS day
FROM entries e, json_each(e.lines) AS j;
