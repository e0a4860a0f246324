package router

import (
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Strategy is how a rule orders its eligible accounts.
type Strategy string

// Strategies.
const (
	ByPriority Strategy = "priority" // highest Account.Priority first; ties in the rule's order
	ByWeight   Strategy = "weight"   // smooth weighted round-robin over Account.Weight (integers)
	ByFee      Strategy = "fee"      // lowest fee for this amount first; ties by priority
)

// TimeRange is a span of the Beijing day in minutes since midnight, [From, To). From > To
// wraps past midnight (22:00–06:00); From == To is the whole day.
type TimeRange struct{ From, To int }

// Contains reports whether minute-of-day m falls in r.
func (r TimeRange) Contains(m int) bool {
	switch {
	case r.From == r.To:
		return true
	case r.From < r.To:
		return m >= r.From && m < r.To
	}
	return m >= r.From || m < r.To
}

// ParseTimeRange reads "HH:MM-HH:MM" (Beijing time).
func ParseTimeRange(s string) (TimeRange, error) {
	var h1, m1, h2, m2 int
	if n, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil || n != 4 || len(s) != 11 {
		return TimeRange{}, fmt.Errorf("time range %q: want HH:MM-HH:MM", s)
	}
	for _, v := range [][2]int{{h1, m1}, {h2, m2}} {
		if v[0] < 0 || v[0] > 24 || v[1] < 0 || v[1] > 59 || (v[0] == 24 && v[1] != 0) {
			return TimeRange{}, fmt.Errorf("time range %q: %02d:%02d is not a time of day", s, v[0], v[1])
		}
	}
	return TimeRange{From: h1*60 + m1, To: h2*60 + m2}, nil
}

func (r TimeRange) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", r.From/60, r.From%60, r.To/60, r.To%60)
}

// Window is a maintenance window of an account: Daily (every day, Beijing time) when From
// is zero, otherwise the instant span [From, To).
type Window struct {
	Daily    TimeRange
	From, To time.Time
}

func (w Window) contains(t time.Time, minute int) bool {
	if w.From.IsZero() {
		return w.Daily.Contains(minute)
	}
	return !t.Before(w.From) && t.Before(w.To)
}

// Rule selects candidate accounts for the payments matching all of its conditions. An
// empty condition matches everything.
type Rule struct {
	Name            string
	Methods         []channel.Method
	CardTypes       []card.Type // needs RouteRequest.CardBIN found in the BIN table
	Issuers         []string    // bank codes from the BIN table, e.g. ICBC, CMB
	MinAmount       money.Amount
	MaxAmount       money.Amount // inclusive; zero = no maximum
	Merchants       []string
	MerchantClasses []string // Config.MerchantClasses[merchant]
	Hours           TimeRange
	// Requires lists optional channel capabilities the account must have: closer,
	// canceller, binder, pay_sms, authorizer, payouter, balance.
	Requires []string
	Accounts []string // the candidates, in order
	Choose   Strategy // default ByPriority
	// Source is where the rule was written ("gateway.yaml:42"), for explanations.
	Source string
}

// Capabilities that Rule.Requires may name, and the optional interfaces they stand for.
var capabilities = map[string]func(channel.Channel) bool{
	"closer":     func(c channel.Channel) bool { _, ok := c.(channel.Closer); return ok },
	"canceller":  func(c channel.Channel) bool { _, ok := c.(channel.Canceller); return ok },
	"binder":     func(c channel.Channel) bool { _, ok := c.(channel.Binder); return ok },
	"pay_sms":    func(c channel.Channel) bool { _, ok := c.(channel.PaySMSSender); return ok },
	"authorizer": func(c channel.Channel) bool { _, ok := c.(channel.Authorizer); return ok },
	"payouter":   func(c channel.Channel) bool { _, ok := c.(channel.Payouter); return ok },
	"balance":    func(c channel.Channel) bool { _, ok := c.(channel.BalanceQuerier); return ok },
}

// rule is a compiled Rule.
type rule struct {
	Rule
	methods  uint16 // bit per method; 0 = any
	accounts []int  // indexes into table.accounts
	capable  []bool // per accounts[i]: has every Required capability
	swrr     *swrr  // ByWeight only; kept across reloads by rule name
}

type binInfo struct {
	bank string
	typ  card.Type
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// match reports whether the request meets every condition of r.
func (r *rule) match(t *table, req *requestView) bool {
	if r.methods != 0 && r.methods&req.methodBit == 0 {
		return false
	}
	if len(r.Merchants) > 0 && !contains(r.Merchants, req.merchant) {
		return false
	}
	if len(r.MerchantClasses) > 0 && !contains(r.MerchantClasses, t.classes[req.merchant]) {
		return false
	}
	if !r.MinAmount.IsZero() && (r.MinAmount.Currency() != req.amount.Currency() || req.amount.Minor() < r.MinAmount.Minor()) {
		return false
	}
	if !r.MaxAmount.IsZero() && (r.MaxAmount.Currency() != req.amount.Currency() || req.amount.Minor() > r.MaxAmount.Minor()) {
		return false
	}
	if len(r.CardTypes) > 0 && (!req.binFound || !contains(r.CardTypes, req.bin.typ)) {
		return false
	}
	if len(r.Issuers) > 0 && (!req.binFound || !contains(r.Issuers, req.bin.bank)) {
		return false
	}
	return r.Hours.Contains(req.minute)
}

func methodBit(m channel.Method) uint16 {
	for i, k := range [...]channel.Method{channel.MethodQR, channel.MethodApp, channel.MethodJSAPI, channel.MethodH5,
		channel.MethodWeb, channel.MethodBarcode, channel.MethodToken} {
		if k == m {
			return 1 << i
		}
	}
	return 0
}

// minuteOfDay returns t's minute of the Beijing day.
func minuteOfDay(t time.Time) int {
	h, m, _ := t.In(clock.Beijing()).Clock()
	return h*60 + m
}
