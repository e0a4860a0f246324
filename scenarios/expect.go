package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// checkResult checks a step's own outcome against expect.
func checkResult(e *Expect, out outcome) error {
	// With both a status and an error kind, either outcome passes (Alipay's
	// TRADE_NOT_EXIST before the payer scans vs. another channel's PENDING).
	wantErr := len(e.Error) > 0 || e.AnyError
	if out.err != nil {
		var ce *channel.Error
		errors.As(out.err, &ce)
		kind := channel.KindOf(out.err)
		if !wantErr {
			return fmt.Errorf("expected %s, got error %s: %v", wantStatusText(e), KindName(kind), out.err)
		}
		if !e.AnyError && !containsKind(e.Error, kind) {
			want := "error " + kindsText(e.Error)
			if len(e.Status) > 0 {
				want = "status " + statusesText(e.Status) + " or " + want
			}
			return fmt.Errorf("expected %s, got error %s: %v", want, KindName(kind), out.err)
		}
		if e.Code != "" && (ce == nil || ce.Code != e.Code) {
			got := ""
			if ce != nil {
				got = ce.Code
			}
			return fmt.Errorf("expected error code %q, got %q: %v", e.Code, got, out.err)
		}
		if e.Retryable != nil && channel.IsRetryable(out.err) != *e.Retryable {
			return fmt.Errorf("expected retryable=%t, got %t: %v", *e.Retryable, !*e.Retryable, out.err)
		}
		return nil
	}
	if wantErr && len(e.Status) == 0 {
		got := "success"
		if out.status != nil {
			got = "status " + out.status.String()
		}
		return fmt.Errorf("expected error %s, got %s", kindsText(e.Error), got)
	}
	if (e.Code != "" || e.Retryable != nil) && !wantErr {
		return fmt.Errorf("expected an error (code/retryable given), got success")
	}
	if len(e.Status) > 0 {
		if out.status == nil {
			return fmt.Errorf("expected status %s, but this step reports none", statusesText(e.Status))
		}
		if !containsStatus(e.Status, *out.status) {
			return fmt.Errorf("expected status %s, got %s", statusesText(e.Status), out.status)
		}
	}
	if e.Amount != nil {
		if out.amount == nil || !sameAmount(*out.amount, *e.Amount) {
			return fmt.Errorf("expected amount %s, got %s", e.Amount, amountText(out.amount))
		}
	}
	if e.RefundedAmount != nil {
		if out.refunded == nil || !sameAmount(*out.refunded, *e.RefundedAmount) {
			return fmt.Errorf("expected refunded amount %s, got %s", e.RefundedAmount, amountText(out.refunded))
		}
	}
	if e.Final != nil {
		if out.final == nil {
			return fmt.Errorf("expected final=%t, but this step reports no payout", *e.Final)
		}
		if *out.final != *e.Final {
			return fmt.Errorf("expected final=%t, got %t (a payout's SUCCEEDED is not final; REVERSED and FAILED are)", *e.Final, *out.final)
		}
	}
	if e.Frozen != nil {
		if out.frozen == nil || !sameAmount(*out.frozen, *e.Frozen) {
			return fmt.Errorf("expected frozen amount %s, got %s", e.Frozen, amountText(out.frozen))
		}
	}
	return nil
}

func wantStatusText(e *Expect) string {
	if len(e.Status) > 0 {
		return "status " + statusesText(e.Status)
	}
	return "success"
}

func containsKind(ks []channel.Kind, k channel.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func containsStatus(ss []channel.Status, s channel.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func kindsText(ks []channel.Kind) string {
	if len(ks) == 0 {
		return "any"
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = KindName(k)
	}
	return strings.Join(names, " or ")
}

func statusesText(ss []channel.Status) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.String()
	}
	return strings.Join(names, " or ")
}

func amountText(a interface{ String() string }) string {
	if a == nil {
		return "none"
	}
	return a.String()
}

