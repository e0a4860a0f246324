package audit

import "context"

// Store is the persistence the audit log needs. Package core/store implements it on SQLite
// and PostgreSQL; both pass the same tests (core/store/storetest).
type Store interface {
	// AuditHead returns the stored head: Seq 0 and 32 zero bytes for an empty log;
	// ErrNoHead if the head row itself is missing.
	AuditHead(ctx context.Context) (Head, error)
	// AppendAudit stores recs, already chained after from (consecutive Seq from from.Seq+1),
	// and moves the stored head to the last of them, in one transaction. If the stored head
	// is not from, it writes nothing and returns ErrHeadMoved. A failed commit may still
	// have committed: the caller re-reads the head to find out.
	AppendAudit(ctx context.Context, from Head, recs []*Record) error
	// AuditRecords calls fn for the records that match f, in Seq order (newest first when
	// f.Newest). fn owns the record it is given.
	AuditRecords(ctx context.Context, f Filter, fn func(*Record) error) error
	// AuditScan calls fn for every record in Seq order and returns the stored head, both
	// read in one snapshot, so a log being appended to verifies clean. It returns ErrNoHead
	// (after the scan) if the head row is missing.
	AuditScan(ctx context.Context, fn func(*Record) error) (Head, error)
}

// Filter selects records for Store.AuditRecords. The zero Filter selects every record in
// order.
type Filter struct {
	After   int64  // only Seq > After
	Actor   string // only this actor ("" = any)
	Account string // only this account ("" = any)
	Newest  bool   // newest first
	Limit   int    // at most this many (0 = no limit)
}
