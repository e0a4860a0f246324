package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
)

func (e *bankEnv) payout(m, secret, no string, amount int64) (int, gateway.PayoutJSON, []byte) {
	var p gateway.PayoutJSON
	code, _, raw := e.call(m, secret, http.MethodPost, "/v1/payouts",
		gateway.CreatePayoutRequest{PayoutNo: no, Amount: amount, Card: payCard, Purpose: "salary"}, "", &p)
	return code, p, raw
}

func (e *bankEnv) getPayout(m, secret, no string) gateway.PayoutJSON {
	e.t.Helper()
	var p gateway.PayoutJSON
	if code, _, raw := e.call(m, secret, http.MethodGet, "/v1/payouts/"+no, nil, "", &p); code != http.StatusOK {
		e.t.Fatalf("GET payout %s: %d %s", no, code, raw)
	}
	return p
}

// payoutEntries returns the ledger entries whose voucher is payout id, by kind.
func (e *bankEnv) payoutEntries(id string) map[ledger.Kind]int {
	e.t.Helper()
	out := map[ledger.Kind]int{}
	hist, err := e.db.History(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, ev := range hist {
		keys = append(keys, ev.ID)
	}
	if err := e.db.Read(context.Background(), func(tx ledger.ReadTx) error {
		got, err := tx.EntriesByKey(context.Background(), keys)
		for _, en := range got {
			if en.Voucher.ID != id && en.Kind != ledger.KindReverse {
				e.t.Errorf("entry %d of payout %s names voucher %s %s", en.Seq, id, en.Voucher.Kind, en.Voucher.ID)
			}
			out[en.Kind]++
		}
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// payable returns the merchant's payable balance (what the core owes it), in fen.
func (e *bankEnv) payable(m string) int64 {
	e.t.Helper()
	a, err := e.ledger.FindAccount(context.Background(), posting.CodePayable, ledger.OwnerMerchant, m, money.CNY)
	if errors.Is(err, ledger.ErrNotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Counters.CreditPosted - a.Counters.DebitPosted
}

func (e *bankEnv) verifyLedger() {
	e.t.Helper()
	rep, err := e.ledger.Verify(context.Background(), ledger.VerifyOptions{Vouchers: posting.Vouchers{Orders: e.db}})
	if err != nil {
		e.t.Fatal(err)
	}
	if !rep.OK() {
		e.t.Errorf("ledger verify: %+v", rep)
	}
}

// TestPayouts_SucceedDuplicateNotificationsThenReturnedNextDay: a payout is processing, the
// bank's success notification arrives three times (applied once, posted once), and the next
// day the receiving bank returns it: the payout is returned and a reversal entry (not an
// edit) puts the merchant's payable back.
func TestPayouts_SucceedDuplicateNotificationsThenReturnedNextDay(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newBankEnv(t, dsn)
		if _, err := e.sim.AddFault(simulator.FaultPlan{Channel: simbank.Name, Op: "PAYOUT_RESULT", First: 1,
			Kind: simulator.FaultDuplicateCallbacks, Count: 3, Spacing: simulator.Duration(time.Second)}); err != nil {
			t.Fatal(err)
		}
		code, p, raw := e.payout("M1", secretM1, "PO1", 12345)
		if code != http.StatusCreated || p.State != order.PayoutProcessing || p.Unresolved || p.CardMasked != "621626*********0026" {
			t.Fatalf("create: %d %s", code, raw)
		}
		e.noCardInClear(raw)
		e.post()
		before := e.payable("M1")

		e.work(4, 5*time.Second)
		got := e.getPayout("M1", secretM1, "PO1")
		if got.State != order.Succeeded || got.ChannelTxnID == "" || got.CompletedAt == "" {
			t.Fatalf("after the bank finished it: %+v", got)
		}
		hist, _ := e.db.History(context.Background(), p.ID)
		succeeded := 0
		for _, ev := range hist {
			if ev.Type == "payout.succeeded" {
				succeeded++
			}
		}
		if succeeded != 1 {
			t.Errorf("payout.succeeded events = %d after duplicate notifications, want 1", succeeded)
		}
		acked := 0
		for _, r := range e.sim.Records(simulator.RecordFilter{Channel: simbank.Name, Kind: simulator.RecordCallback}) {
			if r.Op == "PAYOUT_RESULT" && r.Acked {
				acked++
			}
		}
		if acked < 3 {
			t.Errorf("the bank's success notification was acknowledged %d times; the fault plan sends it 3 times", acked)
		}
		if n := e.payoutEntries(p.ID); n[ledger.KindPost] != 1 || n[ledger.KindReverse] != 0 {
			t.Errorf("entries after success: %v; want one post", n)
		}
		if d := before - e.payable("M1"); d != 12345 {
			t.Errorf("payable fell by %d, want 12345", d)
		}

		// Next day: the receiving bank returns it (退票).
		e.work(1, 24*time.Hour)
		e.returnPayout(got.ChannelPayoutNo)
		e.work(2, time.Minute)
		got = e.getPayout("M1", secretM1, "PO1")
		if got.State != order.PayoutReturned || got.ReturnedAt == "" {
			t.Fatalf("after the return: %+v", got)
		}
		if n := e.payoutEntries(p.ID); n[ledger.KindPost] != 1 || n[ledger.KindReverse] != 1 {
			t.Errorf("entries after the return: %v; want one post and one reversal", n)
		}
		if after := e.payable("M1"); after != before {
			t.Errorf("payable after the return %d, want %d (as before the payout)", after, before)
		}
		// The return arriving again (notification re-send, a query) changes nothing.
		e.work(2, 6*time.Hour)
		if n := e.payoutEntries(p.ID); n[ledger.KindReverse] != 1 {
			t.Errorf("entries after more work: %v", n)
		}
		e.verifyLedger()
	})
}

// TestPayouts_TimeoutResolvedByQuery: the bank takes the payout but the answer is lost. The
// payout stays processing and unresolved (never failed), and the query-back worker finds it
// succeeded; nothing is sent twice.
func TestPayouts_TimeoutResolvedByQuery(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newBankEnv(t, dsn)
		if _, err := e.sim.AddFault(simulator.FaultPlan{Channel: simbank.Name, Op: "PAYOUT", First: 1, Kind: simulator.FaultTimeoutAfter}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sim.AddFault(simulator.FaultPlan{Channel: simbank.Name, Op: "PAYOUT_RESULT", First: 1, Kind: simulator.FaultMissingCallbacks}); err != nil {
			t.Fatal(err)
		}
		code, p, raw := e.payout("M1", secretM1, "PO2", 500)
		if code != http.StatusCreated || p.State != order.PayoutProcessing || !p.Unresolved {
			t.Fatalf("create with a lost answer: %d %s", code, raw)
		}
		e.work(6, 30*time.Second)
		got := e.getPayout("M1", secretM1, "PO2")
		if got.State != order.Succeeded || got.Unresolved {
			t.Fatalf("after the query-back: %+v", got)
		}
		if n := e.payoutEntries(p.ID); n[ledger.KindPost] != 1 {
			t.Errorf("entries: %v; want one post", n)
		}
		// A retry of the merchant's request returns the same payout.
		code, again, raw := e.payout("M1", secretM1, "PO2", 500)
		if code != http.StatusOK || again.ID != p.ID || again.State != order.Succeeded {
			t.Errorf("retry: %d %s", code, raw)
		}
		e.verifyLedger()
	})
}

// TestPayouts_IdempotencyIsolationAndBadInput: the same payout_no with the same request is
// the same payout; with another amount it is refused; another merchant cannot see it; bad
// input is refused naming the field and stores nothing.
func TestPayouts_IdempotencyIsolationAndBadInput(t *testing.T) {
	e := newBankEnv(t, storetest.SQLiteDSN(t))
	code, p, raw := e.payout("M1", secretM1, "PO3", 700)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, raw)
	}
	if code, again, raw := e.payout("M1", secretM1, "PO3", 700); code != http.StatusOK || again.ID != p.ID {
		t.Errorf("same request again: %d %s", code, raw)
	}
	if code, _, raw := e.payout("M1", secretM1, "PO3", 701); code != http.StatusConflict || !strings.Contains(string(raw), "duplicate_payout") {
		t.Errorf("same payout_no, other amount: %d %s", code, raw)
	}
	if code, _, raw := e.call("M2", secretM2, http.MethodGet, "/v1/payouts/PO3", nil, "", nil); code != http.StatusNotFound {
		t.Errorf("M2 reads M1's payout: %d %s", code, raw)
	}
	for _, tc := range []struct {
		name  string
		req   gateway.CreatePayoutRequest
		param string
	}{
		{"luhn", gateway.CreatePayoutRequest{PayoutNo: "PB1", Amount: 1, Card: gateway.PayoutCardJSON{Number: "6216261000000000027", HolderName: "张三"}, Purpose: "x"}, "card.number"},
		{"amount", gateway.CreatePayoutRequest{PayoutNo: "PB1", Amount: 0, Card: payCard, Purpose: "x"}, "amount"},
		{"purpose", gateway.CreatePayoutRequest{PayoutNo: "PB1", Amount: 1, Card: payCard}, "purpose"},
		{"holder", gateway.CreatePayoutRequest{PayoutNo: "PB1", Amount: 1, Card: gateway.PayoutCardJSON{Number: payCard.Number}, Purpose: "x"}, "card.holder_name"},
		{"currency", gateway.CreatePayoutRequest{PayoutNo: "PB1", Amount: 1, Currency: "XXX1", Card: payCard, Purpose: "x"}, "currency"},
	} {
		code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/payouts", tc.req, "", nil)
		if code != http.StatusBadRequest || !strings.Contains(string(raw), `"param":"`+tc.param+`"`) {
			t.Errorf("%s: %d %s", tc.name, code, raw)
		}
		e.noCardInClear(raw)
	}
	if _, err := e.db.PayoutByNo(context.Background(), "M1", "PB1"); err != order.ErrNotFound {
		t.Errorf("a refused request stored a payout: %v", err)
	}
	e.noCardInClear()
}

