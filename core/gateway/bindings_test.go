package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
)

func (e *bankEnv) bind(m, secret, bindNo, user string) (int, gateway.BindingJSON, []byte) {
	var b gateway.BindingJSON
	code, _, raw := e.call(m, secret, http.MethodPost, "/v1/bindings", gateway.CreateBindingRequest{BindNo: bindNo, UserID: user, Card: bindCard}, "", &b)
	return code, b, raw
}

func (e *bankEnv) storedBinding(m, bindNo string) *order.Binding {
	e.t.Helper()
	b, err := e.db.BindingByNo(context.Background(), m, bindNo)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// noCardInClear fails if the full card number, mobile or ID number is in any column of any
// bindings or payouts row, or in raw.
func (e *bankEnv) noCardInClear(raw ...[]byte) {
	e.t.Helper()
	secrets := []string{bindCard.Number, bindCard.Mobile, bindCard.IDNumber, payCard.Number}
	for _, table := range []string{"bindings", "payouts"} {
		rows, err := e.db.SQL().QueryContext(context.Background(), `SELECT * FROM `+table)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			for i, v := range vals {
				s := ""
				switch x := v.(type) {
				case string:
					s = x
				case []byte:
					s = string(x)
				}
				for _, sec := range secrets {
					if strings.Contains(s, sec) {
						e.t.Errorf("%s.%s holds card data in clear", table, cols[i])
					}
				}
			}
		}
		rows.Close()
	}
	for _, r := range raw {
		for _, sec := range secrets {
			if strings.Contains(string(r), sec) {
				e.t.Errorf("an answer holds card data in clear: %s", r)
			}
		}
	}
}

func TestBindings_SMSConfirmResendUnbind(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newBankEnv(t, dsn)
		code, b, raw := e.bind("M1", secretM1, "B1", "alice")
		if code != http.StatusCreated || b.State != order.BindSMSSent || b.CardMasked != "621626*********0018" || b.MobileMasked != "135****5506" || b.Token != "" {
			t.Fatalf("create: %d %s", code, raw)
		}
		st := e.storedBinding("M1", "B1")
		if !strings.HasPrefix(st.Pending.PAN, "v1:") || st.Pending.Phone == "" || st.Pending.IDNo == "" {
			t.Fatalf("waiting for its code, the binding keeps the sealed elements: %+v", st.Pending)
		}
		e.noCardInClear(raw)

		// The same request again returns the binding without a second application.
		if code, again, raw := e.bind("M1", secretM1, "B1", "alice"); code != http.StatusOK || again.ID != b.ID {
			t.Fatalf("retry: %d %s", code, raw)
		}
		// The same bind_no for another user is refused and changes nothing.
		if code, _, raw := e.bind("M1", secretM1, "B1", "bob"); code != http.StatusConflict {
			t.Fatalf("bind_no reused for another user: %d %s", code, raw)
		}

		e.sim.Advance(61 * time.Second) // the bank allows one SMS a minute
		var rs gateway.BindingJSON
		if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/B1/resend", nil, "", &rs); code != http.StatusOK || rs.State != order.BindSMSSent {
			t.Fatalf("resend: %d %s", code, raw)
		}
		if got := e.storedBinding("M1", "B1").SMSSends; got != 2 {
			t.Errorf("SMS sends = %d, want 2", got)
		}

		// A wrong code is refused and leaves the binding waiting.
		code, _, raw = e.call("M1", secretM1, http.MethodPost, "/v1/bindings/B1/confirm", gateway.ConfirmBindingRequest{SMSCode: "000000"}, "", nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(raw), "channel_declined") {
			t.Fatalf("wrong code: %d %s", code, raw)
		}
		var cb gateway.BindingJSON
		code, _, raw = e.call("M1", secretM1, http.MethodPost, "/v1/bindings/B1/confirm",
			gateway.ConfirmBindingRequest{SMSCode: e.smsCode(st.ChannelBindNo)}, "", &cb)
		if code != http.StatusOK || cb.State != order.Bound || cb.Token == "" || cb.BoundAt == "" {
			t.Fatalf("confirm: %d %s", code, raw)
		}
		if st := e.storedBinding("M1", "B1"); !st.Pending.IsZero() {
			t.Errorf("a bound binding still keeps sealed card elements")
		}
		e.noCardInClear(raw)
		// Confirming again answers the same binding.
		if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/B1/confirm", gateway.ConfirmBindingRequest{SMSCode: "111111"}, "", nil); code != http.StatusOK || !strings.Contains(string(raw), cb.Token) {
			t.Fatalf("second confirm: %d %s", code, raw)
		}

		// The token pays for M1 (the gateway sends the binding's channel user); M2 holding
		// M1's token cannot pay with it.
		var pay gateway.PaymentJSON
		code, _, raw = e.call("M1", secretM1, http.MethodPost, "/v1/payments", gateway.CreatePaymentRequest{OrderNo: "TK1", Amount: 6600,
			Method: "token", Token: cb.Token, PayerID: "alice", Subject: "token", ClientIP: "127.0.0.1"}, "", &pay)
		if code != http.StatusCreated || (pay.State != order.Succeeded && pay.State != order.Pending) {
			t.Fatalf("token payment: %d %s", code, raw)
		}
		code, _, raw = e.call("M2", secretM2, http.MethodPost, "/v1/payments", gateway.CreatePaymentRequest{OrderNo: "TK2", Amount: 6600,
			Method: "token", Token: cb.Token, PayerID: "alice", Subject: "token", ClientIP: "127.0.0.1"}, "", &pay)
		if code == http.StatusCreated && pay.State == order.Succeeded {
			t.Fatalf("M2 paid with M1's token: %s", raw)
		}

		var ub gateway.BindingJSON
		if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/B1/unbind", nil, "", &ub); code != http.StatusOK || ub.State != order.Unbound || ub.Token != "" {
			t.Fatalf("unbind: %d %s", code, raw)
		}
		if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/B1/unbind", nil, "", &ub); code != http.StatusOK || ub.State != order.Unbound {
			t.Fatalf("unbind again: %d %s", code, raw)
		}
	})
}

