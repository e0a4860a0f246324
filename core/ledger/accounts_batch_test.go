package ledger_test

import (
	"errors"
	"testing"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// TestCreateAccounts_OneTransaction: opening many accounts at once returns them in order,
// an account named twice or opened before is the same account, a bad spec opens none, and
// the change log stays a verifiable chain.
func TestCreateAccounts_OneTransaction(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		spec := func(owner string) ledger.AccountSpec {
			return ledger.AccountSpec{Code: "2202.01", OwnerKind: ledger.OwnerMerchant, OwnerID: owner, Currency: money.CNY, Name: "payable " + owner}
		}
		got, err := f.l.CreateAccounts(f.ctx, []ledger.AccountSpec{spec("A"), spec("B"), spec("A"), {Code: "2202.01", OwnerKind: ledger.OwnerMerchant, OwnerID: "M1", Currency: money.CNY, Name: "2202.01 M1"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 || got[0].ID != got[2].ID || got[0].ID == got[1].ID || got[3].ID != f.merchant || got[1].OwnerID != "B" {
			t.Fatalf("accounts %+v (M1 is %d)", got, f.merchant)
		}
		_, err = f.l.CreateAccounts(f.ctx, []ledger.AccountSpec{spec("C"), {Code: "9999", OwnerKind: ledger.OwnerMerchant, OwnerID: "D", Currency: money.CNY}})
		if !errors.Is(err, ledger.ErrInvalidAccount) {
			t.Fatalf("a batch with an unknown chart code: %v, want ErrInvalidAccount", err)
		}
		if _, err := f.l.FindAccount(f.ctx, "2202.01", ledger.OwnerMerchant, "C", money.CNY); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("a refused batch opened its good account too: %v", err)
		}
		rep, err := f.l.Verify(f.ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() {
			t.Fatalf("verify after batched openings: %+v %v", rep, err)
		}
	})
}
