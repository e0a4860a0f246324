package risk

import (
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
)

// Kind names what a list holds or what a velocity counter counts by.
type Kind string

// List and velocity kinds. The values come from gateway.RiskRequest: PayerID, CardFingerprint,
// DeviceID, ClientIP and MerchantID.
const (
	User     Kind = "user"
	Card     Kind = "card" // the card's fingerprint, never its number
	Device   Kind = "device"
	IP       Kind = "ip"
	Merchant Kind = "merchant"
)

// List is a named set of values of one Kind (a block list, an allow-list: what it is for is
// the verdict of the rules that use it).
type List struct {
	Name   string
	Kind   Kind
	Values []string
}

// Velocity fires when, within the last Window (ending now, this payment included), the
// payments sharing this payment's Per value number more than CountOver or sum to more than
// AmountOver (a zero limit is not checked).
type Velocity struct {
	Per        Kind // user, card, device or ip
	Window     time.Duration
	CountOver  int64
	AmountOver money.Amount
}

// Condition is what must hold for a rule to fire: every field that is set.
type Condition struct {
	InList     string       // the request's value of the list's kind is in the list
	AmountOver money.Amount // amount strictly above
	Methods    []channel.Method
	Merchants  []string
	Velocity   *Velocity
	// Binding conditions (see Engine.Bind): the user has more than CardsPerUserOver cards
	// bound; the card had more than BindAttemptsOver bind attempts in BindWindow; the card
	// was bound less than NewCardWithin ago (combine with AmountOver for "a new card paying
	// a large amount").
	CardsPerUserOver int
	BindAttemptsOver int
	BindWindow       time.Duration
	NewCardWithin    time.Duration
}

// Rule fires its Then verdict when its condition holds. A Shadow rule is evaluated and
// recorded but never decides.
type Rule struct {
	Name   string
	When   Condition
	Then   gateway.Verdict
	Shadow bool
	Source string // where it was written ("gateway.yaml:88"), for the case log
}

func severity(v gateway.Verdict) int {
	switch v {
	case gateway.Block:
		return 2
	case gateway.Challenge:
		return 1
	}
	return 0
}

// compiled rule.
type rule struct {
	Rule
	list     *list
	velocity int // index into Engine.counters, -1 none
	window   int // index into that counter's windows
}

type list struct {
	kind   Kind
	values map[string]struct{}
}

func valueOf(k Kind, req *gateway.RiskRequest) string {
	switch k {
	case User:
		return req.PayerID
	case Card:
		return req.CardFingerprint
	case Device:
		return req.DeviceID
	case IP:
		return req.ClientIP
	case Merchant:
		return req.MerchantID
	}
	return ""
}