// TestBindings_MerchantIsolation: one merchant can never read, confirm, resend or unbind
// another's binding, and the same bind_no and user id under another merchant are another
// binding (on the channel too).
func TestBindings_MerchantIsolation(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newBankEnv(t, dsn)
		if code, _, raw := e.bind("M1", secretM1, "ISO1", "alice"); code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, raw)
		}
		st := e.storedBinding("M1", "ISO1")
		var cb gateway.BindingJSON
		if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/ISO1/confirm", gateway.ConfirmBindingRequest{SMSCode: e.smsCode(st.ChannelBindNo)}, "", &cb); code != 200 {
			t.Fatalf("confirm: %d %s", code, raw)
		}
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/v1/bindings/ISO1"},
			{http.MethodPost, "/v1/bindings/ISO1/confirm"},
			{http.MethodPost, "/v1/bindings/ISO1/resend"},
			{http.MethodPost, "/v1/bindings/ISO1/unbind"},
		} {
			var body any
			if strings.HasSuffix(c.path, "confirm") {
				body = gateway.ConfirmBindingRequest{SMSCode: "111111"}
			}
			code, _, raw := e.call("M2", secretM2, c.method, c.path, body, "", nil)
			if code != http.StatusNotFound || strings.Contains(string(raw), cb.Token) || strings.Contains(string(raw), "0018") {
				t.Errorf("M2 %s %s: %d %s", c.method, c.path, code, raw)
			}
		}
		if got := e.storedBinding("M1", "ISO1"); got.State != order.Bound || got.Version != st.Version+1 {
			t.Errorf("M1's binding changed by M2's calls: %s v%d", got.State, got.Version)
		}
		// M2's own binding with the same number and user id is a separate application: its
		// user is another on the channel, so it is not "already bound" to M1's token.
		code, b2, raw := e.bind("M2", secretM2, "ISO1", "alice")
		if code != http.StatusCreated || b2.State != order.BindSMSSent || b2.ID == cb.ID {
			t.Fatalf("M2's own binding: %d %s", code, raw)
		}
	})
}

// TestBindings_ConfirmTimeoutResolvedByQuery: the bank binds the card but the answer is lost;
// the binding stays waiting and unresolved (never failed, never bound by guess) until the
// query-back worker asks the bank.
func TestBindings_ConfirmTimeoutResolvedByQuery(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newBankEnv(t, dsn)
		if code, _, raw := e.bind("M1", secretM1, "TO1", "carol"); code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, raw)
		}
		st := e.storedBinding("M1", "TO1")
		if _, err := e.sim.AddFault(simulator.FaultPlan{Channel: simbank.Name, Op: "BIND_CONFIRM", First: 1, Kind: simulator.FaultTimeoutAfter}); err != nil {
			t.Fatal(err)
		}
		var b gateway.BindingJSON
		code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/TO1/confirm", gateway.ConfirmBindingRequest{SMSCode: e.smsCode(st.ChannelBindNo)}, "", &b)
		if code != http.StatusAccepted || b.State != order.BindSMSSent || !b.Unresolved {
			t.Fatalf("confirm with a lost answer: %d %s", code, raw)
		}
		e.work(3, 30*time.Second)
		var got gateway.BindingJSON
		e.call("M1", secretM1, http.MethodGet, "/v1/bindings/TO1", nil, "", &got)
		if got.State != order.Bound || got.Unresolved || got.Token == "" {
			t.Fatalf("after the query-back: %+v", got)
		}
	})
}