// checkShared checks callbacks, records and statements (step or scenario level).
func (r *run) checkShared(ctx context.Context, e *Expect, st *Step, step int) error {
	if len(e.Callbacks) > 0 || len(e.Records) > 0 {
		if err := r.flush(ctx); err != nil {
			return err
		}
	}
	// Every check is made (they do not depend on each other); errStop after the last
	// when any failed.
	failed := false
	for i := range e.Callbacks {
		if err := r.checkCallbacks(ctx, &e.Callbacks[i]); err != nil {
			r.fail(e.Callbacks[i].Pos, step, err.Error())
			failed = true
		}
	}
	for i := range e.Records {
		if err := r.checkRecords(ctx, &e.Records[i]); err != nil {
			r.fail(e.Records[i].Pos, step, err.Error())
			failed = true
		}
	}
	for i := range e.Webhooks {
		if err := r.checkWebhooks(&e.Webhooks[i]); err != nil {
			r.fail(e.Webhooks[i].Pos, step, err.Error())
			return errStop
		}
	}
	for i := range e.Statements {
		se := &e.Statements[i]
		recs := r.stmt
		if st == nil {
			var err error
			if recs, err = r.fetchStatement(ctx, se); err != nil {
				r.fail(se.Pos, step, err.Error())
				failed = true
				continue
			}
		}
		if err := checkStatement(se, recs, r.day); err != nil {
			r.fail(se.Pos, step, err.Error())
			failed = true
		}
		if se.Totals != nil {
			if err := checkTotals(se.Totals, r.stmtTotals); err != nil {
				r.fail(se.Totals.Pos, step, err.Error())
				failed = true
			}
		}
	}
	if failed {
		return errStop
	}
	return nil
}

func (r *run) checkCallbacks(ctx context.Context, ce *CallbackExpect) error {
	what := ce.Channel + " callbacks"
	if ce.Order != "" {
		what += " for order " + ce.Order
	}
	if ce.Type != "" {
		what = string(ce.Type) + " " + what
	}
	var lastStatus *channel.Status
	parsed, rejected := 0, 0
	for _, d := range r.coll.all() {
		if d.Channel != ce.Channel {
			continue
		}
		if d.Err != nil {
			rejected++
			continue
		}
		if (ce.Order != "" && d.orderNo() != ce.Order) || (ce.Type != "" && d.Note.Type != ce.Type) {
			continue
		}
		parsed++
		if s, ok := d.status(); ok {
			lastStatus = &s
		}
	}
	acked := 0
	if ce.Order != "" || ce.Acked != nil {
		recs, err := r.drv.Records(ctx, simulator.RecordFilter{Channel: ce.Channel, OutTradeNo: ce.Order, Kind: simulator.RecordCallback})
		if err != nil {
			return fmt.Errorf("reading the simulator's records: %w", err)
		}
		byOrder := 0
		for _, rec := range recs {
			if ce.Type != "" && rec.Op != string(ce.Type) {
				continue
			}
			if rec.Acked {
				acked++
			}
			if rec.Status == rejectStatus {
				byOrder++
			}
		}
		if ce.Order != "" {
			// An unparsable callback names no order; the simulator's record of what it
			// sent does.
			rejected = byOrder
		}
	}
	if ce.Parsed != nil && parsed != *ce.Parsed {
		return fmt.Errorf("expected %d parsed %s, got %d", *ce.Parsed, what, parsed)
	}
	if ce.Rejected != nil && rejected != *ce.Rejected {
		return fmt.Errorf("expected %d rejected %s, got %d", *ce.Rejected, what, rejected)
	}
	if ce.Acked != nil && acked != *ce.Acked {
		return fmt.Errorf("expected %d acknowledged %s, got %d", *ce.Acked, what, acked)
	}
	if ce.LastStatus != nil {
		if lastStatus == nil {
			return fmt.Errorf("expected the last of %s to carry %s, but none was parsed", what, ce.LastStatus)
		}
		if *lastStatus != *ce.LastStatus {
			return fmt.Errorf("expected the last of %s to carry %s, got %s", what, ce.LastStatus, lastStatus)
		}
	}
	return nil
}

