package balance_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/balance/balancetest"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// forge signs a token for any claims with another key, as an attacker without ours would.
func forge(t *testing.T, user, account string) string {
	t.Helper()
	log, err := audit.New(context.Background(), audit.Config{Store: storetest.Open(t, storetest.SQLiteDSN(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	src := balancetest.New()
	src.Put(user, balance.View{AccountID: account})
	svc, err := balance.New(balance.Config{Source: src, Audit: log, TokenKey: bytes.Repeat([]byte("x"), 32), Clock: clock.NewVirtual(start)})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.IssueToken(context.Background(), "evil", user, account, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestQuery_RefusalsAreAnsweredAndAudited(t *testing.T) {
	h := newHarness(t, storetest.SQLiteDSN(t), nil)
	alice := h.token("u-alice", "w-alice").Token
	bob := h.token("u-bob", "w-bob").Token
	tests := []struct {
		name      string
		account   string
		auth      string
		before    func()
		after     func()
		status    int
		code      string
		wantActor string
	}{
		{"no token", "w-alice", "", nil, nil, 401, balance.ResultMissingToken, balance.Anonymous},
		{"basic auth instead of bearer", "w-alice", "Basic dTpw", nil, nil, 401, balance.ResultMissingToken, balance.Anonymous},
		{"garbage token", "w-alice", "Bearer not-a-token", nil, nil, 401, balance.ResultBadToken, balance.Anonymous},
		{"forged signature", "w-alice", "Bearer " + forge(t, "u-alice", "w-alice"), nil, nil, 401, balance.ResultBadToken, balance.Anonymous},
		{"token altered to another account", "w-bob", "Bearer " + swapAccount(t, alice, "w-bob"), nil, nil, 401, balance.ResultBadToken, balance.Anonymous},
		{"another account's token", "w-bob", "Bearer " + alice, nil, nil, 403, balance.ResultWrongAccount, "u-alice"},
		{"account id not an id", "w%20alice", "Bearer " + alice, nil, nil, 400, balance.ResultBadRequest, "u-alice"},
		{"account gone since the token", "w-bob", "Bearer " + bob,
			func() { h.src.Put("u-carol", balance.View{AccountID: "w-bob"}) },
			func() { h.src.Put("u-bob", balance.View{AccountID: "w-bob"}) }, 403, balance.ResultNotOwner, "u-bob"},
		{"source down", "w-bob", "Bearer " + bob,
			func() { h.src.SetDown(balancetest.ErrDown) }, func() { h.src.SetDown(nil) }, 503, balance.ResultUnavailable, "u-bob"},
		{"expired token", "w-alice", "Bearer " + alice,
			func() { h.clk.Advance(5 * time.Minute) }, nil, 401, balance.ResultExpired, "u-alice"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			if tc.after != nil {
				defer tc.after()
			}
			ip := "203.0.113." + itoa(i+1) // a fresh IP each, so the per-IP limit stays out of it
			seq := h.head()
			a := h.query(tc.account, tc.auth, ip)
			if a.status != tc.status || a.code != tc.code || a.balance != nil {
				t.Fatalf("answer %d %q %s, want %d %q", a.status, a.code, a.raw, tc.status, tc.code)
			}
			recs := h.records(seq)
			if len(recs) != 1 {
				t.Fatalf("%d audit records, want 1", len(recs))
			}
			r := recs[0]
			if r.Result != tc.code || r.Actor != tc.wantActor || r.Action != balance.ActionQuery || r.IP != ip {
				t.Fatalf("audit record %s, want actor %s result %s from %s", r, tc.wantActor, tc.code, ip)
			}
			if strings.Contains(r.String(), "bt1.") {
				t.Fatalf("audit record holds a token: %s", r)
			}
		})
	}
}

// swapAccount rewrites the claims of tok to name account, keeping the signature.
func swapAccount(t *testing.T, tok, account string) string {
	t.Helper()
	return strings.Replace(tok, "bt1.", "bt1.", 1)[:4] + reencode(t, tok[4:strings.LastIndex(tok, ".")], account) + tok[strings.LastIndex(tok, "."):]
}

func TestQuery_PerIPLimitHoldsAcrossUsers(t *testing.T) {
	h := newHarness(t, storetest.SQLiteDSN(t), func(c *balance.Config) {
		c.PerIP = balance.Limit{Every: 500 * time.Millisecond, Burst: 3}
	})
	alice := "Bearer " + h.token("u-alice", "w-alice").Token
	bob := "Bearer " + h.token("u-bob", "w-bob").Token
	steps := []struct {
		account, auth, ip string
		status            int
		retryAfter        string
	}{
		{"w-alice", alice, "192.0.2.1", 200, ""},
		{"w-bob", bob, "192.0.2.1", 200, ""},
		{"w-alice", "Bearer junk", "192.0.2.1", 401, ""}, // a bad token spends the address's allowance too
		{"w-bob", bob, "192.0.2.1", 429, "1"},            // 500 ms to wait, rounded up
		{"w-bob", bob, "192.0.2.2", 200, ""},             // another address is not limited
	}
	for i, s := range steps {
		a := h.query(s.account, s.auth, s.ip)
		if a.status != s.status || a.retryAfter != s.retryAfter {
			t.Fatalf("step %d: %d Retry-After %q (%s), want %d %q", i, a.status, a.retryAfter, a.raw, s.status, s.retryAfter)
		}
	}
	h.clk.Advance(500 * time.Millisecond)
	if a := h.query("w-bob", bob, "192.0.2.1"); a.status != 200 {
		t.Fatalf("after the wait: %d %s", a.status, a.raw)
	}
}

func TestQuery_UnauditableQueryDisclosesNothing(t *testing.T) {
	h := newHarness(t, storetest.SQLiteDSN(t), nil)
	auth := "Bearer " + h.token("u-alice", "w-alice").Token
	_ = h.log.Close() // the audit log is down
	a := h.query("w-alice", auth, "192.0.2.9")
	if a.status != http.StatusServiceUnavailable || a.code != balance.ResultUnavailable || strings.Contains(a.raw, "12345") {
		t.Fatalf("answer %d %s, want 503 and no balance", a.status, a.raw)
	}
}

func TestIssueToken_RefusesBadRequests(t *testing.T) {
	h := newHarness(t, storetest.SQLiteDSN(t), nil)
	ctx := context.Background()
	tests := []struct {
		name   string
		body   any
		status int
		param  string
	}{
		{"user not an id", map[string]any{"user_id": "u alice", "account_id": "w-alice"}, 400, "user_id"},
		{"no account", map[string]any{"user_id": "u-alice"}, 400, "account_id"},
		{"ttl too long", map[string]any{"user_id": "u-alice", "account_id": "w-alice", "ttl_seconds": 3600}, 400, "ttl_seconds"},
		{"unknown field", map[string]any{"user_id": "u-alice", "account_id": "w-alice", "card": fullPAN}, 400, ""},
		{"not the user's account", map[string]any{"user_id": "u-bob", "account_id": "w-alice"}, 403, "account_id"},
		{"no such account", map[string]any{"user_id": "u-bob", "account_id": "w-nobody"}, 404, "account_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Do(ctx, http.MethodPost, balance.TokenPath, tc.body, "", nil)
			var ge *gateway.Error
			if !errors.As(err, &ge) || ge.Status != tc.status || ge.Param != tc.param {
				t.Fatalf("err %v (param %q), want HTTP %d naming %q", err, paramOf(ge), tc.status, tc.param)
			}
		})
	}
	// An unsigned call never reaches the service.
	resp, err := http.Post(h.srv.URL+balance.TokenPath, "application/json", strings.NewReader(`{"user_id":"u-alice","account_id":"w-alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned token request: %d, want 401", resp.StatusCode)
	}
	if n := len(h.records(0)); n != len(tests)-1 { // the unknown field is refused before the service
		t.Fatalf("%d audit records of refused issues, want %d", n, len(tests)-1)
	}
}

func paramOf(e *gateway.Error) string {
	if e == nil {
		return ""
	}
	return e.Param
}
