package store

import "context"

// SetCheckpointEvery lowers how many entries accumulate after bal_seq before Append folds
// them into the stored counters, so tests cross many checkpoints with few postings.
func SetCheckpointEvery(d *DB, n int64) { d.checkpointEvery = n }

// OpenAt opens dsn with the migrations up to version applied, no further.
func OpenAt(ctx context.Context, dsn string, version int) (*DB, error) {
	d, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx, version); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// Rebind rewrites a query's ? placeholders for d's dialect.
func Rebind(d *DB, q string) string { return d.q(q) }

// StatementNotApplied is statementNotApplied (tests).
var StatementNotApplied = statementNotApplied
