-- An entry's lines move into its row (entries.lines, JSON text: [[account_id,"side",effect,amount,"currency"],…]):
-- the writer then inserts one row per entry instead of one plus one per line. The lines table
-- becomes a view of the same name and columns (plus the entry's day), so SQL that reads lines
-- keeps working. Existing lines are carried over in idx order; their chain hashes do not change
-- (the hash covers the lines' fields, not how they are stored). The column is TEXT, not json or
-- jsonb: the writer's encoder is the only producer, and the view parses it when read.
ALTER TABLE entries ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';

UPDATE entries e SET lines = l.txt
FROM (SELECT seq, '[' || string_agg('[' || account_id || ',"' || side || '",' || effect || ',' || amount || ',"' || currency || '"]', ',' ORDER BY idx) || ']' AS txt
	FROM lines GROUP BY seq) AS l
WHERE e.seq = l.seq;

ALTER TABLE entries ALTER COLUMN lines DROP DEFAULT;

DROP TABLE lines;

CREATE VIEW lines AS
SELECT e.seq AS seq,
	(j.ord - 1)::bigint AS idx,
	(j.v ->> 0)::bigint AS account_id,
	j.v ->> 1 AS side,
	(j.v ->> 2)::bigint AS effect,
	(j.v ->> 3)::bigint AS amount,
	j.v ->> 4 AS currency,
	e.day AS day
FROM entries e CROSS JOIN LATERAL json_array_elements(e.lines::json) WITH ORDINALITY AS j(v, ord);
