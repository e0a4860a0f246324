package wallet_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/wallet"
)

func TestTransfer_OneEntryIdempotentAndRefusalsChangeNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		_, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
		_, b := f.customer("C2", "李四", idLi, wallet.LevelNone)
		f.fund(a, 1000_00)

		h0 := f.head()
		req := wallet.TransferRequest{RequestNo: "T1", From: a.ID, To: b.ID, Amount: 300_00}
		o, err := f.svc.Transfer(f.ctx, "M1", req)
		if err != nil || o.State != wallet.OpDone || o.EntrySeq != h0+1 {
			t.Fatalf("transfer: %+v %v", o, err)
		}
		again, err := f.svc.Transfer(f.ctx, "M1", req)
		if err != nil || again.ID != o.ID || again.EntrySeq != o.EntrySeq || f.head() != h0+1 {
			t.Fatalf("retry: %+v %v (head %d)", again, err, f.head())
		}
		e, err := f.led.Entry(f.ctx, o.EntrySeq)
		if err != nil || len(e.Lines) != 2 || e.Voucher.Kind != wallet.VoucherTransfer || e.Voucher.ID != o.ID {
			t.Fatalf("entry: %+v %v", e, err)
		}
		if va, vb := f.view(a), f.view(b); va.Available != cny(700_00) || vb.Available != cny(300_00) {
			t.Fatalf("balances %s %s", va.Available, vb.Available)
		}

		// Each refusal writes no entry and leaves the request number free.
		for _, tc := range []struct {
			name string
			req  wallet.TransferRequest
			want error
		}{
			{"reused number, other content", wallet.TransferRequest{RequestNo: "T1", From: a.ID, To: b.ID, Amount: 1}, wallet.ErrConflict},
			{"zero amount", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID}, wallet.ErrInvalid},
			{"same account", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: a.ID, Amount: 1}, wallet.ErrInvalid},
			{"bad request number", wallet.TransferRequest{RequestNo: "T 2", From: a.ID, To: b.ID, Amount: 1}, wallet.ErrInvalid},
			{"unknown receiver", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: "nope", Amount: 1}, wallet.ErrNotFound},
			{"more than available", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID, Amount: 700_01}, wallet.ErrInsufficientFunds},
			{"over the level's per-transaction limit", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID, Amount: 2_000_01}, wallet.ErrLimit},
			{"over LevelNone's limit", wallet.TransferRequest{RequestNo: "T2", From: b.ID, To: a.ID, Amount: 200_01}, wallet.ErrLimit},
		} {
			if _, err := f.svc.Transfer(f.ctx, "M1", tc.req); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		if f.head() != h0+1 {
			t.Fatalf("refusals wrote entries: head %d", f.head())
		}
		if o, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID, Amount: 700_00}); err != nil || o.State != wallet.OpDone {
			t.Fatalf("T2 after its refusals: %+v %v", o, err)
		}
		// Another merchant sees nothing.
		if _, err := f.svc.Transfer(f.ctx, "M2", wallet.TransferRequest{RequestNo: "X", From: b.ID, To: a.ID, Amount: 1}); !errors.Is(err, wallet.ErrNotFound) {
			t.Errorf("M2 moves M1's money: %v", err)
		}
	})
}

func TestTransfer_DayLimitCountsEveryOutgoingOperation(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), nil)
	_, a := f.customer("C1", "张三", idZhang, wallet.LevelNone) // 200.00 per tx, 500.00 per day
	_, b := f.customer("C2", "李四", idLi, wallet.LevelNone)
	f.fund(a, 1000_00)
	for i, want := range []error{nil, nil, wallet.ErrLimit} {
		_, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "D" + string(rune('0'+i)), From: a.ID, To: b.ID, Amount: 200_00})
		if !errors.Is(err, want) {
			t.Fatalf("transfer %d: %v, want %v", i, err, want)
		}
	}
	if _, err := f.svc.Pay(f.ctx, "M1", wallet.PaymentRequest{RequestNo: "P1", AccountID: a.ID, Amount: 100_01, Password: "135790"}); !errors.Is(err, wallet.ErrLimit) {
		t.Fatalf("payment over the day's rest: %v", err)
	}
	f.clk.Advance(24 * time.Hour) // the next Beijing day
	if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "D9", From: a.ID, To: b.ID, Amount: 200_00}); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestPay_NeedsPasswordAndLocksOutOnTheVirtualClock(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		_, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
		f.fund(a, 100_00)
		pay := func(no, pw string) error {
			_, err := f.svc.Pay(f.ctx, "M1", wallet.PaymentRequest{RequestNo: no, AccountID: a.ID, Payee: "M9", Amount: 10_00, Password: pw})
			return err
		}
		for i := 1; i <= 4; i++ {
			if err := pay("P1", "000001"); !errors.Is(err, wallet.ErrPassword) {
				t.Fatalf("wrong try %d: %v", i, err)
			}
		}
		if err := pay("P1", "000001"); !errors.Is(err, wallet.ErrLocked) {
			t.Fatalf("fifth wrong try: %v", err)
		}
		if err := pay("P1", "135790"); !errors.Is(err, wallet.ErrLocked) {
			t.Fatalf("right password while locked: %v", err)
		}
		if v := f.view(a); v.Available != cny(100_00) {
			t.Fatalf("money moved: %s", v.Available)
		}
		f.clk.Advance(30 * time.Minute)
		if err := pay("P1", "135790"); err != nil {
			t.Fatalf("after the lock-out: %v", err)
		}
		if v := f.view(a); v.Available != cny(90_00) {
			t.Fatalf("after paying: %s", v.Available)
		}
		// Payee M9's payable (2202) got it.
		acc, err := f.led.FindAccount(f.ctx, "2202", ledger.OwnerMerchant, "M9", "CNY")
		if err != nil || ledger.BalanceOf(acc).Posted != cny(10_00) {
			t.Fatalf("payable: %+v %v", acc, err)
		}
	})
}

