package recon

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/tongdao/tongdao/core/money"
)

// MaxListed caps the items a Report lists (the counts are always complete).
const MaxListed = 1000

// Report is a day's reconciliation of one channel account: the run's counts and sums, the
// items still open or waiting, and the balance reconciliation table.
type Report struct {
	*Result
	// Exceptions are the day's open items; Waiting its items waiting for the next day; both
	// capped at MaxListed.
	Exceptions []Item `json:"exceptions"`
	Waiting    []Item `json:"waiting_items"`
	// ResolvedToday are the day's items the run resolved itself (confirmed by query).
	ResolvedToday []Item `json:"resolved"`
}

// OK reports whether nothing is left open (waiting items are not exceptions yet) and the
// balance table agrees.
func (r *Report) OK() bool { return r.Open == 0 && r.Balanced() }

func (rn *Runner) report(ctx context.Context, res *Result) (*Report, error) {
	rep := &Report{Result: res}
	var err error
	if rep.Exceptions, err = rn.cfg.Store.ReconItems(ctx, ItemFilter{Account: res.Account, Day: res.Day, Status: ItemOpen, Limit: MaxListed}); err != nil {
		return nil, err
	}
	if rep.Waiting, err = rn.cfg.Store.ReconItems(ctx, ItemFilter{Account: res.Account, Day: res.Day, Status: ItemWaiting, Limit: MaxListed}); err != nil {
		return nil, err
	}
	if rep.ResolvedToday, err = rn.cfg.Store.ReconItems(ctx, ItemFilter{Account: res.Account, Day: res.Day, Status: ItemResolved, Limit: MaxListed}); err != nil {
		return nil, err
	}
	// Carried items opened today belong to the previous day but are today's exceptions.
	carried, err := rn.cfg.Store.ReconWaiting(ctx, res.Account, res.Day)
	if err != nil {
		return nil, err
	}
	for _, it := range carried {
		if it.Status == ItemOpen {
			rep.Exceptions = append(rep.Exceptions, it)
		}
	}
	return rep, nil
}

func (r *Report) amt(minor int64) string { return money.New(minor, r.cur()).String() }

func (r *Report) cur() money.Currency {
	if r.Currency == "" {
		return money.CNY
	}
	return r.Currency
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	p := &errWriter{w: w}
	p.f("reconciliation %s %s (%s), day %s [%s, %s)\n", r.Channel, r.Account, r.cur(), r.Day,
		r.From.Format("2006-01-02 15:04"), r.To.Format("2006-01-02 15:04"))
	p.f("statement records %d, core records %d\n\n", r.ChannelRecords, r.LocalRecords)
	p.f("%-16s %8s %16s %16s\n", "class", "count", "core", "statement")
	for _, c := range Classes {
		t := r.Classes[c]
		p.f("%-16s %8d %16s %16s\n", c, t.Count, r.amt(t.LocalAmount), r.amt(t.ChannelAmount))
	}
	p.f("%-16s %8d %16s %16s\n", "waiting", r.Result.Waiting.Count, r.amt(r.Result.Waiting.LocalAmount), r.amt(r.Result.Waiting.ChannelAmount))
	p.f("%-16s %8d   (matched today: %d)\n", "carried in", r.Carried.Count, r.CarriedMatched)
	types := make([]string, 0, len(r.Skipped))
	for typ := range r.Skipped {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		t := r.Skipped[typ]
		p.f("not reconciled: %d %s records, %s\n", t.Count, typ, r.amt(t.ChannelAmount))
	}
	if r.TotalsMismatch != "" {
		p.f("statement totals disagree with its records: %s\n", r.TotalsMismatch)
	}
	core, ch := r.Adjusted()
	p.f("\n余额调节表 balance reconciliation (net to the receivable from %s)\n", r.Channel)
	p.f("  core booked on the day                     %16s\n", r.amt(r.LocalNet))
	p.f("  − in transit: booked, not on the statement %16s\n", r.amt(r.Balance.CoreOnly))
	p.f("  + differences found (statement − core)     %16s\n", r.amt(r.Balance.Differences))
	p.f("  = core adjusted                            %16s\n", r.amt(core))
	p.f("  statement net                              %16s\n", r.amt(r.ChannelNet))
	p.f("  − in transit: on the statement, not booked %16s\n", r.amt(r.Balance.ChannelOnly))
	p.f("  = statement adjusted                       %16s\n", r.amt(ch))
	if core == ch {
		p.f("  agrees\n")
	} else {
		p.f("  DOES NOT AGREE: %s unexplained\n", r.amt(ch-core))
	}
	list := func(title string, its []Item) {
		if len(its) == 0 {
			return
		}
		p.f("\n%s (%d):\n", title, len(its))
		for _, it := range its {
			p.f("  #%d %s %s %s core %s statement %s fee %s/%s: %s\n", it.ID, it.Class, it.Kind, it.No,
				r.amt(it.LocalAmount), r.amt(it.ChannelAmount), r.amt(it.LocalFee), r.amt(it.ChannelFee), it.Note)
		}
	}
	list("exceptions", r.Exceptions)
	list("waiting for the next day", r.Waiting)
	list("resolved by this run", r.ResolvedToday)
	if r.OK() {
		p.f("\nresult: reconciled, no exceptions\n")
	} else {
		p.f("\nresult: %d exceptions open\n", r.Open)
	}
	return p.err
}

