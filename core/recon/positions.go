package recon

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// Positions is the ledger's external check (账实核对, ledger.CheckExternal) fed by real
// statements: a ledger.StatementSource built from the day's reconciliation runs.
//
// For each channel reconciled, the receivable 应收待清算-<channel> (code 1122) is expected to
// have moved on the day by what the channel's statements of the day net (payments less fees,
// less refunds), less the records the core books only later, plus the records the core booked
// that the channel lists only later (both items in transit of the 余额调节表). The position
// handed to the ledger is the figure the ledger compares with (the day's closing when the
// day is closed, else the current balance) with the day's own movement replaced by that
// expectation; so the check fails exactly when the ledger's receivable movement on the day is
// not what the statements explain — an amount or fee booked differently from the channel,
// or an entry on the receivable that no order of the day accounts for.
//
// The ledger's day is the day an entry was posted (natural Beijing day); for a channel whose
// day turns at another hour (UnionPay, 23:00) the two differ by the hour between, so run the
// check for such a channel on a day without traffic across the cut-off, or read its finding
// with the report's table.
type Positions struct {
	Ledger  ledger.Store
	Reports []*Report // the day's reports, one per channel account
}

// Positions implements ledger.StatementSource.
func (p Positions) Positions(ctx context.Context, day clock.Date) ([]ledger.Position, error) {
	if p.Ledger == nil {
		return nil, errors.New("recon: Positions needs the ledger's store")
	}
	type key struct {
		ch  string
		cur money.Currency
	}
	expect := map[key]int64{}
	var order []key
	for _, r := range p.Reports {
		if r == nil || r.Result == nil {
			continue
		}
		if day.Valid() && r.Day != day {
			return nil, fmt.Errorf("recon: positions for %s given a report of %s", day, r.Day)
		}
		day = r.Day
		k := key{r.Channel, r.cur()}
		if _, ok := expect[k]; !ok {
			order = append(order, k)
		}
		expect[k] += r.ChannelNet - r.Balance.ChannelOnly + r.Balance.CoreOnly
	}
	if len(order) == 0 {
		return nil, nil
	}
	var out []ledger.Position
	err := p.Ledger.Read(ctx, func(tx ledger.ReadTx) error {
		closed := false
		if err := tx.DayBalances(ctx, day, func(ledger.DayBalance) error { closed = true; return nil }); err != nil {
			return err
		}
		far := clock.Date{Year: 9999, Month: 12, Day: 31}
		movDay, err := tx.Movements(ctx, day.AddDays(-1), day)
		if err != nil {
			return err
		}
		movAfter, err := tx.Movements(ctx, day, far)
		if err != nil {
			return err
		}
		for _, k := range order {
			acc, err := tx.FindAccount(ctx, posting.CodeReceivable, ledger.OwnerChannel, k.ch, k.cur)
			if errors.Is(err, ledger.ErrNotFound) {
				if expect[k] != 0 {
					return fmt.Errorf("recon: the statements of %s net %s on %s but the ledger has no receivable for %s", k.ch, money.New(expect[k], k.cur), day, k.ch)
				}
				continue
			}
			if err != nil {
				return err
			}
			// The figure Verify compares: the day's closing, or the current balance.
			cmp := ledger.BalanceOf(acc).Posted.Minor()
			if closed {
				cmp -= signed(acc, movAfter[acc.ID])
			}
			ext := cmp - signed(acc, movDay[acc.ID]) + expect[k]
			out = append(out, ledger.Position{Account: acc.ID, Amount: money.New(ext, k.cur),
				Source: fmt.Sprintf("%s statements %s", k.ch, day)})
		}
		return nil
	})
	return out, err
}

// signed is the posted movement c on a's normal side.
func signed(a ledger.Account, c ledger.Counters) int64 {
	if a.Normal == ledger.Debit {
		return c.DebitPosted - c.CreditPosted
	}
	return c.CreditPosted - c.DebitPosted
}