func TestBindings_BadInputChangesNothing(t *testing.T) {
	e := newBankEnv(t, storetest.SQLiteDSN(t))
	bad := func(f func(r *gateway.CreateBindingRequest)) gateway.CreateBindingRequest {
		r := gateway.CreateBindingRequest{BindNo: "BAD1", UserID: "u1", Card: bindCard}
		f(&r)
		return r
	}
	for _, tc := range []struct {
		name  string
		req   gateway.CreateBindingRequest
		param string
	}{
		{"luhn", bad(func(r *gateway.CreateBindingRequest) { r.Card.Number = "6216261000000000017" }), "card.number"},
		{"short", bad(func(r *gateway.CreateBindingRequest) { r.Card.Number = "621626" }), "card.number"},
		{"id", bad(func(r *gateway.CreateBindingRequest) { r.Card.IDNumber = "341126197709218367" }), "card.id_number"},
		{"mobile", bad(func(r *gateway.CreateBindingRequest) { r.Card.Mobile = "12345" }), "card.mobile"},
		{"name", bad(func(r *gateway.CreateBindingRequest) { r.Card.HolderName = "" }), "card.holder_name"},
		{"cvn2 without expiry", bad(func(r *gateway.CreateBindingRequest) { r.Card.CVN2 = "123" }), "card.cvn2"},
		{"user", bad(func(r *gateway.CreateBindingRequest) { r.UserID = "a b" }), "user_id"},
		{"bind_no", bad(func(r *gateway.CreateBindingRequest) { r.BindNo = "" }), "bind_no"},
		{"account", bad(func(r *gateway.CreateBindingRequest) { r.Account = "nope" }), "account"},
	} {
		code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings", tc.req, "", nil)
		if code != http.StatusBadRequest || !strings.Contains(string(raw), `"param":"`+tc.param+`"`) {
			t.Errorf("%s: %d %s", tc.name, code, raw)
		}
		e.noCardInClear(raw)
	}
	if _, err := e.db.BindingByNo(context.Background(), "M1", "BAD1"); err != order.ErrNotFound {
		t.Errorf("a refused request stored a binding: %v", err)
	}
}

// TestBindings_AbandonedFailsAndErasesSealedCard: a binding whose SMS code is never
// confirmed is failed by the background work after half an hour, and its sealed card
// elements are erased.
func TestBindings_AbandonedFailsAndErasesSealedCard(t *testing.T) {
	e := newBankEnv(t, storetest.SQLiteDSN(t))
	if code, _, raw := e.bind("M1", secretM1, "AB1", "erin"); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, raw)
	}
	e.work(1, 10*time.Minute)
	if st := e.storedBinding("M1", "AB1"); st.State != order.BindSMSSent || st.Pending.IsZero() {
		t.Fatalf("after 10 minutes: %s, pending kept %v", st.State, !st.Pending.IsZero())
	}
	e.work(1, 25*time.Minute)
	st := e.storedBinding("M1", "AB1")
	if st.State != order.Failed || st.FailCode != "expired" || !st.Pending.IsZero() {
		t.Fatalf("after 35 minutes: %s %s, pending kept %v", st.State, st.FailCode, !st.Pending.IsZero())
	}
	if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/AB1/confirm", gateway.ConfirmBindingRequest{SMSCode: "111111"}, "", nil); code != http.StatusConflict {
		t.Errorf("confirm of an abandoned binding: %d %s", code, raw)
	}
}

// TestIdempotency_CardRequestsKeepNoPlainHashOfTheCard: an Idempotency-Key on a payout works
// as anywhere (same body: the stored answer; another body: refused), and the stored request
// hash is not the plain SHA-256 of the body, from which the card number could be recovered.
func TestIdempotency_CardRequestsKeepNoPlainHashOfTheCard(t *testing.T) {
	e := newBankEnv(t, storetest.SQLiteDSN(t))
	req := gateway.CreatePayoutRequest{PayoutNo: "IK1", Amount: 100, Card: payCard, Purpose: "x"}
	code, _, first := e.call("M1", secretM1, http.MethodPost, "/v1/payouts", req, "key-1", nil)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, first)
	}
	code, h, again := e.call("M1", secretM1, http.MethodPost, "/v1/payouts", req, "key-1", nil)
	if code != http.StatusCreated || string(again) != string(first) || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s %v", code, again, h)
	}
	req.Card.Number = "6216261000000000034"
	if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/payouts", req, "key-1", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("same key, another card: %d %s", code, raw)
	}
	body, _ := json.Marshal(gateway.CreatePayoutRequest{PayoutNo: "IK1", Amount: 100, Card: payCard, Purpose: "x"})
	sum := sha256.Sum256(append([]byte("POST /v1/payouts\n"), body...))
	var stored string
	if err := e.db.SQL().QueryRowContext(context.Background(), `SELECT request_hash FROM api_idempotency WHERE idem_key = 'key-1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == "" || stored == hex.EncodeToString(sum[:]) {
		t.Errorf("the Idempotency-Key record holds the plain hash of a body with a card number: %q", stored)
	}
}