// WriteJSON writes the report as one JSON object (amounts in minor units).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	core, ch := r.Adjusted()
	return enc.Encode(struct {
		*Report
		OK              bool  `json:"ok"`
		CoreAdjusted    int64 `json:"core_adjusted"`
		ChannelAdjusted int64 `json:"channel_adjusted"`
	}{r, r.OK(), core, ch})
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"day", "channel", "account", "section", "class", "status", "kind", "no", "order_no", "txn_id", "currency",
	"count", "core_amount", "statement_amount", "core_fee", "statement_fee", "note"}

// WriteCSV writes the report for finance teams: one summary row per class ("summary"), the
// balance table ("balance"), then one row per listed item ("item"). Amounts are in yuan
// with two decimals (the currency's minor unit).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	y := func(minor int64) string { return money.New(minor, r.cur()).Decimal() }
	base := func(section string) []string {
		return []string{r.Day.String(), r.Channel, r.Account, section}
	}
	_ = cw.Write(CSVHeader)
	for _, c := range Classes {
		t := r.Classes[c]
		_ = cw.Write(append(base("summary"), string(c), "", "", "", "", "", string(r.cur()), strconv.FormatInt(t.Count, 10), y(t.LocalAmount), y(t.ChannelAmount), "", "", ""))
	}
	core, ch := r.Adjusted()
	for _, b := range []struct {
		name string
		v    int64
	}{{"core_booked", r.LocalNet}, {"core_in_transit", r.Balance.CoreOnly}, {"differences", r.Balance.Differences}, {"core_adjusted", core},
		{"statement_net", r.ChannelNet}, {"statement_in_transit", r.Balance.ChannelOnly}, {"statement_adjusted", ch}} {
		_ = cw.Write(append(base("balance"), b.name, "", "", "", "", "", string(r.cur()), "", "", "", "", "", y(b.v)))
	}
	for _, list := range [][]Item{r.Exceptions, r.Waiting, r.ResolvedToday} {
		for _, it := range list {
			_ = cw.Write(append(base("item"), string(it.Class), string(it.Status), string(it.Kind), it.No, it.OrderNo, it.TxnID, string(r.cur()), "1",
				y(it.LocalAmount), y(it.ChannelAmount), y(it.LocalFee), y(it.ChannelFee), it.Note))
		}
	}
	cw.Flush()
	return cw.Error()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) f(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
