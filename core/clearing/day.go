package clearing

import (
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// DayWindow returns the instants [from, to) of clearing day d for a channel whose day turns
// at cutoff (channel.Info().DayCutoff), the exact inverse of clock.AccountingDay: an instant
// t is in the window iff clock.AccountingDay(t, cutoff) == d.
//
//   - NaturalDay (0): [d 00:00, d+1 00:00) Beijing;
//   - 0 < cutoff < 24h (UnionPay's 23:00): [d-1 cutoff, d cutoff) — 22:59:59 on d belongs to
//     d, 23:00:00 on d to d+1;
//   - -24h < cutoff < 0: [d |cutoff|, d+1 |cutoff|).
func DayWindow(d clock.Date, cutoff time.Duration) (from, to time.Time, err error) {
	if cutoff <= -24*time.Hour || cutoff >= 24*time.Hour {
		return time.Time{}, time.Time{}, fmt.Errorf("clearing: day cut-off %v outside (-24h, 24h)", cutoff)
	}
	if !d.Valid() {
		return time.Time{}, time.Time{}, fmt.Errorf("clearing: clearing day %v is not a calendar day", d)
	}
	bj := clock.Beijing()
	switch {
	case cutoff > 0:
		return d.AddDays(-1).Start(bj).Add(cutoff), d.Start(bj).Add(cutoff), nil
	case cutoff < 0:
		return d.Start(bj).Add(-cutoff), d.AddDays(1).Start(bj).Add(-cutoff), nil
	}
	return d.Start(bj), d.AddDays(1).Start(bj), nil
}
