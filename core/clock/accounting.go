package clock

import (
	"fmt"
	"time"
)

// Day cut-offs for AccountingDay.
const (
	// NaturalDay: the accounting day is the Beijing calendar day (WeChat Pay,
	// Alipay).
	NaturalDay time.Duration = 0
	// UnionPayCutoff: UnionPay production clearing day D covers
	// [D-1 23:00:00, D 23:00:00) Beijing (unionpay.md §10).
	UnionPayCutoff = 23 * time.Hour
	// UnionPayTestCutoff: the UnionPay test environment turns at about 13:30 in
	// the opposite direction — the afternoon carries today's date, the morning
	// yesterday's — so day D covers [D 13:30, D+1 13:30) (unionpay.md §10).
	UnionPayTestCutoff = -(13*time.Hour + 30*time.Minute)
)

// AccountingDay returns the Beijing-time accounting day of instant t for a
// channel whose day turns at cutoff (Beijing wall clock):
//
//   - cutoff == 0 (NaturalDay): the Beijing calendar date of t.
//   - 0 < cutoff < 24h (e.g. UnionPayCutoff): day D covers
//     [D-1 cutoff, D cutoff); at or after cutoff on D belongs to D+1, so
//     31 Dec 23:30 belongs to 1 Jan of the next year.
//   - -24h < cutoff < 0 (e.g. UnionPayTestCutoff): day D covers
//     [D |cutoff|, D+1 |cutoff|); before |cutoff| on D belongs to D-1.
//
// The boundary instant itself belongs to the day that starts there. Any other
// cutoff is a programming error and panics.
func AccountingDay(t time.Time, cutoff time.Duration) Date {
	if cutoff <= -24*time.Hour || cutoff >= 24*time.Hour {
		panic(fmt.Sprintf("clock: AccountingDay cutoff %v outside (-24h, 24h)", cutoff))
	}
	bt := t.In(Beijing())
	y, m, d := bt.Date()
	day := Date{Year: y, Month: m, Day: d}
	// Wall-clock time of day, so the rule is stated in Beijing clock readings
	// even across the 1986-1991 summer-time changes.
	h, mi, s := bt.Clock()
	tod := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(bt.Nanosecond())
	switch {
	case cutoff > 0 && tod >= cutoff:
		return day.AddDays(1)
	case cutoff < 0 && tod < -cutoff:
		return day.AddDays(-1)
	}
	return day
}
