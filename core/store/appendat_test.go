package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestOneShot_StoredKeysAndVouchersStillGetTheirAnswers: the writer's one-shot append does
// not look keys and vouchers up; a key or voucher stored by an earlier batch must still get
// exactly the answer the ordinary path gives (the same entry, a conflict, a mismatch) and
// nothing may be written twice.
func TestOneShot_StoredKeysAndVouchersStillGetTheirAnswers(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		l := openLedger(t, db, clock.NewVirtual(start))
		b := setupBooks(t, l, 2)
		first, err := l.Post(ctx, b.payment("k1", 0, 500))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Post(ctx, b.payment("k2", 1, 300)); err != nil { // the writer's head is now its own
			t.Fatal(err)
		}
		again, err := l.Post(ctx, b.payment("k1", 0, 500))
		if err != nil || again.Seq != first.Seq {
			t.Fatalf("retry of k1: %v, entry %v (first %d)", err, again, first.Seq)
		}
		if _, err := l.Post(ctx, b.payment("k1", 0, 501)); !errors.Is(err, ledger.ErrIdempotencyConflict) {
			t.Fatalf("k1 with other content: %v", err)
		}
		// The voucher of k1 (order k1, 500) used again by a new key: same amount is fine…
		p := b.payment("k3", 1, 500)
		p.Voucher.ID = "k1"
		if _, err := l.Post(ctx, p); err != nil {
			t.Fatalf("voucher reused with its amount: %v", err)
		}
		// …another amount is refused.
		p = b.payment("k4", 1, 700)
		p.Voucher.ID = "k1"
		if _, err := l.Post(ctx, p); !errors.Is(err, ledger.ErrVoucherMismatch) {
			t.Fatalf("voucher reused with another amount: %v", err)
		}
		bal, err := l.Balance(ctx, b.hot)
		if err != nil || bal.Posted != money.Fen(499+299+499) {
			t.Fatalf("hot %v (%v), want 12.97", bal.Posted, err)
		}
		if r, err := l.Verify(ctx, ledger.VerifyOptions{}); err != nil || !r.OK() {
			t.Fatalf("verify: %v %+v", err, r)
		}
	})
}

// TestAppendAt_AppliesNothingOnAStaleView: AppendAt with a head that is not the store's, or
// a voucher stored with another amount, writes nothing and says ErrStale.
func TestAppendAt_AppliesNothingOnAStaleView(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		l := openLedger(t, db, clock.NewVirtual(start))
		b := setupBooks(t, l, 1)
		if _, err := l.Post(ctx, b.payment("k1", 0, 500)); err != nil {
			t.Fatal(err)
		}
		var head ledger.Head
		var e1 *ledger.Entry
		if err := db.Read(ctx, func(tx ledger.ReadTx) error {
			var err error
			if head, err = tx.Head(ctx); err != nil {
				return err
			}
			e1, err = tx.Entry(ctx, head.Seq)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		next := func(voucherAmount int64) *ledger.Batch {
			e := *e1
			e.Seq, e.Key, e.PrevHash = head.Seq+1, "k-next", head.Hash
			e.Voucher = ledger.Voucher{Kind: ledger.VoucherOrder, ID: "k1", Amount: money.Fen(voucherAmount)}
			e.Hash = ledger.EntryHash(&e)
			h := head
			h.Seq, h.Hash, h.Gen = e.Seq, e.Hash, head.Gen+1
			return &ledger.Batch{Entries: []*ledger.Entry{&e}, NewVouchers: []ledger.Voucher{e.Voucher}, Head: h}
		}
		stale := head
		stale.Gen--
		for name, c := range map[string]struct {
			prev ledger.Head
			b    *ledger.Batch
		}{
			"head moved":      {stale, next(500)},
			"voucher differs": {head, next(501)},
		} {
			if err := db.AppendAt(ctx, c.prev, c.b); !errors.Is(err, ledger.ErrStale) {
				t.Errorf("%s: %v, want ErrStale", name, err)
			}
			var after ledger.Head
			if err := db.Read(ctx, func(tx ledger.ReadTx) error { var err error; after, err = tx.Head(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			if after.Seq != head.Seq || after.Gen != head.Gen {
				t.Errorf("%s: head moved to %d/%d", name, after.Seq, after.Gen)
			}
		}
		// The same batch on the true head applies.
		if err := db.AppendAt(ctx, head, next(500)); err != nil {
			t.Fatalf("append at the true head: %v", err)
		}
	})
}

// TestStatementNotApplied: only a server's error answer (or nothing sent) proves a one-shot
// append changed nothing; a lost connection or a cancelled context may hide a commit.
func TestStatementNotApplied(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"server error", fmt.Errorf("exec: %w", &pgconn.PgError{Code: "23505", Message: "duplicate key"}), true},
		{"lost connection", errors.New("unexpected EOF"), false},
		{"cancelled", fmt.Errorf("query: %w", context.Canceled), false},
	} {
		if got := store.StatementNotApplied(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
