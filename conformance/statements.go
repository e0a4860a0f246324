package conformance

import (
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// dayEnd is the instant accounting day d ends for a channel with the given cut-off.
func dayEnd(d clock.Date, cutoff time.Duration) time.Time {
	if cutoff > 0 {
		return d.Start(clock.Beijing()).Add(cutoff)
	}
	return d.AddDays(1).Start(clock.Beijing())
}

func (s *suite) statements(t T) {
	s.needMethod(t)
	ctx := s.ctx(t)
	name := s.name()
	cut := s.info.DayCutoff

	now, err := s.h.Sim.Now(ctx)
	if err != nil {
		t.Fatalf("simulator: clock: %v", err)
	}
	day := clock.AccountingDay(now, cut)
	end := dayEnd(day, cut)
	if end.Sub(now) < 3*time.Hour {
		day = day.AddDays(1)
		end = dayEnd(day, cut)
	}
	next := day.AddDays(1)
	setTime := func(tm time.Time) {
		t.Helper()
		if err := s.h.Sim.SetTime(ctx, tm); err != nil {
			t.Fatalf("simulator: set time %v: %v", tm, err)
		}
	}

	setTime(end.Add(-2 * time.Hour))
	inDay := s.createPaid(t, ctx, "S", 1500)
	setTime(end.Add(-time.Hour))
	refundNo := s.number("Rs")
	if _, err := s.refund(ctx, inDay, refundNo, 500, 1500); err != nil {
		t.Fatalf("%s: Refund(%s): %v", name, refundNo, err)
	}
	across := s.number("M")
	if s.h.tokenMode() {
		// A token payment completes when it is made: make it one second after the turn.
		setTime(end.Add(time.Second))
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(across, 2500)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, across, err)
		}
	} else {
		setTime(end.Add(-time.Second))
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(across, 2500)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, across, err)
		}
		setTime(end.Add(time.Second)) // the payer pays two seconds later, after the day turned
		s.payerPays(t, ctx, across)
	}
	setTime(s.info.StatementReadyAt(next).Add(time.Hour))

	for _, tc := range []struct {
		day     clock.Date
		present []string
		absent  []string
	}{
		{day, []string{inDay}, []string{across}},
		{next, []string{across}, []string{inDay}},
	} {
		got := s.download(t, ctx, tc.day)
		want, err := s.h.Sim.Records(ctx, name, tc.day)
		if err != nil {
			t.Fatalf("simulator: records for %s: %v", tc.day, err)
		}
		compareRecords(t, name, tc.day, got, want)
		orders := map[string]bool{}
		for _, r := range got {
			if r.Type == channel.RecordPayment {
				orders[r.OrderNo] = true
			}
		}
		for _, no := range tc.present {
			if !orders[no] {
				t.Errorf("%s: the statement for %s lacks payment %s, which completed that day", name, tc.day, no)
			}
		}
		for _, no := range tc.absent {
			if orders[no] {
				t.Errorf("%s: the statement for %s lists payment %s, which completed on another day", name, tc.day, no)
			}
		}
	}
}

// download reads a whole statement through the adapter's streaming reader.
func (s *suite) download(t T, ctx context.Context, day clock.Date) []Record {
	t.Helper()
	rd, err := s.h.Channel.DownloadStatement(ctx, &channel.StatementRequest{Date: day, Type: channel.StatementAll})
	if err != nil {
		t.Fatalf("%s: DownloadStatement(%s) failed: %v", s.name(), day, err)
	}
	defer rd.Close()
	var out []Record
	var rec channel.StatementRecord
	for {
		err := rd.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: reading the statement for %s: %v", s.name(), day, err)
		}
		if rec.SettlementDate != day {
			t.Errorf("%s: a record of the statement for %s says settlement date %s", s.name(), day, rec.SettlementDate)
		}
		no := rec.OrderNo
		if rec.Type == channel.RecordPayout || rec.Type == channel.RecordPayoutReturn {
			no = rec.PayoutNo // the simulator files payouts under their payout number
		}
		out = append(out, Record{Type: rec.Type, OrderNo: no, RefundNo: rec.RefundNo, Amount: rec.Amount})
	}
	if tot := rd.Totals(); tot != nil && tot.Count != 0 && tot.Count != int64(len(out)) {
		t.Errorf("%s: the statement for %s claims %d records in its totals but has %d", s.name(), day, tot.Count, len(out))
	}
	return out
}

func compareRecords(t T, name string, day clock.Date, got, want []Record) {
	t.Helper()
	key := func(r Record) string { return r.String() }
	count := map[string]int{}
	for _, r := range want {
		count[key(r)]++
	}
	for _, r := range got {
		count[key(r)]--
	}
	var diffs []string
	for k, n := range count {
		switch {
		case n > 0:
			diffs = append(diffs, "missing from the parsed statement: "+k)
		case n < 0:
			diffs = append(diffs, "parsed but not held by the simulator: "+k)
		}
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Errorf("%s: statement for %s: %s", name, day, d)
	}
}
