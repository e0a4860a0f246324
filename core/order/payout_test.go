package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

var payoutStates = []order.State{order.Created, order.PayoutProcessing, order.Succeeded, order.Failed, order.PayoutReturned}

// TestPayoutTransitions_TableIsTheOnlyWay tries every (from, to, cause) and checks that
// exactly the table's entries are allowed.
func TestPayoutTransitions_TableIsTheOnlyWay(t *testing.T) {
	tbl := order.PayoutTransitions()
	for _, from := range payoutStates {
		for _, to := range payoutStates {
			for _, c := range allCauses {
				want := false
				for _, x := range tbl[from][to] {
					want = want || x == c
				}
				err := order.CheckPayout(&order.Payout{ID: "po", State: from}, order.PayoutTransition{To: to, Cause: c, At: at})
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

func TestPayoutTransitions_Rules(t *testing.T) {
	tests := []struct {
		name  string
		p     order.Payout
		t     order.PayoutTransition
		allow bool
	}{
		{"unknown outcome cannot fail by our own call's answer", order.Payout{State: order.PayoutProcessing, Unresolved: true}, order.PayoutTransition{To: order.Failed, Cause: order.CauseChannel}, false},
		{"unknown outcome cannot fail by an operator", order.Payout{State: order.PayoutProcessing, Unresolved: true}, order.PayoutTransition{To: order.Failed, Cause: order.CauseOperator}, false},
		{"unknown outcome fails by query", order.Payout{State: order.PayoutProcessing, Unresolved: true}, order.PayoutTransition{To: order.Failed, Cause: order.CauseQuery}, true},
		{"succeeded is returned by notification", order.Payout{State: order.Succeeded}, order.PayoutTransition{To: order.PayoutReturned, Cause: order.CauseNotification}, true},
		{"succeeded never fails", order.Payout{State: order.Succeeded}, order.PayoutTransition{To: order.Failed, Cause: order.CauseNotification}, false},
		{"returned is final", order.Payout{State: order.PayoutReturned}, order.PayoutTransition{To: order.Succeeded, Cause: order.CauseQuery}, false},
		{"a return is not the merchant's to make", order.Payout{State: order.Succeeded}, order.PayoutTransition{To: order.PayoutReturned, Cause: order.CauseAPI}, false},
		{"only processing is unresolved", order.Payout{State: order.Created}, order.PayoutTransition{To: order.Succeeded, Cause: order.CauseChannel, Unresolved: true}, false},
		{"late success after a failure", order.Payout{State: order.Failed}, order.PayoutTransition{To: order.Succeeded, Cause: order.CauseNotification}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.t.At = at
			_, err := order.ApplyPayout(&tc.p, tc.t)
			if (err == nil) != tc.allow {
				t.Errorf("err = %v, want allowed=%v", err, tc.allow)
			}
		})
	}
}

func TestApplyPayout_RecordsReturnAndLateSuccessAlert(t *testing.T) {
	p := &order.Payout{ID: "po", State: order.Succeeded, Version: 3, CompletedAt: at}
	n, err := order.ApplyPayout(p, order.PayoutTransition{To: order.PayoutReturned, Cause: order.CauseNotification, At: at.Add(24 * time.Hour), ReturnNo: "R1", FailCode: "ACCT_CLOSED"})
	if err != nil {
		t.Fatal(err)
	}
	if n.State != order.PayoutReturned || n.ReturnNo != "R1" || !n.ReturnedAt.Equal(at.Add(24*time.Hour)) || n.Version != 4 || !n.CompletedAt.Equal(at) || p.State != order.Succeeded {
		t.Errorf("after return: %+v (original %+v)", n, p)
	}
	if !order.PayoutFinal(n.State) || order.PayoutFinal(order.Succeeded) {
		t.Error("returned must be final and succeeded not")
	}
	f := &order.Payout{ID: "po", State: order.Failed}
	n, err = order.ApplyPayout(f, order.PayoutTransition{To: order.Succeeded, Cause: order.CauseQuery, At: at})
	if err != nil || n.Alert == "" {
		t.Errorf("late success: %v, alert %q", err, n.Alert)
	}
}

func TestApplyBinding_ErasesSealedElementsWhenLeavingSMSSent(t *testing.T) {
	b := &order.Binding{ID: "b", State: order.BindSMSSent, Pending: order.PendingCard{PAN: "v1:x", Phone: "v1:y", IDNo: "v1:z", HolderName: "张三", IDType: "01"}}
	kept, err := order.ApplyBinding(b, order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseChannel, At: at, SMSSent: true})
	if err != nil || kept.Pending.IsZero() || kept.SMSSends != 1 {
		t.Fatalf("resend: %v %+v", err, kept)
	}
	for _, to := range []order.State{order.Bound, order.Failed} {
		n, err := order.ApplyBinding(b, order.BindingTransition{To: to, Cause: order.CauseQuery, At: at, Token: "T1"})
		if err != nil || !n.Pending.IsZero() {
			t.Errorf("%s: %v, pending %+v", to, err, n.Pending)
		}
	}
	if _, err := order.ApplyBinding(&order.Binding{State: order.Unbound}, order.BindingTransition{To: order.Bound, Cause: order.CauseQuery, At: at}); !errors.Is(err, order.ErrTransition) {
		t.Errorf("unbound -> bound: %v", err)
	}
}
