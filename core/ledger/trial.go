package ledger

import (
	"context"
	"fmt"
	"sort"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// TrialRow is one chart code of a trial balance in one currency: the debit and credit
// balances of its own accounts and of every descendant code, in minor units of Currency.
type TrialRow struct {
	Code     string
	Parent   string
	Name     string
	Currency money.Currency
	Own      int64 // net debit (positive) or credit (negative) of the code's own accounts
	Debit    int64 // sum of debit balances, own and descendants
	Credit   int64 // sum of credit balances, own and descendants
}

// TrialBalance is the roll-up of every account's posted balance up the chart. For each code,
// Debit and Credit equal its own accounts' plus its children's; over the top-level codes total
// debits equal total credits per currency when the books balance.
type TrialBalance struct {
	Day    clock.Date // zero: current balances
	Rows   []TrialRow // by code, then currency
	Totals map[money.Currency][2]int64
}

// Balanced reports whether total debits equal total credits in every currency.
func (t *TrialBalance) Balanced() bool {
	for _, x := range t.Totals {
		if x[0] != x[1] {
			return false
		}
	}
	return true
}

// TrialBalance builds the trial balance from current balances, or from the closing of day if
// day is set (the day must be closed).
func (l *Ledger) TrialBalance(ctx context.Context, day clock.Date) (*TrialBalance, error) {
	tb := &TrialBalance{Day: day, Totals: map[money.Currency][2]int64{}}
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		chart, err := tx.Chart(ctx)
		if err != nil {
			return err
		}
		closing := map[AccountID]Counters{}
		if day != (clock.Date{}) {
			n := 0
			if err := tx.DayBalances(ctx, day, func(b DayBalance) error {
				closing[b.Account] = b.Closing
				n++
				return nil
			}); err != nil {
				return err
			}
			h, err := tx.Head(ctx)
			if err != nil {
				return err
			}
			if h.LastClosed == (clock.Date{}) || day.After(h.LastClosed) {
				return fmt.Errorf("%w: day %s is not closed", ErrNotFound, day)
			}
		}
		type key struct {
			code string
			cur  money.Currency
		}
		own := map[key]*TrialRow{}
		if err := tx.Accounts(ctx, func(a Account) error {
			c := a.Counters
			if day != (clock.Date{}) {
				c = closing[a.ID]
			}
			k := key{a.Code, a.Currency}
			r := own[k]
			if r == nil {
				r = &TrialRow{Code: a.Code, Currency: a.Currency}
				own[k] = r
			}
			net := c.DebitPosted - c.CreditPosted
			r.Own += net
			if net > 0 {
				r.Debit += net
			} else {
				r.Credit -= net
			}
			return nil
		}); err != nil {
			return err
		}
		parent := map[string]string{}
		names := map[string]string{}
		for _, c := range chart {
			parent[c.Code], names[c.Code] = c.Parent, c.Name
		}
		rows := map[key]*TrialRow{}
		for k, r := range own {
			tb.Totals[k.cur] = [2]int64{tb.Totals[k.cur][0] + r.Debit, tb.Totals[k.cur][1] + r.Credit}
			// Add the account balances to the code and every ancestor.
			for code, hops := k.code, 0; code != "" && hops < 64; code, hops = parent[code], hops+1 {
				rk := key{code, k.cur}
				x := rows[rk]
				if x == nil {
					x = &TrialRow{Code: code, Parent: parent[code], Name: names[code], Currency: k.cur}
					rows[rk] = x
				}
				if code == k.code {
					x.Own += r.Own
				}
				x.Debit += r.Debit
				x.Credit += r.Credit
			}
		}
		for _, r := range rows {
			tb.Rows = append(tb.Rows, *r)
		}
		sort.Slice(tb.Rows, func(i, j int) bool {
			if tb.Rows[i].Code != tb.Rows[j].Code {
				return tb.Rows[i].Code < tb.Rows[j].Code
			}
			return tb.Rows[i].Currency < tb.Rows[j].Currency
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tb, nil
}
