package order

// edge is one allowed transition: from a state to a state by one of the causes.
type edge struct {
	from, to State
	causes   []Cause
}

// PaymentTransitions is the payment state machine as a table: every allowed (from, to) pair
// and the causes that may take it. Anything not listed is refused with a *TransitionError.
var paymentEdges = []edge{
	// The channel call's answer.
	{Created, Pending, []Cause{CauseChannel, CauseQuery}},                        // accepted (awaiting the payer) or unknown; or found by a query after a crash
	{Created, Succeeded, []Cause{CauseChannel, CauseNotification, CauseQuery}},   // barcode/token paid at once
	{Created, Failed, []Cause{CauseChannel, CauseQuery}},                         // definitively refused
	{Created, Closed, []Cause{CauseAPI, CauseExpiry, CauseQuery, CauseOperator}}, // never reached the channel (or a query says it is closed)
	// Waiting for the payer or resolving an unknown outcome.
	{Pending, Pending, []Cause{CauseChannel, CauseQuery}}, // still unknown / still unpaid (bookkeeping)
	{Pending, Succeeded, []Cause{CauseChannel, CauseNotification, CauseQuery, CauseOperator}},
	{Pending, Failed, []Cause{CauseChannel, CauseNotification, CauseQuery, CauseOperator}},
	{Pending, Closed, []Cause{CauseAPI, CauseExpiry, CauseQuery, CauseNotification, CauseOperator}},
	// A late success is a success.
	{Closed, Succeeded, []Cause{CauseNotification, CauseQuery, CauseOperator}},
	{Failed, Succeeded, []Cause{CauseNotification, CauseQuery, CauseOperator}},
	// Refunds.
	{Succeeded, PartiallyRefunded, []Cause{CauseRefund}},
	{Succeeded, Refunded, []Cause{CauseRefund}},
	{PartiallyRefunded, PartiallyRefunded, []Cause{CauseRefund}},
	{PartiallyRefunded, Refunded, []Cause{CauseRefund}},
}

var refundEdges = []edge{
	{Created, Pending, []Cause{CauseChannel}},
	{Created, Succeeded, []Cause{CauseChannel, CauseNotification, CauseQuery}},
	{Created, Failed, []Cause{CauseChannel, CauseQuery, CauseAPI}},
	{Pending, Pending, []Cause{CauseChannel, CauseQuery}},
	{Pending, Succeeded, []Cause{CauseChannel, CauseNotification, CauseQuery, CauseOperator}},
	{Pending, Failed, []Cause{CauseChannel, CauseNotification, CauseQuery, CauseOperator}},
}

// PaymentTransitions returns the payment table: from -> to -> causes.
func PaymentTransitions() map[State]map[State][]Cause { return table(paymentEdges) }

// RefundTransitions returns the refund table: from -> to -> causes.
func RefundTransitions() map[State]map[State][]Cause { return table(refundEdges) }

func table(edges []edge) map[State]map[State][]Cause {
	m := map[State]map[State][]Cause{}
	for _, e := range edges {
		if m[e.from] == nil {
			m[e.from] = map[State][]Cause{}
		}
		m[e.from][e.to] = append([]Cause(nil), e.causes...)
	}
	return m
}

func allowed(edges []edge, from, to State, c Cause) bool {
	for _, e := range edges {
		if e.from == from && e.to == to {
			for _, x := range e.causes {
				if x == c {
					return true
				}
			}
			return false
		}
	}
	return false
}

// CheckPayment reports whether t may be applied to p: the edge is in the table, and an order
// whose outcome is unknown (p.Unresolved) is failed or closed only on the word of the channel
// about that order — a query or a notification — never by our own call's answer or an
// operator's guess. It does not change p.
func CheckPayment(p *Payment, t Transition) error {
	if err := checkCommon("payment", p.ID, paymentEdges, p.State, p.Unresolved, t.To, t.Cause, t.Unresolved, Pending); err != nil {
		return err
	}
	// Closing an order whose outcome is unknown needs the channel's word too: a query, a
	// notification, or the channel's own Close answer, which the API and expiry paths get
	// before they transition. An operator cannot guess it.
	if p.Unresolved && t.To == Closed && t.Cause == CauseOperator {
		return &TransitionError{Kind: "payment", ID: p.ID, From: p.State, To: t.To, Cause: t.Cause,
			Reason: "the outcome is unknown: close it on the channel (or query it) first"}
	}
	return nil
}

// checkCommon is the rule every kind of order follows: the edge from → to is in its table
// for cause; an order whose outcome is unknown is failed only on the channel's word (a query
// or a notification); and only an order in the waiting state (pending, processing) may be
// left unresolved.
func checkCommon(kind, id string, edges []edge, from State, unresolved bool, to State, cause Cause, toUnresolved bool, waiting State) error {
	refuse := func(reason string) error {
		return &TransitionError{Kind: kind, ID: id, From: from, To: to, Cause: cause, Reason: reason}
	}
	if !allowed(edges, from, to, cause) {
		return refuse("not in the " + kind + " transition table")
	}
	if unresolved && to == Failed && cause != CauseQuery && cause != CauseNotification {
		return refuse("the outcome is unknown: only a query or a notification of the channel can say it failed")
	}
	if toUnresolved && to != waiting {
		return refuse("only a " + string(waiting) + " " + kind + " can be unresolved")
	}
	return nil
}

// CheckRefund is CheckPayment for refunds.
func CheckRefund(r *Refund, t Transition) error {
	return checkCommon("refund", r.ID, refundEdges, r.State, r.Unresolved, t.To, t.Cause, t.Unresolved, Pending)
}

// ApplyPayment returns a copy of p after t (state, unresolved flag, channel id, paid time,
// alert, updated time, version+1), or the *TransitionError of CheckPayment. A late success
// (from Closed or Failed) gets an alert if t carries none.
func ApplyPayment(p *Payment, t Transition) (*Payment, error) {
	if err := CheckPayment(p, t); err != nil {
		return nil, err
	}
	n := *p
	if t.To == Succeeded && (p.State == Closed || p.State == Failed) && t.Alert == "" {
		t.Alert = "late success: paid after the order was " + string(p.State) + "; refund or handle manually"
	}
	n.State, n.Unresolved = t.To, t.Unresolved
	if t.ChannelTxnID != "" {
		n.ChannelTxnID = t.ChannelTxnID
	}
	if !t.PaidAt.IsZero() {
		n.PaidAt = t.PaidAt
	}
	if t.Alert != "" {
		n.Alert = t.Alert
	}
	n.UpdatedAt = t.At
	n.Version++
	return &n, nil
}

// ApplyRefund returns a copy of r after t, or the *TransitionError of CheckRefund.
func ApplyRefund(r *Refund, t Transition) (*Refund, error) {
	if err := CheckRefund(r, t); err != nil {
		return nil, err
	}
	n := *r
	n.State, n.Unresolved = t.To, t.Unresolved
	if t.ChannelTxnID != "" {
		n.ChannelRefundID = t.ChannelTxnID
	}
	if t.To == Succeeded {
		n.CompletedAt = t.At
		if !t.PaidAt.IsZero() {
			n.CompletedAt = t.PaidAt
		}
	}
	n.UpdatedAt = t.At
	n.Version++
	return &n, nil
}
