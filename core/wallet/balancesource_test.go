package wallet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/wallet"
)

// TestBalanceSource_WalletThroughBalanceQuery: a customer's user reads their wallet through
// core/balance with a token, sees the ledger's balance masked, and cannot read another
// customer's account (no token is even issued for it); every query is in the audit log, which verifies.
func TestBalanceSource_WalletThroughBalanceQuery(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, nil)
		ctx := context.Background()
		zhang, za := f.customer("C1", "张三丰", idZhang, 1)
		_, la := f.customer("C2", "李四", idLi, 1)
		f.fund(za, 12345)
		u, err := f.svc.AddUser(ctx, "M1", zhang.ID, "app", "zhang@example.com")
		if err != nil {
			t.Fatal(err)
		}
		lg, err := audit.New(ctx, audit.Config{Store: f.db})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = lg.Close() })
		svc, err := balance.New(balance.Config{Source: f.svc.BalanceSource(), Audit: lg, TokenKey: []byte(strings.Repeat("k", 32)), Clock: f.clk})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.IssueToken(ctx, "M1", u.ID, za.ID, time.Minute, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		ans := svc.Query(ctx, balance.Query{AccountID: za.ID, Authorization: "Bearer " + tok, IP: "10.0.0.2"})
		if ans.Result != balance.ResultOK || ans.Balance == nil {
			t.Fatalf("query: %+v", ans)
		}
		if got := ans.Balance.Available; got != cny(12345) {
			t.Errorf("available %s, want 123.45 (the ledger's balance)", got)
		}
		if ans.Balance.Name == "张三丰" || ans.Balance.State != string(wallet.Active) {
			t.Errorf("name %q (want masked), state %q", ans.Balance.Name, ans.Balance.State)
		}
		// The user's token does not open another customer's account, nor does a token
		// issued for it (the account is not the user's).
		if a := svc.Query(ctx, balance.Query{AccountID: la.ID, Authorization: "Bearer " + tok, IP: "10.0.0.2"}); a.Result != balance.ResultWrongAccount {
			t.Errorf("other account with this token: %s", a.Result)
		}
		if _, _, err := svc.IssueToken(ctx, "M1", u.ID, la.ID, time.Minute, "10.0.0.1"); !errors.Is(err, balance.ErrNotOwner) {
			t.Errorf("a token for another customer's account: %v, want ErrNotOwner", err)
		}
		rep, err := audit.Verify(ctx, f.db, audit.VerifyOptions{})
		if err != nil || !rep.OK() || rep.Records < 3 {
			t.Errorf("audit verify: %+v %v", rep, err)
		}
	})
}
