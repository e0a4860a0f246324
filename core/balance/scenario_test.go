package balance_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestScenario_RateLimitedBalanceQueryWithAuditLines is issue 19's scenario "a rate-limited
// balance query with its audit lines": the platform gets a token for Alice's wallet with a
// signed call; Alice's client queries five times (the per-user burst), the sixth is
// answered 429 with Retry-After; a second later she is answered again. Every step is one
// line of the audit log, which verifies, and neither the logs nor the audit log hold the
// token or her card number.
func TestScenario_RateLimitedBalanceQueryWithAuditLines(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		h := newHarness(t, dsn, nil)
		tok := h.token("u-alice", "w-alice")
		if !tok.ExpiresAt.Equal(start.Add(5 * time.Minute)) {
			t.Fatalf("token expires at %s, want %s", tok.ExpiresAt, start.Add(5*time.Minute))
		}
		auth := "Bearer " + tok.Token
		for i := 1; i <= 5; i++ {
			a := h.query("w-alice", auth, "198.51.100.7")
			if a.status != http.StatusOK {
				t.Fatalf("query %d: %d %s", i, a.status, a.raw)
			}
			b := a.balance
			if b.Available.Minor() != 1234567 || b.Frozen.Minor() != 5000 || b.Name != "张*丰" || b.State != "active" ||
				len(b.Cards) != 1 || b.Cards[0].Number != "621626*********0018" || b.Cards[0].Bank != "ICBC" {
				t.Fatalf("query %d answered %+v", i, b)
			}
			if b.AuditSeq != int64(i+1) { // record 1 is the token's issue
				t.Fatalf("query %d: audit_seq %d, want %d", i, b.AuditSeq, i+1)
			}
		}
		a := h.query("w-alice", auth, "198.51.100.7")
		if a.status != http.StatusTooManyRequests || a.code != balance.ResultRateLimited || a.retryAfter != "1" {
			t.Fatalf("sixth query: %d %q Retry-After %q, want 429 rate_limited Retry-After 1", a.status, a.code, a.retryAfter)
		}
		h.clk.Advance(time.Second)
		if a := h.query("w-alice", auth, "198.51.100.7"); a.status != http.StatusOK {
			t.Fatalf("after Retry-After: %d %s", a.status, a.raw)
		}

		var lines []string
		for _, r := range h.records(0) {
			lines = append(lines, fmt.Sprintf("%d %s %s %s %s %s %s", r.Seq, r.At.Sub(start), r.Actor, r.Action, r.Account, r.IP, r.Result))
		}
		want := []string{
			"1 0s merchant:PLATFORM balance.token w-alice 127.0.0.1 ok",
			"2 0s u-alice balance.query w-alice 198.51.100.7 ok",
			"3 0s u-alice balance.query w-alice 198.51.100.7 ok",
			"4 0s u-alice balance.query w-alice 198.51.100.7 ok",
			"5 0s u-alice balance.query w-alice 198.51.100.7 ok",
			"6 0s u-alice balance.query w-alice 198.51.100.7 ok",
			"7 0s u-alice balance.query w-alice 198.51.100.7 rate_limited",
			"8 1s u-alice balance.query w-alice 198.51.100.7 ok",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		rp, err := audit.Verify(context.Background(), h.db, audit.VerifyOptions{})
		if err != nil || !rp.OK() || rp.Records != 8 {
			t.Fatalf("audit verify: %d records, %v %v", rp.Records, rp.Problems, err)
		}
		logs := h.logs.String()
		if !strings.Contains(logs, `"result":"rate_limited"`) {
			t.Fatalf("the refusal is not logged:\n%s", logs)
		}
		sig := tok.Token[strings.LastIndex(tok.Token, ".")+1:]
		for _, secret := range []string{tok.Token, sig, fullPAN, "1234567890"} {
			if strings.Contains(logs, secret) {
				t.Fatalf("logs contain %q:\n%s", secret, logs)
			}
		}
	})
}
