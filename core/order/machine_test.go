package order_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

var at = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

var (
	allStates = []order.State{order.Created, order.Pending, order.Succeeded, order.Failed, order.Closed, order.PartiallyRefunded, order.Refunded}
	allCauses = []order.Cause{order.CauseAPI, order.CauseChannel, order.CauseNotification, order.CauseQuery, order.CauseExpiry, order.CauseRefund, order.CauseOperator}
)

// TestPaymentTransitions_TableIsTheOnlyWay tries every (from, to, cause) and checks that
// exactly the table's entries are allowed.
func TestPaymentTransitions_TableIsTheOnlyWay(t *testing.T) {
	tbl := order.PaymentTransitions()
	for _, from := range allStates {
		for _, to := range allStates {
			for _, c := range allCauses {
				want := false
				for _, x := range tbl[from][to] {
					want = want || x == c
				}
				err := order.CheckPayment(&order.Payment{ID: "p", State: from}, order.Transition{To: to, Cause: c, At: at})
				if (err == nil) != want {
					t.Errorf("%s -> %s by %s: err=%v, table allows=%v", from, to, c, err, want)
				}
				if err != nil && !errors.Is(err, order.ErrTransition) {
					t.Errorf("refusal is not ErrTransition: %v", err)
				}
			}
		}
	}
}

func TestPaymentTransitions_Rules(t *testing.T) {
	tests := []struct {
		name  string
		p     order.Payment
		t     order.Transition
		allow bool
	}{
		{"unknown outcome cannot fail by our own call's answer", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Failed, Cause: order.CauseChannel}, false},
		{"unknown outcome cannot fail by an operator", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Failed, Cause: order.CauseOperator}, false},
		{"unknown outcome fails by query", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Failed, Cause: order.CauseQuery}, true},
		{"unknown outcome fails by notification", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Failed, Cause: order.CauseNotification}, true},
		{"unknown outcome succeeds by query", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Succeeded, Cause: order.CauseQuery}, true},
		{"unknown outcome not closed by an operator", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Closed, Cause: order.CauseOperator}, false},
		{"unknown outcome closed on expiry after the channel closed it", order.Payment{State: order.Pending, Unresolved: true}, order.Transition{To: order.Closed, Cause: order.CauseExpiry}, true},
		{"succeeded never closes", order.Payment{State: order.Succeeded}, order.Transition{To: order.Closed, Cause: order.CauseExpiry}, false},
		{"succeeded never fails", order.Payment{State: order.Succeeded}, order.Transition{To: order.Failed, Cause: order.CauseNotification}, false},
		{"refunded is final", order.Payment{State: order.Refunded}, order.Transition{To: order.PartiallyRefunded, Cause: order.CauseRefund}, false},
		{"late success after close", order.Payment{State: order.Closed}, order.Transition{To: order.Succeeded, Cause: order.CauseNotification}, true},
		{"created goes unresolved pending", order.Payment{State: order.Created}, order.Transition{To: order.Pending, Cause: order.CauseChannel, Unresolved: true}, true},
		{"only pending is unresolved", order.Payment{State: order.Created}, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, Unresolved: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.ID = "p1"
			err := order.CheckPayment(&tc.p, tc.t)
			if (err == nil) != tc.allow {
				t.Fatalf("CheckPayment = %v, want allowed=%v", err, tc.allow)
			}
		})
	}
}

func TestApplyPayment(t *testing.T) {
	p := &order.Payment{ID: "p1", State: order.Closed, Version: 3}
	n, err := order.ApplyPayment(p, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, At: at, ChannelTxnID: "T1", PaidAt: at.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if n.State != order.Succeeded || n.Version != 4 || n.ChannelTxnID != "T1" || !n.PaidAt.Equal(at.Add(-time.Minute)) || !n.UpdatedAt.Equal(at) {
		t.Errorf("applied: %+v", n)
	}
	if !strings.Contains(n.Alert, "late success") {
		t.Errorf("a late success carries no alert: %q", n.Alert)
	}
	if p.State != order.Closed || p.Version != 3 {
		t.Errorf("ApplyPayment changed its input: %+v", p)
	}
	if _, err := order.ApplyPayment(n, order.Transition{To: order.Closed, Cause: order.CauseAPI, At: at}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("succeeded -> closed: %v", err)
	}
}

func TestRefundTransitions(t *testing.T) {
	tbl := order.RefundTransitions()
	for _, from := range allStates {
		for _, to := range allStates {
			for _, c := range allCauses {
				want := false
				for _, x := range tbl[from][to] {
					want = want || x == c
				}
				err := order.CheckRefund(&order.Refund{ID: "r", State: from}, order.Transition{To: to, Cause: c})
				if (err == nil) != want {
					t.Errorf("%s -> %s by %s: err=%v, table allows=%v", from, to, c, err, want)
				}
			}
		}
	}
	r := &order.Refund{ID: "r", State: order.Pending, Unresolved: true}
	if err := order.CheckRefund(r, order.Transition{To: order.Failed, Cause: order.CauseChannel}); err == nil {
		t.Error("an unknown refund failed by our own call's answer")
	}
	n, err := order.ApplyRefund(r, order.Transition{To: order.Succeeded, Cause: order.CauseQuery, At: at, ChannelTxnID: "RF1"})
	if err != nil || n.ChannelRefundID != "RF1" || !n.CompletedAt.Equal(at) || n.Unresolved {
		t.Errorf("ApplyRefund: %+v %v", n, err)
	}
}