func (r *run) checkRecords(ctx context.Context, re *RecordExpect) error {
	recs, err := r.drv.Records(ctx, simulator.RecordFilter{Channel: re.Channel, OutTradeNo: re.Order, Kind: re.Kind})
	if err != nil {
		return fmt.Errorf("reading the simulator's records: %w", err)
	}
	if recs, err = r.windowed(ctx, re, recs); err != nil {
		return err
	}
	n := 0
	var matched []simulator.Record
	for _, rec := range recs {
		if re.Op != "" && rec.Op != re.Op {
			continue
		}
		if re.Fault != "" && !hasFault(rec.Faults, re.Fault) {
			continue
		}
		if re.Kind == simulator.RecordCallback && isGiveUp(&rec) {
			continue // not an attempt
		}
		n++
		matched = append(matched, rec)
	}
	what := describeRecordExpect(re) + describeWindow(re)
	if re.Distinct != "" {
		d, vals := countDistinct(matched, re.Distinct)
		if err := checkCount(fmt.Sprintf("distinct %s value(s) in the simulator records %s", re.Distinct, what), d, re.Count, re.Min, re.Max); err != nil {
			return fmt.Errorf("%v: %s", err, orNone(vals))
		}
		return nil
	}
	switch {
	case re.Count != nil && n != *re.Count:
		return fmt.Errorf("expected %d simulator records %s, got %d", *re.Count, what, n)
	case re.Min != nil && n < *re.Min:
		return fmt.Errorf("expected at least %d simulator records %s, got %d", *re.Min, what, n)
	case re.Max != nil && n > *re.Max:
		return fmt.Errorf("expected at most %d simulator records %s, got %d", *re.Max, what, n)
	}
	return nil
}

func hasFault(tags []string, kind string) bool {
	for _, t := range tags {
		if t == kind || strings.HasPrefix(t, kind+":") {
			return true
		}
	}
	return false
}

func describeRecordExpect(re *RecordExpect) string {
	var parts []string
	for _, kv := range [][2]string{{"channel", re.Channel}, {"kind", re.Kind}, {"op", re.Op}, {"order", re.Order}, {"fault", re.Fault}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "(any)"
	}
	return "with " + strings.Join(parts, " ")
}

// download fetches a statement through the adapter and keeps its records for the checks.
func (r *run) download(ctx context.Context, ch channel.Channel, day clock.Date, typ channel.StatementType) (outcome, error) {
	r.stmt, r.stmtTotals = nil, nil
	recs, tot, err := readStatementTotals(ctx, ch, day, typ)
	if err != nil {
		return outcome{err: err, summary: "error: " + err.Error()}, nil
	}
	r.stmt, r.stmtTotals = recs, tot
	lines := []string{fmt.Sprintf("%d record(s)", len(recs))}
	for i := range recs {
		if i == 12 {
			lines = append(lines, "…")
			break
		}
		lines = append(lines, fmtStatementRecord(&recs[i]))
	}
	return outcome{summary: strings.Join(lines, "\n       ")}, nil
}

func readStatement(ctx context.Context, ch channel.Channel, day clock.Date, typ channel.StatementType) ([]channel.StatementRecord, error) {
	recs, _, err := readStatementTotals(ctx, ch, day, typ)
	return recs, err
}

// readStatementTotals reads a whole statement and, after the last record, its totals.
func readStatementTotals(ctx context.Context, ch channel.Channel, day clock.Date, typ channel.StatementType) ([]channel.StatementRecord, *channel.StatementTotals, error) {
	rd, err := ch.DownloadStatement(ctx, &channel.StatementRequest{Date: day, Type: typ})
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var out []channel.StatementRecord
	for {
		var rec channel.StatementRecord
		err := rd.Next(&rec)
		if errors.Is(err, io.EOF) {
			return out, rd.Totals(), nil
		}
		if err != nil {
			return out, nil, err
		}
		out = append(out, rec)
		if len(out) > 1_000_000 {
			return out, nil, errors.New("statement has more than 1,000,000 records")
		}
	}
}

// checkTotals compares a statement's totals with the expectation.
func checkTotals(te *TotalsExpect, t *channel.StatementTotals) error {
	if t == nil {
		return errors.New("expected statement totals; the adapter reports none")
	}
	counts := []struct {
		name string
		want *int
		got  int64
	}{{"count", te.Count, t.Count}, {"payment_count", te.PaymentCount, t.PaymentCount}, {"refund_count", te.RefundCount, t.RefundCount},
		{"payout_count", te.PayoutCount, t.PayoutCount}, {"return_count", te.ReturnCount, t.ReturnCount}}
	for _, c := range counts {
		if c.want != nil && int64(*c.want) != c.got {
			return fmt.Errorf("expected statement totals %s %d, got %d", c.name, *c.want, c.got)
		}
	}
	amounts := []struct {
		name string
		want *money.Amount
		got  money.Amount
	}{{"payment_amount", te.PaymentAmount, t.PaymentAmount}, {"refund_amount", te.RefundAmount, t.RefundAmount},
		{"payout_amount", te.PayoutAmount, t.PayoutAmount}, {"return_amount", te.ReturnAmount, t.ReturnAmount}, {"fee", te.Fee, t.FeeAmount}}
	for _, a := range amounts {
		if a.want != nil && !sameAmount(*a.want, a.got) {
			return fmt.Errorf("expected statement totals %s %s, got %s", a.name, a.want, a.got)
		}
	}
	return nil
}

