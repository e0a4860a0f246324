package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/wallet"
)

// A process that stops between a transfer's steps loses nothing: the op it stored is
// re-driven by WorkOnce (of any process) once RedriveAfter has passed, exactly once.
func TestTransfer_CrashIsRedriven(t *testing.T) {
	for _, tc := range []struct {
		name      string
		crash     string
		drain     bool // the sender's money is gone before the re-drive
		wantDone  bool // the op ends done (else it is removed: nothing moved)
		wantMoved bool // the crashed call applied the entry
	}{
		{"stopped after storing the op", "after-begin", false, true, false},
		{"stopped after the entry", "after-post", false, true, true},
		{"stopped after storing the op, then refused", "after-begin", true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, dsn string) {
				f := newFixture(t, dsn, nil)
				_, a := f.customer("C1", "张三", idZhang, wallet.LevelFull)
				_, b := f.customer("C2", "李四", idLi, wallet.LevelFull)
				f.fund(a, 1000_00)
				crashed, err := wallet.New(wallet.Config{Store: f.db, Ledger: f.led, Clock: f.clk, Keyring: testKeyring(t), KDF: testKDF})
				if err != nil {
					t.Fatal(err)
				}
				wallet.SetCrash(crashed, tc.crash)

				h0 := f.head()
				req := wallet.TransferRequest{RequestNo: "T1", From: a.ID, To: b.ID, Amount: 300_00}
				_, err = crashed.Transfer(f.ctx, "M1", req)
				if tc.wantMoved != (err == nil) {
					t.Fatalf("crashed transfer: %v", err)
				}
				stored, err := f.db.WalletOpByRequest(f.ctx, "M1", wallet.OpTransfer, "T1")
				if err != nil || stored.State != wallet.OpPending || stored.NextAt.IsZero() {
					t.Fatalf("stored op after the stop: %+v %v", stored, err)
				}
				if moved := f.head() == h0+1; moved != tc.wantMoved {
					t.Fatalf("head %d after the stop (from %d)", f.head(), h0)
				}
				if tc.drain {
					if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID, Amount: 1000_00}); err != nil {
						t.Fatal(err)
					}
				}
				h1 := f.head()

				// Not due yet: a live caller may still be driving it.
				if rep, err := f.svc.WorkOnce(f.ctx); err != nil || rep.OpsRedriven != 0 {
					t.Fatalf("early re-drive: %+v %v", rep, err)
				}
				f.clk.Advance(2 * time.Minute)
				rep, err := f.svc.WorkOnce(f.ctx)
				if err != nil || rep.OpsRedriven != 1 {
					t.Fatalf("re-drive: %+v %v", rep, err)
				}
				got, err := f.db.WalletOpByRequest(f.ctx, "M1", wallet.OpTransfer, "T1")
				if !tc.wantDone {
					if !errors.Is(err, wallet.ErrNotFound) || f.head() != h1 {
						t.Fatalf("refused re-drive left %+v %v, head %d (want %d)", got, err, f.head(), h1)
					}
					return
				}
				wantSeq := h0 + 1
				if !tc.wantMoved {
					wantSeq = h1 + 1
				}
				if err != nil || got.State != wallet.OpDone || got.EntrySeq != wantSeq || !got.NextAt.IsZero() || f.head() != wantSeq {
					t.Fatalf("re-driven op %+v %v, head %d, want entry %d", got, err, f.head(), wantSeq)
				}
				// Exactly once: the balances, one statement line each side tied to the entry, and
				// a retry by the caller answers the same op.
				if va, vb := f.view(a), f.view(b); va.Available != cny(700_00) || vb.Available != cny(300_00) {
					t.Fatalf("balances %s %s", va.Available, vb.Available)
				}
				for _, x := range []struct {
					acct *wallet.Account
					side string
				}{{a, "D"}, {b, "C"}} {
					p, err := f.svc.Statement(f.ctx, "M1", x.acct.ID, "", 10)
					if err != nil {
						t.Fatal(err)
					}
					var n int
					for _, l := range p.Lines {
						if l.OpID == got.ID {
							n++
							if l.EntrySeq != wantSeq || l.Side != x.side || l.Amount != cny(300_00) {
								t.Errorf("line %+v", l)
							}
						}
					}
					if n != 1 {
						t.Errorf("%s: %d lines of the op, want 1", x.side, n)
					}
				}
				again, err := f.svc.Transfer(f.ctx, "M1", req)
				if err != nil || again.ID != got.ID || f.head() != wantSeq {
					t.Fatalf("retry: %+v %v head %d", again, err, f.head())
				}
				if rep, err := f.led.Verify(f.ctx, ledger.VerifyOptions{}); err != nil || !rep.OK() {
					t.Fatalf("verify: %v %v", rep, err)
				}
			})
		})
	}
}

