package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// openCheckpointing is openLedger with the writer handing over its counters every n entries.
func openCheckpointing(t *testing.T, db *store.DB, clk clock.Clock, n int64) *ledger.Ledger {
	t.Helper()
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk, CheckpointEvery: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// TestCounterCheckpoint_BalancesStayExactAndEditsAreCaught posts across many counter
// checkpoints (every 5 entries) with holds, captures and releases, and checks that balances
// are exact from the cache and from a fresh ledger, that Verify passes, and that an edited
// stored counter is still reported by the balance check.
func TestCounterCheckpoint_BalancesStayExactAndEditsAreCaught(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		store.SetCheckpointEvery(db, 7) // the store's fallback; the writer's comes first
		clk := clock.NewVirtual(start)
		l := openCheckpointing(t, db, clk, 5)
		b := setupBooks(t, l, 3)
		var hot, fees int64
		merchant := make([]int64, 3)
		for i := 0; i < 40; i++ {
			n := int64(100 + i)
			if _, err := l.Post(ctx, b.payment(fmt.Sprintf("pay-%d", i), i, n)); err != nil {
				t.Fatal(err)
			}
			hot, fees, merchant[i%3] = hot+n-1, fees+1, merchant[i%3]+n
		}
		for i := 0; i < 4; i++ {
			h, err := l.Hold(ctx, ledger.HoldRequest{Key: fmt.Sprintf("hold-%d", i), Voucher: ledger.Voucher{Kind: "preauth", ID: fmt.Sprintf("P%d", i), Amount: money.Fen(50)},
				Debit: b.merchants[0], Credit: b.hot, Amount: money.Fen(50)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Capture(ctx, ledger.CaptureRequest{Key: fmt.Sprintf("cap-%d", i), Voucher: ledger.Voucher{Kind: "capture", ID: fmt.Sprintf("C%d", i), Amount: money.Fen(20)},
				Hold: h.Seq, Amount: money.Fen(20)}); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := l.Release(ctx, ledger.ReleaseRequest{Key: fmt.Sprintf("rel-%d", i), Voucher: ledger.Voucher{Kind: "release", ID: fmt.Sprintf("R%d", i)}, Hold: h.Seq}); err != nil {
					t.Fatal(err)
				}
			}
			merchant[0] -= 20
			hot -= 20
		}
		var balSeq int64
		if err := db.SQL().QueryRow(`SELECT bal_seq FROM ledger_head`).Scan(&balSeq); err != nil || balSeq < 40 {
			t.Fatalf("bal_seq %d (%v): no checkpoint was taken", balSeq, err)
		}
		// Two holds stay open with 30 each, held on both sides (pending debit of the merchant,
		// pending credit of the debit-normal hot account).
		want := map[ledger.AccountID][3]int64{b.hot: {hot, 60, 0}, b.fees: {fees, 0, 0},
			b.merchants[0]: {merchant[0], 60, 0}, b.merchants[1]: {merchant[1], 0, 0}, b.merchants[2]: {merchant[2], 0, 0}}
		fresh := openCheckpointing(t, db, clk, 5) // reads the store, not the writer's cache
		for _, lg := range []*ledger.Ledger{l, fresh} {
			for id, w := range want {
				bal, err := lg.Balance(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if got := [3]int64{bal.Posted.Minor(), bal.Held.Minor(), bal.Incoming.Minor()}; got != w {
					t.Fatalf("account %d: posted/held/incoming %v, want %v", id, got, w)
				}
			}
		}
		if r, err := l.Verify(ctx, ledger.VerifyOptions{}); err != nil || !r.OK() {
			t.Fatalf("verify: %v %+v", err, r)
		}
		if _, err := db.SQL().Exec(`UPDATE accounts SET cp = cp + 1 WHERE id = ` + fmt.Sprint(int64(b.merchants[1]))); err != nil {
			t.Fatal(err)
		}
		r, err := l.Verify(ctx, ledger.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rec := fmt.Sprintf("account %d", b.merchants[1])
		if !r.Check(ledger.CheckBalances).Names(rec) {
			t.Fatalf("edited stored counter not reported: %+v", r.Check(ledger.CheckBalances))
		}
	})
}

// TestCounterCheckpoint_LineEditedBeforeTheCheckpointFailsTheBalanceCheck edits two lines of
// a recent entry (balanced, so only the hash chain and the balances can tell) while it is
// still after the checkpoint, then posts past the next checkpoint: the writer's counters,
// which never saw the edit, make the balance check report the accounts.
func TestCounterCheckpoint_LineEditedBeforeTheCheckpointFailsTheBalanceCheck(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		store.SetCheckpointEvery(db, 1000)
		clk := clock.NewVirtual(start)
		l := openCheckpointing(t, db, clk, 5)
		b := setupBooks(t, l, 3)
		post := func(lg *ledger.Ledger, from, to int) {
			for i := from; i < to; i++ {
				if _, err := lg.Post(ctx, b.payment(fmt.Sprintf("pay-%d", i), i, int64(100+i))); err != nil {
					t.Fatal(err)
				}
			}
		}
		post(l, 0, 7)
		var balSeq, head int64
		if err := db.SQL().QueryRow(`SELECT bal_seq, seq FROM ledger_head`).Scan(&balSeq, &head); err != nil || balSeq == head {
			t.Fatalf("want a tail after the checkpoint: bal_seq %d head %d (%v)", balSeq, head, err)
		}
		raiseFeeAndMerchant(t, db, head)
		post(l, 7, 20)
		if err := db.SQL().QueryRow(`SELECT bal_seq FROM ledger_head`).Scan(&balSeq); err != nil || balSeq < head {
			t.Fatalf("bal_seq %d (%v) did not pass entry %d", balSeq, err, head)
		}
		r, err := l.Verify(ctx, ledger.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rec := fmt.Sprintf("account %d", b.fees)
		if !r.Check(ledger.CheckBalances).Names(rec) {
			t.Fatalf("edited tail line not reported by the balance check: %+v", r.Check(ledger.CheckBalances))
		}
	})
}

// TestCounterCheckpoint_DefaultCatchesAnEditedLineAfterAnOp: with the default checkpoint
// (every batch) the stored counters are always the writer's own, even across an op that
// makes the writer re-read its accounts, so an edited line fails the balance check.
func TestCounterCheckpoint_DefaultCatchesAnEditedLineAfterAnOp(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		store.SetCheckpointEvery(db, 1000)
		clk := clock.NewVirtual(start)
		l := openLedger(t, db, clk)
		b := setupBooks(t, l, 3)
		post := func(lg *ledger.Ledger, from, to int) {
			for i := from; i < to; i++ {
				if _, err := lg.Post(ctx, b.payment(fmt.Sprintf("pay-%d", i), i, int64(100+i))); err != nil {
					t.Fatal(err)
				}
			}
		}
		post(l, 0, 7)
		var balSeq, head int64
		if err := db.SQL().QueryRow(`SELECT bal_seq, seq FROM ledger_head`).Scan(&balSeq, &head); err != nil || balSeq != head {
			t.Fatalf("default checkpoint: bal_seq %d head %d (%v)", balSeq, head, err)
		}
		// An op in between (it changes the store's generation, not the counters).
		if _, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: "2202", OwnerKind: ledger.OwnerMerchant, OwnerID: "late", Currency: money.CNY, Name: "late"}); err != nil {
			t.Fatal(err)
		}
		raiseFeeAndMerchant(t, db, head)
		post(l, 7, 20)
		if err := db.SQL().QueryRow(`SELECT bal_seq FROM ledger_head`).Scan(&balSeq); err != nil || balSeq < head {
			t.Fatalf("bal_seq %d (%v) did not pass entry %d", balSeq, err, head)
		}
		r, err := l.Verify(ctx, ledger.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rec := fmt.Sprintf("account %d", b.fees)
		if !r.Check(ledger.CheckBalances).Names(rec) {
			t.Fatalf("edited tail line not reported by the balance check: %+v", r.Check(ledger.CheckBalances))
		}
	})
}

// raiseFeeAndMerchant edits entry seq (a books.payment) behind the ledger's back: Dr fees
// 1 -> 2, Cr merchant n -> n+1, still balanced.
func raiseFeeAndMerchant(t *testing.T, db *store.DB, seq int64) {
	t.Helper()
	storetest.EditLines(t, db, seq, func(ls []ledger.Line) []ledger.Line {
		for _, i := range []int{1, 2} {
			ls[i].Amount = money.New(ls[i].Amount.Minor()+1, ls[i].Amount.Currency())
		}
		return ls
	})
}
