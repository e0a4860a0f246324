package router

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Limits bound what one account may be sent. A zero Amount is no limit. Limits are in one
// currency (that of the amounts); a payment in another currency skips a limited account.
type Limits struct {
	PerTxn   money.Amount // one payment
	PerDay   money.Amount // per Beijing calendar day
	PerMonth money.Amount // per Beijing calendar month
}

// usage is what an account was sent in the current day and month (Beijing), in minor units
// of the limits' currency. Guarded by acctState.mu.
type usage struct {
	day       int32 // yyyymmdd of dayUsed
	month     int32 // yyyymm of monthUsed
	dayUsed   int64
	monthUsed int64
}

// beijingDay returns t's Beijing date as yyyymmdd and month as yyyymm.
func beijingDay(t time.Time) (day, month int32) {
	y, m, d := t.In(clock.Beijing()).Date()
	return int32(y*10000 + int(m)*100 + d), int32(y*100 + int(m))
}

func (u *usage) roll(day, month int32) {
	if u.day != day {
		u.day, u.dayUsed = day, 0
	}
	if u.month != month {
		u.month, u.monthUsed = month, 0
	}
}

// fitsTxn checks the per-transaction limit and the limits' currency.
func (u *usage) fitsTxn(l *Limits, amount money.Amount) skip {
	for _, lim := range [...]money.Amount{l.PerTxn, l.PerDay, l.PerMonth} {
		if !lim.IsZero() && lim.Currency() != amount.Currency() {
			return skipCurrency
		}
	}
	if !l.PerTxn.IsZero() && amount.Minor() > l.PerTxn.Minor() {
		return skipPerTxn
	}
	return skipNone
}

// fits reports whether amount fits l given u at t, without changing u.
func (u *usage) fits(l *Limits, amount money.Amount, t time.Time) skip {
	if why := u.fitsTxn(l, amount); why != skipNone {
		return why
	}
	day, month := beijingDay(t)
	dayUsed, monthUsed := u.dayUsed, u.monthUsed
	if u.day != day {
		dayUsed = 0
	}
	if u.month != month {
		monthUsed = 0
	}
	if !l.PerDay.IsZero() && amount.Minor() > l.PerDay.Minor()-dayUsed {
		return skipPerDay
	}
	if !l.PerMonth.IsZero() && amount.Minor() > l.PerMonth.Minor()-monthUsed {
		return skipPerMonth
	}
	return skipNone
}

// reserve adds amount when it fits.
func (u *usage) reserve(l *Limits, amount money.Amount, t time.Time) skip {
	if why := u.fits(l, amount, t); why != skipNone {
		return why
	}
	day, month := beijingDay(t)
	u.roll(day, month)
	u.dayUsed += amount.Minor()
	u.monthUsed += amount.Minor()
	return skipNone
}

// release gives back a reservation made at t (when its day or month is still current).
func (u *usage) release(amount money.Amount, t time.Time) {
	day, month := beijingDay(t)
	if u.day == day {
		u.dayUsed -= amount.Minor()
	}
	if u.month == month {
		u.monthUsed -= amount.Minor()
	}
}