// Concurrent requests never pass the day's limit together, and one request number sent by
// many callers at once is counted once, on both stores (PostgreSQL stores the op and its
// day total in one statement).
func TestTransfer_DayLimitUnderConcurrency(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		_, a := f.customer("C1", "张三", idZhang, wallet.LevelNone) // 200.00 per tx, 500.00 per day
		_, b := f.customer("C2", "李四", idLi, wallet.LevelNone)
		f.fund(a, 1000_00)
		h0 := f.head()
		run := func(n int, req func(i int) wallet.TransferRequest) ([]*wallet.Op, []error) {
			ops, errs := make([]*wallet.Op, n), make([]error, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					ops[i], errs[i] = f.svc.Transfer(f.ctx, "M1", req(i))
				}(i)
			}
			wg.Wait()
			return ops, errs
		}
		ops, errs := run(16, func(int) wallet.TransferRequest {
			return wallet.TransferRequest{RequestNo: "SAME", From: a.ID, To: b.ID, Amount: 200_00}
		})
		for i := range ops {
			if errs[i] != nil || ops[i].ID != ops[0].ID {
				t.Fatalf("caller %d of one number: %+v %v", i, ops[i], errs[i])
			}
		}
		if f.head() != h0+1 {
			t.Fatalf("one number, %d entries", f.head()-h0)
		}
		// 300.00 of the day is left: three of sixteen 100.00 transfers fit.
		_, errs = run(16, func(i int) wallet.TransferRequest {
			return wallet.TransferRequest{RequestNo: fmt.Sprintf("D%02d", i), From: a.ID, To: b.ID, Amount: 100_00}
		})
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, wallet.ErrLimit):
				t.Fatalf("unexpected refusal: %v", err)
			}
		}
		if ok != 3 || f.head() != h0+4 {
			t.Fatalf("%d of 16 transfers passed (want 3), %d entries", ok, f.head()-h0)
		}
		if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "LAST", From: a.ID, To: b.ID, Amount: 1}); !errors.Is(err, wallet.ErrLimit) {
			t.Fatalf("0.01 past the day's limit: %v", err)
		}
		if v := f.view(a); v.Available != cny(500_00) {
			t.Fatalf("sender holds %s, want 500.00", v.Available)
		}
	})
}

// A statement read while transfers keep coming waits only for the lines of the transfers
// answered before it, not for the background writer to fall idle.
func TestStatement_DoesNotWaitForIdleUnderLoad(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), nil)
	_, a := f.customer("C1", "张三", idZhang, wallet.LevelFull)
	_, b := f.customer("C2", "李四", idLi, wallet.LevelFull)
	f.fund(a, 1000_00)
	first, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T0", From: a.ID, To: b.ID, Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: fmt.Sprintf("L%d-%d", w, i), From: a.ID, To: b.ID, Amount: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	defer func() { close(stop); wg.Wait() }()
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(f.ctx, 20*time.Second)
		p, err := f.svc.Statement(ctx, "M1", a.ID, "", 1)
		cancel()
		if err != nil || len(p.Lines) != 1 || p.Lines[0].OpID != first.ID {
			t.Fatalf("statement under load: %+v %v", p, err)
		}
	}
}