func TestPassword_RulesAndStorage(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), nil)
	c, _ := f.customer("C1", "张三", idZhang, 0)
	for _, pw := range []string{"12345", "1234567", "abcdef", "111111", "123456", "654321", "１２３４５６"} {
		if err := f.svc.SetPassword(f.ctx, "M1", c.ID, "135790", pw); !errors.Is(err, wallet.ErrInvalid) {
			t.Errorf("password %q: %v", pw, err)
		}
	}
	if err := f.svc.SetPassword(f.ctx, "M1", c.ID, "999999", "246813"); !errors.Is(err, wallet.ErrPassword) {
		t.Errorf("change with a wrong old password: %v", err)
	}
	st, err := f.db.PaymentPassword(f.ctx, c.ID)
	if err != nil || !strings.HasPrefix(st.Hash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(st.Hash, "135790") {
		t.Fatalf("stored hash %q %v", st.Hash, err)
	}
	if err := f.svc.SetPassword(f.ctx, "M1", c.ID, "135790", "246813"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckPassword(f.ctx, c.ID, "246813"); err != nil {
		t.Fatal(err)
	}
}

func TestFreeze_AmountAndAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		_, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
		_, b := f.customer("C2", "李四", idLi, wallet.LevelBasic)
		f.fund(a, 500_00)
		fr, err := f.svc.Freeze(f.ctx, "M1", wallet.FreezeRequest{RequestNo: "F1", AccountID: a.ID, Amount: 400_00, Reason: "court order 2026-77", Operator: "op1"})
		if err != nil || fr.State != wallet.OpDone {
			t.Fatalf("freeze: %+v %v", fr, err)
		}
		if v := f.view(a); v.Available != cny(100_00) || v.Frozen != cny(400_00) || v.State != wallet.Active {
			t.Fatalf("after freezing an amount: %+v", v)
		}
		if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T1", From: a.ID, To: b.ID, Amount: 100_01}); !errors.Is(err, wallet.ErrInsufficientFunds) {
			t.Fatalf("spending frozen money: %v", err)
		}
		if _, err := f.svc.Freeze(f.ctx, "M1", wallet.FreezeRequest{RequestNo: "F2", AccountID: a.ID, Amount: 100_01, Reason: "x", Operator: "op1"}); !errors.Is(err, wallet.ErrInsufficientFunds) {
			t.Fatalf("freezing more than available: %v", err)
		}
		if _, err := f.svc.Freeze(f.ctx, "M1", wallet.FreezeRequest{RequestNo: "F3", AccountID: a.ID, Amount: 1, Operator: "op1"}); !errors.Is(err, wallet.ErrInvalid) {
			t.Fatalf("freeze without a reason: %v", err)
		}
		un := wallet.UnfreezeRequest{RequestNo: "U1", AccountID: a.ID, FreezeRequestNo: "F1", Reason: "order lifted", Operator: "op2"}
		u, err := f.svc.Unfreeze(f.ctx, "M1", un)
		if err != nil || u.State != wallet.OpDone {
			t.Fatalf("unfreeze: %+v %v", u, err)
		}
		if u2, err := f.svc.Unfreeze(f.ctx, "M1", un); err != nil || u2.EntrySeq != u.EntrySeq {
			t.Fatalf("unfreeze retry: %+v %v", u2, err)
		}
		un.RequestNo = "U2"
		if _, err := f.svc.Unfreeze(f.ctx, "M1", un); !errors.Is(err, wallet.ErrInvalid) {
			t.Fatalf("second release of one freeze: %v", err)
		}
		if v := f.view(a); v.Available != cny(500_00) || !v.Frozen.IsZero() {
			t.Fatalf("after unfreezing: %+v", v)
		}

		// The whole account: no debits, credits still arrive.
		if _, err := f.svc.Freeze(f.ctx, "M1", wallet.FreezeRequest{RequestNo: "FA", AccountID: a.ID, Reason: "risk", Operator: "op1"}); err != nil {
			t.Fatal(err)
		}
		if v := f.view(a); v.State != wallet.Frozen {
			t.Fatalf("state %s", v.State)
		}
		if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID, Amount: 1}); !errors.Is(err, wallet.ErrFrozen) {
			t.Fatalf("debit of a frozen account: %v", err)
		}
		f.fund(b, 10_00)
		if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T3", From: b.ID, To: a.ID, Amount: 10_00}); err != nil {
			t.Fatalf("credit of a frozen account: %v", err)
		}
		if _, err := f.svc.Unfreeze(f.ctx, "M1", wallet.UnfreezeRequest{RequestNo: "UA", AccountID: a.ID, Reason: "cleared", Operator: "op2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T2", From: a.ID, To: b.ID, Amount: 1}); err != nil {
			t.Fatalf("after unfreezing the account: %v", err)
		}
	})
}