// TestPayouts_DeclinedPostsNothing: a payout the bank refuses (merchant balance too low)
// fails at once and posts nothing.
func TestPayouts_DeclinedPostsNothing(t *testing.T) {
	e := newBankEnv(t, storetest.SQLiteDSN(t))
	if _, err := e.sim.AddFault(simulator.FaultPlan{Channel: simbank.Name, Op: "PAYOUT", First: 1, Kind: simulator.FaultBusinessCode, Code: "4005"}); err != nil {
		t.Fatal(err)
	}
	code, p, raw := e.payout("M1", secretM1, "PO4", 900)
	if code != http.StatusCreated || p.State != order.Failed || p.FailCode == "" {
		t.Fatalf("declined: %d %s", code, raw)
	}
	e.work(2, time.Minute)
	if n := e.payoutEntries(p.ID); len(n) != 0 {
		t.Errorf("a failed payout posted %v", n)
	}
}

// TestPayouts_WebhooksForSuccessAndReturn: the merchant's webhook receives payout.succeeded
// and then payout.returned, in order, with the card masked.
func TestPayouts_WebhooksForSuccessAndReturn(t *testing.T) {
	e := newBankEnv(t, storetest.SQLiteDSN(t))
	var mu sync.Mutex
	var got []notify.Envelope
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env notify.Envelope
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &env); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		if strings.Contains(string(b), payCard.Number) {
			t.Errorf("webhook carries the card number: %s", b)
		}
		mu.Lock()
		got = append(got, env)
		mu.Unlock()
	}))
	defer hook.Close()
	n, err := notify.New(notify.Config{Outbox: e.db, Orders: e.db, Clock: e.sim.Clock(),
		Directory: notify.StaticDirectory{"M1": {URL: hook.URL, Secret: "hook-secret-0123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func() {
		for i := 0; i < 6; i++ {
			if _, err := n.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, p, raw := e.payout("M1", secretM1, "PW1", 4321)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, raw)
	}
	e.work(3, 5*time.Second)
	deliver()
	e.returnPayout(p.ChannelPayoutNo)
	e.work(1, time.Minute)
	deliver()
	mu.Lock()
	defer mu.Unlock()
	var types []string
	for _, env := range got {
		types = append(types, env.Type)
	}
	if strings.Join(types, ",") != "payout.succeeded,payout.returned" {
		t.Fatalf("webhooks %v; want payout.succeeded then payout.returned", types)
	}
	data, _ := json.Marshal(got[1].Data)
	if !strings.Contains(string(data), `"object":"payout"`) || !strings.Contains(string(data), `"card_masked":"621626*********0026"`) {
		t.Errorf("payout.returned data: %s", data)
	}
}

// TestPayouts_ProcessStoppedMidCall: a gateway process stored two payouts and stopped
// before recording the bank's answers; the bank got one of them. The query-back worker
// finds that one (and it is paid and posted once), and fails the one the bank never saw
// only after an hour of the bank not knowing it.
func TestPayouts_ProcessStoppedMidCall(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newBankEnv(t, dsn)
		ctx := context.Background()
		now := e.sim.Clock().Now()
		mk := func(id, no string) *order.Payout {
			p := &order.Payout{ID: id, MerchantID: "M1", PayoutNo: no, Channel: "bank", Account: "bank1", ChannelPayoutNo: "TO" + id,
				ChannelPayoutTime: now.Truncate(time.Second), Amount: money.Fen(3000), CardMasked: card.Mask(payCard.Number),
				HolderName: payCard.HolderName, Purpose: "salary", CreatedAt: now}
			if _, err := e.db.CreatePayout(ctx, p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		sent, lost := mk("po_sent000000000000000001", "PS1"), mk("po_lost000000000000000001", "PS2")
		// The bank's notification is lost too: only the query can tell.
		if _, err := e.sim.AddFault(simulator.FaultPlan{Channel: simbank.Name, Op: "PAYOUT_RESULT", Kind: simulator.FaultMissingCallbacks}); err != nil {
			t.Fatal(err)
		}
		po := e.gw.Accounts()["bank1"].(channel.Payouter)
		if _, err := po.Payout(ctx, &channel.PayoutRequest{PayoutNo: sent.ChannelPayoutNo, PayoutTime: sent.ChannelPayoutTime,
			Card: channel.Card{Number: payCard.Number, HolderName: payCard.HolderName}, Amount: sent.Amount, Purpose: "salary",
			NotifyURL: e.srv.URL + "/notify/bank/bank1"}); err != nil {
			t.Fatal(err)
		}
		e.work(4, time.Minute)
		if got := e.getPayout("M1", secretM1, "PS1"); got.State != order.Succeeded {
			t.Fatalf("the payout the bank got: %+v", got)
		}
		if got := e.getPayout("M1", secretM1, "PS2"); got.State != order.Created {
			t.Fatalf("the payout the bank never saw, minutes later: %+v (it must not be failed yet)", got)
		}
		e.work(7, 10*time.Minute)
		got := e.getPayout("M1", secretM1, "PS2")
		if got.State != order.Failed || got.FailCode != "not_found" || got.Alert == "" {
			t.Fatalf("the payout the bank never saw, over an hour later: %+v", got)
		}
		if n := e.payoutEntries(sent.ID); n[ledger.KindPost] != 1 {
			t.Errorf("entries of the sent payout: %v", n)
		}
		if n := e.payoutEntries(lost.ID); len(n) != 0 {
			t.Errorf("entries of the lost payout: %v", n)
		}
	})
}