func fmtStatementRecord(rec *channel.StatementRecord) string {
	s := fmt.Sprintf("%s %s %s", rec.Type, rec.OrderNo, rec.Amount)
	if rec.RefundNo != "" {
		s += " refund=" + rec.RefundNo
	}
	if rec.PayoutNo != "" {
		s += " payout=" + rec.PayoutNo
	}
	s += " " + rec.Status.String()
	if rec.SettlementDate.Valid() {
		s += " day=" + rec.SettlementDate.String()
	}
	return s
}

// fetchStatement downloads the statement a scenario-level expectation names.
func (r *run) fetchStatement(ctx context.Context, se *StatementExpect) ([]channel.StatementRecord, error) {
	m, err := r.merchant(se.Channel, se.Merchant)
	if err != nil {
		return nil, err
	}
	ch, err := r.channelFor(m)
	if err != nil {
		return nil, err
	}
	day := r.day(se.Day)
	recs, err := readStatement(ctx, ch, day, channel.StatementAll)
	if err != nil {
		return nil, fmt.Errorf("downloading the %s statement of %s: %w", se.Channel, day, err)
	}
	r.logf("  statement %s %s: %d record(s)", se.Channel, day, len(recs))
	return recs, nil
}

// checkStatement checks recs against se; day maps the scenario's days to the run's.
func checkStatement(se *StatementExpect, recs []channel.StatementRecord, day func(clock.Date) clock.Date) error {
	if se.Count != nil && len(recs) != *se.Count {
		return fmt.Errorf("expected %d statement records, got %d", *se.Count, len(recs))
	}
	for i := range se.Contains {
		l := &se.Contains[i]
		if !anyMatch(l, recs, day) {
			return fmt.Errorf("expected the statement to contain %s; it has: %s", describeLine(l), listRecords(recs))
		}
	}
	for i := range se.Lacks {
		l := &se.Lacks[i]
		if anyMatch(l, recs, day) {
			return fmt.Errorf("expected the statement to lack %s; it has: %s", describeLine(l), listRecords(recs))
		}
	}
	return nil
}

func anyMatch(l *StatementLine, recs []channel.StatementRecord, day func(clock.Date) clock.Date) bool {
	for i := range recs {
		if lineMatches(l, &recs[i], day) {
			return true
		}
	}
	return false
}

func lineMatches(l *StatementLine, rec *channel.StatementRecord, day func(clock.Date) clock.Date) bool {
	switch {
	case l.Order != "" && rec.OrderNo != l.Order,
		l.Refund != "" && rec.RefundNo != l.Refund,
		l.Payout != "" && rec.PayoutNo != l.Payout,
		l.Type != "" && rec.Type != l.Type,
		l.Amount != nil && !sameAmount(rec.Amount, *l.Amount),
		l.Status != nil && rec.Status != *l.Status,
		l.Day.Valid() && rec.SettlementDate != day(l.Day):
		return false
	}
	return true
}

func describeLine(l *StatementLine) string {
	var parts []string
	if l.Type != "" {
		parts = append(parts, string(l.Type))
	}
	if l.Order != "" {
		parts = append(parts, "order "+l.Order)
	}
	if l.Refund != "" {
		parts = append(parts, "refund "+l.Refund)
	}
	if l.Amount != nil {
		parts = append(parts, "amount "+l.Amount.String())
	}
	if l.Status != nil {
		parts = append(parts, "status "+l.Status.String())
	}
	if l.Day.Valid() {
		parts = append(parts, "day "+l.Day.String())
	}
	return strings.Join(parts, ", ") + " (" + l.Pos.String() + ")"
}

func listRecords(recs []channel.StatementRecord) string {
	if len(recs) == 0 {
		return "no records"
	}
	var parts []string
	for i := range recs {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(recs)-10))
			break
		}
		parts = append(parts, fmtStatementRecord(&recs[i]))
	}
	return strings.Join(parts, "; ")
}
