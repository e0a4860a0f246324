package ledger

// QueueLen is how many requests wait for the writer: tests use it to make requests share a
// batch.
func QueueLen(l *Ledger) int { return len(l.q) }
