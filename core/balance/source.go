package balance

import (
	"context"
	"errors"

	"github.com/tongdao/tongdao/core/money"
)

// Source is where balances come from. core/wallet's Service satisfies it through a small
// adapter (package balancetest has an in-memory one for tests), along these lines:
//
//	type wallets struct{ s *wallet.Service } // core/wallet ships it: (*wallet.Service).BalanceSource()
//
//	func (w wallets) Balance(ctx context.Context, user, account string) (balance.View, error) {
//		v, err := w.s.Balance(ctx, user, account)
//		switch {
//		case errors.Is(err, wallet.ErrNotFound):
//			return balance.View{}, balance.ErrNotFound
//		case errors.Is(err, wallet.ErrNotOwner):
//			return balance.View{}, balance.ErrNotOwner
//		case err != nil:
//			return balance.View{}, err
//		}
//		out := balance.View{AccountID: account, Available: v.Available, Frozen: v.Frozen, CustomerName: v.CustomerName, State: string(v.State)}
//		for _, c := range v.Cards {
//			out.Cards = append(out.Cards, balance.Card{Number: c.Masked, Bank: c.Bank})
//		}
//		return out, nil
//	}
type Source interface {
	// Balance returns account accountID as seen by user userID: ErrNotFound if there is no
	// such account, ErrNotOwner if the user may not see it.
	Balance(ctx context.Context, userID, accountID string) (View, error)
}

// View is an account's balance as the Source has it. Balance masks it before it leaves.
type View struct {
	AccountID    string
	Available    money.Amount // spendable now
	Frozen       money.Amount // held: frozen by risk, a court order, or a pending withdrawal
	CustomerName string       // the owner's real name; shown masked
	State        string       // "active", "frozen" or "closed"
	Cards        []Card       // cards bound to the customer
}

// Card is a bound card. Number may be full or already masked; Balance masks it as 6+4
// either way.
type Card struct {
	Number string
	Bank   string // issuer code, e.g. "ICBC"; "" if unknown
}

// Errors a Source returns.
var (
	ErrNotFound = errors.New("balance: no such account")
	ErrNotOwner = errors.New("balance: the user does not own the account")
)
