package recon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Input is one reconciliation of one channel account's accounting day.
type Input struct {
	Channel string     // the channel (adapter) name, for items and reports
	Account string     // the channel account
	Day     clock.Date // the channel's accounting day
	// Cutoff is the channel's day cut-off (channel.Info.DayCutoff): the day's bounds, and
	// so which local rows belong to it, follow it.
	Cutoff time.Duration
	// Window is the cross-day window (轧账切分点): a record within Window before the end of
	// the day that cannot be matched waits for the next day's run (ItemWaiting) instead of
	// becoming an exception. Zero waits for nothing.
	Window time.Duration
	// Statement is the channel's statement of Day; Reconcile reads it to the end but does
	// not close it.
	Statement channel.StatementReader
	Local     Source
	// Carried are the items the previous day's run left waiting; Reconcile matches them
	// with this day's records or opens them.
	Carried []Item
	// Fee, when set, gives the contract's fee on each payment, compared with the
	// statement's (FeeDiffers). Nil compares no fees and takes the channel's.
	Fee FeeFunc
	// Sink receives every item found (new items with ID 0; carried items, with their ID,
	// resolved or opened). It may change the item before it is counted: the runner
	// confirms channel-only payments by query there. Nil keeps nothing.
	Sink func(ctx context.Context, it *Item) error
	// SizeHint is the expected number of statement records (0 = unknown).
	SizeHint int
}

// Bounds returns the instants [from, to) of accounting day d under cutoff, Beijing time.
func Bounds(d clock.Date, cutoff time.Duration) (from, to time.Time) {
	start := d.Start(clock.Beijing())
	next := d.AddDays(1).Start(clock.Beijing())
	switch {
	case cutoff > 0:
		return d.AddDays(-1).Start(clock.Beijing()).Add(cutoff), start.Add(cutoff)
	case cutoff < 0:
		return start.Add(-cutoff), next.Add(-cutoff)
	}
	return start, next
}

// Tally is a count and the amounts on each side, in minor units.
type Tally struct {
	Count         int64 `json:"count"`
	LocalAmount   int64 `json:"local_amount"`
	ChannelAmount int64 `json:"channel_amount"`
}

func (t *Tally) add(local, ch int64) {
	t.Count++
	t.LocalAmount += local
	t.ChannelAmount += ch
}

// Result is what Reconcile found, in counts and sums; the items went to Input.Sink.
type Result struct {
	Channel        string            `json:"channel"`
	Account        string            `json:"account"`
	Day            clock.Date        `json:"day"`
	From           time.Time         `json:"from"`
	To             time.Time         `json:"to"`
	Currency       money.Currency    `json:"currency"`
	Classes        map[Class]*Tally  `json:"classes"`
	Waiting        Tally             `json:"waiting"`           // items left for the next day's run
	Carried        Tally             `json:"carried"`           // the previous day's waiting items
	CarriedMatched int64             `json:"carried_matched"`   // of them, matched today
	Skipped        map[string]*Tally `json:"skipped,omitempty"` // statement records of types not reconciled, by type
	// Channel and local sides of the day: records and their net effect on the receivable
	// from the channel (payments less fee, less refunds plus returned fee), minor units.
	ChannelRecords int64 `json:"channel_records"`
	LocalRecords   int64 `json:"local_records"`
	ChannelNet     int64 `json:"channel_net"`
	LocalNet       int64 `json:"local_net"`
	// StatementTotals is the statement's own totals (nil when its format has none) and
	// TotalsMismatch what disagrees with the records' counts ("" when nothing).
	StatementTotals *channel.StatementTotals `json:"statement_totals,omitempty"`
	TotalsMismatch  string                   `json:"totals_mismatch,omitempty"`
	Open            int64                    `json:"open"` // items left open (exceptions)
	Balance         Balance                  `json:"balance"`
}

// Balance is the balance reconciliation table (余额调节表) of a day, in minor units: the core's
// net booking to the receivable from the channel (LocalNet) and the statement's (ChannelNet),
// each less the items in transit that only its side has, agree once the differences found in
// matched records are added: LocalNet − CoreOnly + Differences = ChannelNet − ChannelOnly.
type Balance struct {
	// CoreOnly: booked in the core on the day, not on the day's statement (local only,
	// waiting, or on the previous day's statement).
	CoreOnly int64 `json:"core_only"`
	// ChannelOnly: on the day's statement, not booked in the core on the day (channel only,
	// waiting, or booked the previous day).
	ChannelOnly int64 `json:"channel_only"`
	// Differences: statement minus core over records both have (amounts and fees differ).
	Differences int64 `json:"differences"`
}

