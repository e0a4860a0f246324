package store

// SetCheckpointEvery lowers how many entries accumulate after bal_seq before Append folds
// them into the stored counters, so tests cross many checkpoints with few postings.
func SetCheckpointEvery(d *DB, n int64) { d.checkpointEvery = n }
