package wallet

import (
	"context"
	"errors"

	"github.com/tongdao/tongdao/core/balance"
)

// BalanceSource returns s as the source of core/balance's token-authenticated balance
// query: a user sees an account of their own customer, with its ledger balances, state and
// bound cards (already masked 6+4; core/balance masks the name).
func (s *Service) BalanceSource() balance.Source { return balanceSource{s} }

type balanceSource struct{ s *Service }

func (b balanceSource) Balance(ctx context.Context, user, account string) (balance.View, error) {
	v, err := b.s.Balance(ctx, user, account)
	switch {
	case errors.Is(err, ErrNotFound):
		return balance.View{}, balance.ErrNotFound
	case errors.Is(err, ErrNotOwner):
		return balance.View{}, balance.ErrNotOwner
	case err != nil:
		return balance.View{}, err
	}
	out := balance.View{AccountID: v.AccountID, Available: v.Available, Frozen: v.Frozen, CustomerName: v.CustomerName, State: string(v.State)}
	for _, c := range v.Cards {
		out.Cards = append(out.Cards, balance.Card{Number: c.Masked, Bank: c.BankCode})
	}
	return out, nil
}