// Adjusted returns each side after its items in transit (core side with the differences).
func (r *Result) Adjusted() (core, channelSide int64) {
	return r.LocalNet - r.Balance.CoreOnly + r.Balance.Differences, r.ChannelNet - r.Balance.ChannelOnly
}

// Balanced reports whether the table agrees.
func (r *Result) Balanced() bool {
	c, ch := r.Adjusted()
	return c == ch
}

// Reconcile matches one day's statement against the core's records of that day. Memory is
// the compact index of the statement (40 bytes a record, its numbers, and 8–16 bytes of
// table), never the local side. It returns an error only when a side cannot be read; differences are items.
func Reconcile(ctx context.Context, in Input) (*Result, error) {
	if in.Statement == nil || in.Local == nil {
		return nil, errors.New("recon: Reconcile needs a Statement and a Local source")
	}
	if in.Account == "" || !in.Day.Valid() {
		return nil, fmt.Errorf("recon: Reconcile needs an Account and a valid Day (got %q, %v)", in.Account, in.Day)
	}
	from, to := Bounds(in.Day, in.Cutoff)
	res := &Result{Channel: in.Channel, Account: in.Account, Day: in.Day, From: from, To: to, Classes: map[Class]*Tally{}}
	for _, c := range Classes {
		res.Classes[c] = &Tally{}
	}
	waitFrom := to.Add(-in.Window)
	ix := newIndex(in.SizeHint)
	sink := func(it *Item) error {
		carried := it.ID != 0
		if !carried {
			it.Account, it.Channel, it.Day = in.Account, in.Channel, in.Day
		}
		if in.Sink != nil {
			if err := in.Sink(ctx, it); err != nil {
				return err
			}
		}
		switch {
		case carried: // counted in Carried
		case it.Status == ItemWaiting:
			res.Waiting.add(it.LocalAmount, it.ChannelAmount)
		default:
			res.Classes[it.Class].add(it.LocalAmount, it.ChannelAmount)
			if it.Status == ItemOpen {
				res.Open++
			}
		}
		if carried && it.Status == ItemOpen {
			res.Open++
		}
		return nil
	}

	// 1. The statement into the index; reading (parsing) runs beside the indexing.
	var nPay, nRef int64
	err := pipe(ctx, func(ctx context.Context, emit func(*channel.StatementRecord) error) error {
		var rec channel.StatementRecord
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := in.Statement.Next(&rec)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("recon: statement of %s %s: %w", in.Account, in.Day, err)
			}
			if err := emit(&rec); err != nil {
				return err
			}
		}
	}, func(rec *channel.StatementRecord) error {
		res.ChannelRecords++
		k := kind8Of(rec.Type)
		if res.Currency == "" {
			res.Currency = rec.Amount.Currency()
		}
		if k == 0 {
			if res.Skipped == nil {
				res.Skipped = map[string]*Tally{}
			}
			t := res.Skipped[string(rec.Type)]
			if t == nil {
				t = &Tally{}
				res.Skipped[string(rec.Type)] = t
			}
			t.add(0, rec.Amount.Minor())
			return nil
		}
		no, txn := rec.OrderNo, rec.ChannelTxnID
		st := uint8(0)
		if rec.Status == channel.StatusSucceeded || rec.Status == channel.StatusUnknown && k == k8Payment {
			st = 1
		}
		if k == k8Refund {
			no, txn = rec.RefundNo, rec.ChannelRefundID
			nRef++
		} else {
			nPay++
		}
		if st == 1 {
			res.ChannelNet += netOf(k, rec.Amount.Minor(), rec.Fee.Minor())
		}
		if no == "" {
			return fmt.Errorf("recon: statement of %s %s line %d: a %s without its merchant number", in.Account, in.Day, rec.Line, rec.Type)
		}
		return ix.add(k, no, txn, rec.Amount, rec.Fee.Minor(), rec.ChannelTime, st, rec.Line, false)
	})
	if err != nil {
		return nil, err
	}
	if t := in.Statement.Totals(); t != nil {
		res.StatementTotals = t
		res.TotalsMismatch = totalsMismatch(t, nPay, nRef)
	}
	// Carried channel records join the index; carried local rows are matched after the
	// day's own.
	var carriedLocal []Item
	carriedRow := map[int32]Item{}
	for _, it := range in.Carried {
		res.Carried.add(it.LocalAmount, it.ChannelAmount)
		switch it.Class {
		case ChannelOnly:
			k := k8Payment
			if it.Kind == KindRefund {
				k = k8Refund
			}
			if ix.find(k, it.No) >= 0 {
				// Listed again today (a channel that repeats the record): today's copy wins.
				carriedLocal = append(carriedLocal, it)
				continue
			}
			if err := ix.add(k, it.No, it.TxnID, money.New(it.ChannelAmount, it.Currency), it.ChannelFee, it.At, 1, 0, true); err != nil {
				return nil, err
			}
			carriedRow[int32(ix.n-1)] = it
		default:
			carriedLocal = append(carriedLocal, it)
		}
	}

	// 2. The local side streams through the index.
	m := &matcher{in: &in, ix: ix, res: res, sink: sink, waitFrom: waitFrom, carriedRow: carriedRow}
	if err := pipe(ctx, func(ctx context.Context, emit func(*Local) error) error {
		return in.Local.ReconLocal(ctx, in.Account, from, to, emit)
	}, func(l *Local) error {
		res.LocalRecords++
		return m.local(ctx, l, nil)
	}); err != nil {
		return nil, fmt.Errorf("recon: local side of %s %s: %w", in.Account, in.Day, err)
	}
	for i := range carriedLocal {
		it := &carriedLocal[i]
		if it.Class == ChannelOnly { // listed again today: resolved by today's copy
			it.Status, it.Note = ItemResolved, "listed again on "+in.Day.String()
			res.CarriedMatched++
			if err := sink(it); err != nil {
				return nil, err
			}
			continue
		}
		l := Local{Kind: it.Kind, No: it.No, OrderNo: it.OrderNo, ID: it.LocalID, TxnID: it.TxnID,
			Amount: money.New(it.LocalAmount, it.Currency), State: it.LocalState, At: it.At}
		if err := m.local(ctx, &l, it); err != nil {
			return nil, err
		}
	}

	// 3. What the local side left in the index is the channel's alone.
	for i := int32(0); i < int32(ix.n); i++ {
		r := ix.at(i)
		if r.flags&flagMatched != 0 {
			continue
		}
		v := ix.view(i)
		if v.Carried {
			it := carriedRow[i]
			it.Status, it.Note = ItemOpen, "not matched on the next day either"
			if err := sink(&it); err != nil {
				return nil, err
			}
			continue
		}
		k := k8Payment
		if v.Kind == KindRefund {
			k = k8Refund
		}
		if v.Status == 1 {
			res.Balance.ChannelOnly += netOf(k, v.Amount.Minor(), v.Fee)
		}
		it := Item{Class: ChannelOnly, Kind: v.Kind, No: v.No, TxnID: v.Txn, Currency: v.Currency,
			ChannelAmount: v.Amount.Minor(), ChannelFee: v.Fee, ChannelStatus: statusText(v.Status), At: v.At, Status: ItemOpen,
			Note: fmt.Sprintf("statement line %d: no %s of the day has this number", v.Line, v.Kind)}
		if v.Status != 1 {
			// A refund the channel lists as processing or failed, which the core has not
			// completed either: nothing to settle, nothing to compare.
			it.Class, it.Status, it.Note = StatusDiffers, ItemResolved, "the channel lists it as not succeeded and the core has not completed it"
		} else if !v.At.IsZero() && !v.At.Before(waitFrom) {
			it.Status, it.Note = ItemWaiting, fmt.Sprintf("within %s of the day's end: waits for the next day's run", in.Window)
		}
		if err := sink(&it); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func statusText(s uint8) string {
	if s == 1 {
		return string(channel.StatusSucceeded)
	}
	return "not_succeeded"
}

type matcher struct {
	in       *Input
	ix       *index
	res      *Result
	sink     func(*Item) error
	waitFrom time.Time
	// carriedRow maps index rows of the previous day's waiting channel records to their items.
	carriedRow map[int32]Item
}

// local compares one local row with the index. carried is the previous day's waiting item the
// row comes from, or nil (a row of the day's own stream).
func (m *matcher) local(ctx context.Context, l *Local, carried *Item) error {
	k := k8Payment
	if l.Kind == KindRefund {
		k = k8Refund
	}
	amt := l.Amount.Minor()
	var fee int64
	feeKnown := false
	if m.in.Fee != nil && k == k8Payment {
		f, err := m.in.Fee(m.in.Account, l.Amount)
		switch {
		case errors.Is(err, ErrNoContract):
		case err != nil:
			return fmt.Errorf("recon: fee of %s %s: %w", l.Kind, l.No, err)
		default:
			fee, feeKnown = f.Minor(), true
		}
	}
	if carried == nil && m.res.Currency == "" {
		m.res.Currency = l.Amount.Currency()
	}
	i := m.ix.find(k, l.No)
	if i < 0 {
		if carried != nil {
			carried.Status, carried.Note = ItemOpen, "not on the next day's statement either"
			return m.sink(carried)
		}
		ln := netOf(k, amt, fee)
		m.res.LocalNet += ln
		m.res.Balance.CoreOnly += ln
		it := m.item(l, LocalOnly)
		it.LocalFee = fee
		it.Note = "paid in the core on the day; not on the statement"
		if !l.At.IsZero() && !l.At.Before(m.waitFrom) {
			it.Status, it.Note = ItemWaiting, fmt.Sprintf("within %s of the day's end: waits for the next day's statement", m.in.Window)
		}
		return m.sink(&it)
	}
	r := m.ix.at(i)
	r.flags |= flagMatched
	if !feeKnown {
		fee = r.fee // no contract: the core booked the channel's fee
	}
	ln, cn := netOf(k, amt, fee), netOf(k, r.amount, r.fee)
	switch {
	case carried != nil:
		// Booked in the core yesterday, on the channel's statement today.
		carried.Status, carried.Note = ItemResolved, "matched on "+m.in.Day.String()
		m.res.CarriedMatched++
		m.res.Balance.ChannelOnly += cn
		if err := m.sink(carried); err != nil {
			return err
		}
	case r.flags&flagCarried != 0:
		// On the channel's statement yesterday, booked in the core today.
		it := m.carriedRow[i]
		it.Status, it.Note = ItemResolved, "matched on "+m.in.Day.String()
		m.res.CarriedMatched++
		m.res.LocalNet += ln
		m.res.Balance.CoreOnly += ln
		if err := m.sink(&it); err != nil {
			return err
		}
	case r.status != 1:
		m.res.LocalNet += ln
		m.res.Balance.CoreOnly += ln // the channel's statement does not count it as moved
	default:
		m.res.LocalNet += ln
		m.res.Balance.Differences += cn - ln
	}
	var class Class
	var note string
	switch {
	case r.curIdx >= uint8(len(m.ix.curs)) || m.ix.curs[r.curIdx] != l.Amount.Currency():
		class, note = AmountDiffers, "currencies differ"
	case r.amount != amt:
		class, note = AmountDiffers, fmt.Sprintf("core %s, statement %s", l.Amount, money.New(r.amount, l.Amount.Currency()))
	case r.status != 1:
		class, note = StatusDiffers, "succeeded in the core; the statement lists it as not succeeded"
	case r.txnLen > 0 && l.TxnID != "" && string(m.ix.bytes(r.txn())) != l.TxnID:
		class, note = TxnIDDiffers, "transaction id: core "+l.TxnID+", statement "+m.ix.str(r.txn())
	case feeKnown && r.fee != fee:
		class, note = FeeDiffers, fmt.Sprintf("fee: contract %s, statement %s", money.New(fee, l.Amount.Currency()), money.New(r.fee, l.Amount.Currency()))
	default:
		m.res.Classes[Matched].add(amt, r.amount)
		return nil
	}
	it := m.item(l, class)
	it.ChannelAmount, it.ChannelFee, it.LocalFee, it.Note = r.amount, r.fee, fee, note
	it.ChannelStatus = statusText(r.status)
	if r.txnLen > 0 {
		it.TxnID = m.ix.str(r.txn())
	}
	return m.sink(&it)
}

// netOf is a record's effect on the receivable from the channel: a payment's amount less its
// fee; a refund's amount back out, less the fee it returns (fee is negative then).
func netOf(k Kind8, amount, fee int64) int64 {
	if k == k8Refund {
		return -(amount + fee)
	}
	return amount - fee
}

func (m *matcher) item(l *Local, c Class) Item {
	return Item{Class: c, Kind: l.Kind, No: l.No, OrderNo: l.OrderNo, LocalID: l.ID, TxnID: l.TxnID,
		Currency: l.Amount.Currency(), LocalAmount: l.Amount.Minor(), LocalState: l.State, At: l.At, Status: ItemOpen}
}

// totalsMismatch compares a statement's stated record counts with its records (a truncated
// file shows here).
func totalsMismatch(t *channel.StatementTotals, nPay, nRef int64) string {
	var out string
	add := func(s string, a ...any) {
		if out != "" {
			out += "; "
		}
		out += fmt.Sprintf(s, a...)
	}
	if t.PaymentCount != 0 && t.PaymentCount != nPay {
		add("payment count: stated %d, records %d", t.PaymentCount, nPay)
	}
	if t.RefundCount != 0 && t.RefundCount != nRef {
		add("refund count: stated %d, records %d", t.RefundCount, nRef)
	}
	// Stated amounts are not compared: channels state different sums (Alipay the merchant's
	// receipts after discounts, WeChat the settlement amount), not the orders' amounts.
	return out
}
