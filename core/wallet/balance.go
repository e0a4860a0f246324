package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/core/money"
)

// CardView is a bound card as it may be shown: the masked number (first 6 + last 4, from
// core/card's Mask) and nothing else of it.
type CardView struct {
	ID       string `json:"id"`
	Masked   string `json:"masked"`
	BankCode string `json:"bank_code,omitempty"`
	CardType string `json:"card_type,omitempty"`
}

// BalanceView is what a customer's user may see of one of the customer's accounts.
// Available and Frozen are ledger balances. CustomerName is the full name: mask it before
// showing it to anyone but its owner.
type BalanceView struct {
	AccountID    string
	Kind         AccountKind
	Available    money.Amount
	Frozen       money.Amount
	State        State
	CustomerName string
	Cards        []CardView // bound cards only
}

// Balance returns account accountID as user customerUserID may see it: ErrNotFound when the
// user or the account does not exist, ErrNotOwner when the account belongs to another
// customer than the user's.
func (s *Service) Balance(ctx context.Context, customerUserID, accountID string) (BalanceView, error) {
	u, err := s.cfg.Store.WalletUser(ctx, customerUserID)
	if err != nil {
		return BalanceView{}, fmt.Errorf("wallet: user %s: %w", customerUserID, ErrNotFound)
	}
	a, err := s.cfg.Store.PaymentAccount(ctx, accountID)
	if err != nil {
		return BalanceView{}, fmt.Errorf("wallet: account %s: %w", accountID, ErrNotFound)
	}
	if a.CustomerID != u.CustomerID {
		return BalanceView{}, fmt.Errorf("wallet: account %s: %w", accountID, ErrNotOwner)
	}
	c, err := s.cfg.Store.Customer(ctx, u.CustomerID)
	if err != nil {
		return BalanceView{}, err
	}
	v, err := s.view(ctx, a)
	if err != nil {
		return BalanceView{}, err
	}
	cards, err := s.Cards(ctx, c.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return BalanceView{}, err
	}
	return BalanceView{AccountID: a.ID, Kind: a.Kind, Available: v.Available, Frozen: v.Frozen, State: v.State, CustomerName: c.Name, Cards: cards}, nil
}

// Cards returns the customer's bound cards, masked.
func (s *Service) Cards(ctx context.Context, customerID string) ([]CardView, error) {
	cs, err := s.cfg.Store.BoundCards(ctx, customerID)
	if err != nil {
		return nil, err
	}
	out := []CardView{}
	for _, c := range cs {
		if c.State == CardBound {
			out = append(out, CardView{ID: c.ID, Masked: c.Masked, BankCode: c.BankCode, CardType: c.CardType})
		}
	}
	return out, nil
}
