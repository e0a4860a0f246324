package unionpay

import (
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// clearingDay is UnionPay's clearing date of t: production days turn at 23:00 Beijing
// (unionpay.md §10, [D-1 23:00:00, D 23:00:00) -> D); cutoff is clock.UnionPayCutoff
// there and clock.UnionPayTestCutoff in the test environment. The contract will supply
// it (Info()); the wire layer takes it as a parameter.
func clearingDay(t time.Time, cutoff time.Duration) clock.Date {
	return clock.AccountingDay(t, cutoff)
}

// undoAllowed reports whether an original with settleDate (MMdd, from its answer or
// notification) may still be undone (txnType 31/33) at now: only on its own clearing day
// (unionpay.md §11). Otherwise the caller must refund; an undo sent after the turn would
// be refused by UnionPay anyway. A malformed settleDate is an error naming the field.
func undoAllowed(settleDate string, now time.Time, cutoff time.Duration) (bool, error) {
	d, err := resolveMMdd(settleDate, clearingDay(now, cutoff))
	if err != nil {
		return false, err
	}
	return d == clearingDay(now, cutoff), nil
}

// resolveMMdd gives an MMdd date its year: the latest such date not after ref (settleDate
// and the ZM traceTime carry no year; a 31 Dec 23:30 consume has settleDate 0101 of the
// next year, §10).
func resolveMMdd(mmdd string, ref clock.Date) (clock.Date, error) {
	if len(mmdd) != 4 || !allDigits(mmdd) {
		return clock.Date{}, fmt.Errorf("unionpay: field settleDate %q: want MMdd", mmdd)
	}
	for y := ref.Year; y >= ref.Year-1; y-- {
		d, err := clock.ParseCompactDate(fmt.Sprintf("%04d%s", y, mmdd))
		if err == nil && !d.After(ref) {
			return d, nil
		}
	}
	return clock.Date{}, fmt.Errorf("unionpay: field settleDate %q: not a date", mmdd)
}

// zmTime is the Beijing time of a ZM record's traceTime (MMddHHmmss, no year), within the
// few days before the file's clearing date (Dec/Jan handled).
func zmTime(traceTime string, fileDay clock.Date) (time.Time, error) {
	if len(traceTime) != 10 || !allDigits(traceTime) {
		return time.Time{}, fmt.Errorf("unionpay ZM: field traceTime %q: want MMddHHmmss", traceTime)
	}
	d, err := resolveMMdd(traceTime[:4], fileDay.AddDays(1))
	if err != nil {
		return time.Time{}, fmt.Errorf("unionpay ZM: field traceTime %q: not a date", traceTime)
	}
	t, err := time.ParseInLocation("20060102150405", d.Compact()+traceTime[4:], clock.Beijing())
	if err != nil {
		return time.Time{}, fmt.Errorf("unionpay ZM: field traceTime %q: not a time", traceTime)
	}
	return t, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