func TestClose_OnlyAtZero(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), nil)
	_, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
	_, b := f.customer("C2", "李四", idLi, wallet.LevelBasic)
	f.fund(a, 10_00)
	if _, err := f.svc.Close(f.ctx, "M1", a.ID, "op1"); !errors.Is(err, wallet.ErrNotEmpty) {
		t.Fatalf("close with money: %v", err)
	}
	if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T1", From: a.ID, To: b.ID, Amount: 10_00}); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Close(f.ctx, "M1", a.ID, "op1")
	if err != nil || v.State != wallet.Closed {
		t.Fatalf("close at zero: %+v %v", v, err)
	}
	if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T2", From: b.ID, To: a.ID, Amount: 1}); !errors.Is(err, wallet.ErrClosed) {
		t.Fatalf("credit to a closed account: %v", err)
	}
}

func TestStatement_CursorAndCSV(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		_, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
		_, b := f.customer("C2", "李四", idLi, wallet.LevelBasic)
		f.fund(a, 100_00)
		for i := 0; i < 5; i++ {
			if _, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: "T" + string(rune('0'+i)), From: a.ID, To: b.ID, Amount: int64(i+1) * 100}); err != nil {
				t.Fatal(err)
			}
		}
		var all []wallet.Line
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := f.svc.Statement(f.ctx, "M1", a.ID, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, p.Lines...)
			if p.Next == "" {
				if pages != 2 {
					t.Errorf("%d pages, want 3", pages+1)
				}
				break
			}
			cursor = p.Next
		}
		if len(all) != 5 {
			t.Fatalf("%d lines", len(all))
		}
		for i, l := range all {
			e, err := f.led.Entry(f.ctx, l.EntrySeq)
			if err != nil || l.Side != "D" || l.Amount != cny(int64(i+1)*100) || e.Voucher.ID != l.VoucherID || string(e.Voucher.Kind) != l.VoucherKind || l.OpKind != wallet.OpTransfer {
				t.Errorf("line %d %+v does not match its entry %+v (%v)", i, l, e, err)
			}
		}
		var buf bytes.Buffer
		if err := wallet.WriteCSV(&buf, all[:1], true); err != nil {
			t.Fatal(err)
		}
		rows := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(rows) != 2 || rows[0] != strings.Join(wallet.CSVHeader, ",") || !strings.Contains(rows[1], ",out,1.00,CNY,transfer,") {
			t.Fatalf("csv:\n%s", buf.String())
		}
		if _, err := f.svc.Statement(f.ctx, "M1", a.ID, "x1", 2); !errors.Is(err, wallet.ErrInvalid) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestBalance_OwnerOnlyAndMasked(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), nil)
	c, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
	_, b := f.customer("C2", "李四", idLi, wallet.LevelBasic)
	f.fund(a, 12_34)
	u, err := f.svc.AddUser(f.ctx, "M1", c.ID, "mall", "zhang@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddUser(f.ctx, "M1", c.ID, "mall", "zhang@example.com"); !errors.Is(err, wallet.ErrDuplicate) {
		t.Errorf("taken login: %v", err)
	}
	if _, err := f.svc.Freeze(f.ctx, "M1", wallet.FreezeRequest{RequestNo: "F1", AccountID: a.ID, Amount: 2_34, Reason: "r", Operator: "o"}); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Balance(f.ctx, u.ID, a.ID)
	if err != nil || v.Available != cny(10_00) || v.Frozen != cny(2_34) || v.State != wallet.Active || v.CustomerName != "张三" || len(v.Cards) != 0 {
		t.Fatalf("balance %+v %v", v, err)
	}
	if _, err := f.svc.Balance(f.ctx, u.ID, b.ID); !errors.Is(err, wallet.ErrNotOwner) {
		t.Errorf("another customer's account: %v", err)
	}
	if _, err := f.svc.Balance(f.ctx, "usr_nope", a.ID); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := f.svc.Balance(f.ctx, u.ID, "nope"); !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}

