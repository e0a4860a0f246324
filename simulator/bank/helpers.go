package bank

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

var (
	reIDType = regexp.MustCompile(`^01$`)
	reSMS    = regexp.MustCompile(`^[0-9]{6}$`)
)

func beijing() *time.Location { return clock.Beijing() }

func upper(s string) string { return strings.ToUpper(s) }

// birthNotFuture checks the ID's birth date is not after today (§13).
func birthNotFuture(id string, x *exchange) bool {
	return id[6:14] <= x.now.In(beijing()).Format("20060102")
}

// expiryYYMM converts the sent expiry to YYMM per the merchant's profile (§5.4).
func (x *exchange) expiryYYMM(v string) (string, bool) {
	if len(v) != 4 || !reDigits.MatchString(v) {
		return "", false
	}
	if x.prof.mmyy {
		v = v[2:] + v[:2]
	}
	return v, reYYMM.MatchString(v)
}

func (x *exchange) expiryName() string {
	if x.prof.mmyy {
		return "MMYY"
	}
	return "YYMM"
}

func simulatorEvent(merchant, no, note string) simulator.Record {
	return simulator.Record{Kind: simulator.RecordEvent, Merchant: merchant, OutTradeNo: no, Note: note}
}

func (m *mstate) agreementsInOrder() []*agreement {
	out := make([]*agreement, 0, len(m.agreements))
	for _, ag := range m.agreements {
		out = append(out, ag)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].bound.Equal(out[j].bound) {
			return out[i].bound.Before(out[j].bound)
		}
		return out[i].protocolNo < out[j].protocolNo
	})
	return out
}

var reDate = regexp.MustCompile(`^[0-9]{8}$`)

func errNotFound(what string) error {
	return fmt.Errorf("bank: %s not found: %w", what, simulator.ErrNotFound)
}

func errConflict(what string) error { return fmt.Errorf("bank: %s: %w", what, simulator.ErrConflict) }
