package ledger

import (
	"context"
	"fmt"
	"sort"

	"github.com/tongdao/tongdao/core/clock"
)

// CloseDay closes accounting day (日切): for every account it stores the opening (the previous
// close), the day's movements and the closing, and seals the chain head together with a digest
// of those rows and the head of the change log (signed if a Signer is configured). Afterwards
// an entry for day or any earlier day is refused with ErrDayClosed.
//
// Days close in order; closing D when the last closed day is earlier than D-1 folds the
// skipped days into D's movements. Closing the day that is already the last closed returns its
// seal again (idempotent); an earlier day fails with ErrDayClosed; the current or a future
// accounting day fails with ErrDayNotOver.
func (l *Ledger) CloseDay(ctx context.Context, day clock.Date) (Seal, error) {
	if !day.Valid() {
		return Seal{}, fmt.Errorf("%w: day %v", ErrInvalidRequest, day)
	}
	var seal Seal
	err := l.do(ctx, func(ctx context.Context, tx WriteTx) error {
		head, err := tx.Head(ctx)
		if err != nil {
			return err
		}
		if head.LastClosed == day {
			seals, err := tx.Seals(ctx)
			if err != nil {
				return err
			}
			for _, s := range seals {
				if s.Day == day {
					seal = s
					return nil
				}
			}
			return fmt.Errorf("ledger: day %s is closed but has no seal", day)
		}
		if head.LastClosed != (clock.Date{}) && !day.After(head.LastClosed) {
			return fmt.Errorf("%w: %s (last closed %s)", ErrDayClosed, day, head.LastClosed)
		}
		now := l.cfg.Clock.Now().UTC()
		if today := clock.AccountingDay(now, l.cfg.Cutoff); !day.Before(today) {
			return fmt.Errorf("%w: %s (today is %s)", ErrDayNotOver, day, today)
		}
		rows, err := closeRows(ctx, tx, head.LastClosed, day)
		if err != nil {
			return err
		}
		hash := head.Hash
		if len(hash) == 0 {
			hash = zeroHash
		}
		cseq, chash, err := tx.ControlHead(ctx)
		if err != nil {
			return err
		}
		if len(chash) == 0 {
			chash = zeroHash
		}
		seal = Seal{Day: day, PrevDay: head.LastClosed, HeadSeq: head.Seq, HeadHash: hash, ClosedAt: now,
			Rows: RowsDigest(day, rows), ControlSeq: cseq, ControlHash: chash}
		if l.cfg.Signer != nil {
			seal.KeyID = l.cfg.Signer.KeyID()
			if seal.Signature, err = l.cfg.Signer.Sign(SealMessage(seal)); err != nil {
				return fmt.Errorf("ledger: sign seal of %s: %w", day, err)
			}
		}
		return tx.PutDayClose(ctx, seal, rows)
	})
	return seal, err
}

// closeRows computes the rows of a close: previous closing + movements of (last, day].
func closeRows(ctx context.Context, tx ReadTx, last, day clock.Date) ([]DayBalance, error) {
	mov, err := tx.Movements(ctx, last, day)
	if err != nil {
		return nil, err
	}
	open := map[AccountID]Counters{}
	if last != (clock.Date{}) {
		if err := tx.DayBalances(ctx, last, func(b DayBalance) error {
			open[b.Account] = b.Closing
			return nil
		}); err != nil {
			return nil, err
		}
	}
	ids := make([]AccountID, 0, len(open)+len(mov))
	for id := range open {
		ids = append(ids, id)
	}
	for id := range mov {
		if _, ok := open[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	rows := make([]DayBalance, 0, len(ids))
	for _, id := range ids {
		o, m := open[id], mov[id]
		if o == (Counters{}) && m == (Counters{}) {
			continue
		}
		rows = append(rows, DayBalance{Day: day, Account: id, Opening: o, Movement: m, Closing: o.plus(m)})
	}
	return rows, nil
}

// plus adds counters (no overflow check: every counter the ledger accepted fits).
func (c Counters) plus(d Counters) Counters {
	return Counters{c.DebitPosted + d.DebitPosted, c.CreditPosted + d.CreditPosted, c.DebitPending + d.DebitPending, c.CreditPending + d.CreditPending}
}

// DayClose returns the stored rows of a closed day, by account.
func (l *Ledger) DayClose(ctx context.Context, day clock.Date) ([]DayBalance, error) {
	var rows []DayBalance
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		return tx.DayBalances(ctx, day, func(b DayBalance) error {
			rows = append(rows, b)
			return nil
		})
	})
	return rows, err
}