func TestCustomer_ValidatedAndIdempotent(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), nil)
	req := wallet.CustomerRequest{CustomerNo: "C1", Kind: wallet.Individual, Name: "张三", IDNo: idZhang}
	c1, err := f.svc.CreateCustomer(f.ctx, "M1", req)
	if err != nil || c1.Level != wallet.LevelNone || strings.Contains(c1.IDNoSealed, idZhang) {
		t.Fatalf("%+v %v", c1, err)
	}
	c2, err := f.svc.CreateCustomer(f.ctx, "M1", req)
	if err != nil || c2.ID != c1.ID {
		t.Fatalf("retry: %+v %v", c2, err)
	}
	for _, tc := range []struct {
		name string
		req  wallet.CustomerRequest
		want error
	}{
		{"same number, other ID", wallet.CustomerRequest{CustomerNo: "C1", Kind: wallet.Individual, Name: "张三", IDNo: idLi}, wallet.ErrConflict},
		{"bad ID check digit", wallet.CustomerRequest{CustomerNo: "C2", Kind: wallet.Individual, Name: "张三", IDNo: "110105194912310021"}, wallet.ErrInvalid},
		{"no name", wallet.CustomerRequest{CustomerNo: "C2", Kind: wallet.Individual, IDNo: idLi}, wallet.ErrInvalid},
		{"bad kind", wallet.CustomerRequest{CustomerNo: "C2", Kind: "robot", Name: "x", IDNo: idLi}, wallet.ErrInvalid},
	} {
		if _, err := f.svc.CreateCustomer(f.ctx, "M1", tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		} else if strings.Contains(err.Error(), tc.req.IDNo) && tc.req.IDNo != "" {
			t.Errorf("%s: the error shows the ID number: %v", tc.name, err)
		}
	}
	if _, err := f.svc.RaiseLevel(f.ctx, "M1", c1.ID, wallet.LevelFull, "", "x"); !errors.Is(err, wallet.ErrInvalid) {
		t.Errorf("level without operator: %v", err)
	}
	c3, err := f.svc.RaiseLevel(f.ctx, "M1", c1.ID, wallet.LevelBasic, "op1", "ID checked")
	if err != nil || c3.Level != wallet.LevelBasic || !strings.Contains(c3.LevelNote, "op1") {
		t.Fatalf("raise: %+v %v", c3, err)
	}
}

// TestConcurrency_HotWalletNeverOverdrawn: 64 callers paying and transferring from one
// wallet at once; the ledger's single writer refuses whatever would overdraw it.
func TestConcurrency_HotWalletNeverOverdrawn(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		_, hot := f.customer("HOT", "张三", idZhang, wallet.LevelFull)
		_, other := f.customer("C2", "李四", idLi, wallet.LevelFull)
		const start = 100_00
		f.fund(hot, start)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var spent int64
		var insufficient int
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				amt := int64(3_00 + i%5*100) // 3.00–7.00: about 20 callers succeed
				var err error
				no := "R" + time.Duration(i).String()
				if i%2 == 0 {
					_, err = f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: no, From: hot.ID, To: other.ID, Amount: amt})
				} else {
					_, err = f.svc.Pay(f.ctx, "M1", wallet.PaymentRequest{RequestNo: no, AccountID: hot.ID, Amount: amt, Password: "135790"})
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					spent += amt
				case errors.Is(err, wallet.ErrInsufficientFunds):
					insufficient++
				default:
					t.Errorf("caller %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		v := f.view(hot)
		if v.Available.IsNegative() || v.Available != cny(start-spent) || insufficient == 0 {
			t.Fatalf("hot wallet %s after spending %d (refused %d)", v.Available, spent, insufficient)
		}
		rep, err := f.led.Verify(f.ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}
