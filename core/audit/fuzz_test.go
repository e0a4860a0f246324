package audit_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
)

// memStore is an audit.Store over a slice, for fuzzing Verify with any stored content.
type memStore struct {
	head   audit.Head
	noHead bool
	recs   []*audit.Record
}

func (m *memStore) AuditHead(context.Context) (audit.Head, error) {
	if m.noHead {
		return audit.Head{}, audit.ErrNoHead
	}
	return m.head, nil
}
func (m *memStore) AppendAudit(context.Context, audit.Head, []*audit.Record) error { return nil }
func (m *memStore) AuditRecords(_ context.Context, _ audit.Filter, fn func(*audit.Record) error) error {
	for _, r := range m.recs {
		c := *r
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}
func (m *memStore) AuditScan(ctx context.Context, fn func(*audit.Record) error) (audit.Head, error) {
	if err := m.AuditRecords(ctx, audit.Filter{}, fn); err != nil {
		return audit.Head{}, err
	}
	return m.AuditHead(ctx)
}

// chain returns n valid chained records and their head.
func chain(n int) ([]*audit.Record, audit.Head) {
	var recs []*audit.Record
	prev := audit.Zero()
	for i := 1; i <= n; i++ {
		r := &audit.Record{Seq: int64(i), At: time.Unix(1_800_000_000, int64(i)).UTC(), Actor: "u", Action: "balance.query", Account: "w", IP: "192.0.2.1", Result: "ok", PrevHash: prev}
		r.Hash = audit.Hash(r)
		prev = r.Hash
		recs = append(recs, r)
	}
	return recs, audit.Head{Seq: int64(n), Hash: prev}
}

// FuzzVerify: whatever an insider changes in the stored records or the head, Verify does
// not panic, and it reports a problem unless the stored log is exactly what was written.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), uint8(0), int64(0), "", []byte(nil))
	f.Add(uint8(2), uint8(1), int64(7), "x", []byte{1})
	f.Add(uint8(4), uint8(3), int64(-1), "ok", []byte{0xff})
	f.Add(uint8(1), uint8(9), int64(3), "", []byte(nil))
	f.Fuzz(func(t *testing.T, idx, op uint8, n int64, s string, b []byte) {
		recs, head := chain(6)
		st := &memStore{head: head, recs: recs}
		i := int(idx) % len(recs)
		r := recs[i]
		switch op % 10 {
		case 0:
			r.Result = s
		case 1:
			r.Seq = n
		case 2:
			r.At = time.Unix(0, n).UTC()
		case 3:
			r.PrevHash = b
		case 4:
			r.Hash = b
		case 5: // delete a record
			st.recs = append(st.recs[:i:i], st.recs[i+1:]...)
		case 6: // swap the contents of two positions, each keeping its seq
			j := (i + 1) % len(recs)
			a, b := *recs[j], *recs[i]
			a.Seq, b.Seq = int64(i+1), int64(j+1)
			st.recs[i], st.recs[j] = &a, &b
		case 7: // move the head
			st.head = audit.Head{Seq: n, Hash: b}
		case 8: // truncate
			st.recs = st.recs[:i]
		case 9:
			st.noHead = true
		}
		rp, err := audit.Verify(context.Background(), st, audit.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, wantHead := chain(6)
		same := len(st.recs) == len(want) && !st.noHead && st.head.Seq == wantHead.Seq && bytes.Equal(st.head.Hash, wantHead.Hash)
		for k := 0; same && k < len(want); k++ {
			a, w := st.recs[k], want[k]
			same = a.Seq == w.Seq && a.At.Equal(w.At) && a.Actor == w.Actor && a.Action == w.Action && a.Account == w.Account &&
				a.IP == w.IP && a.Result == w.Result && bytes.Equal(a.PrevHash, w.PrevHash) && bytes.Equal(a.Hash, w.Hash)
		}
		if same != rp.OK() {
			t.Fatalf("op %d on record %d: log unchanged=%v but Verify OK=%v: %v", op%10, i, same, rp.OK(), rp.Problems)
		}
	})
}
