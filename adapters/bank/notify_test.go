package bank

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

func TestParseNotification_EachTypeAndRefusals(t *testing.T) {
	c, sign := fuzzClient(t)
	pay := sign(`{"amount":"100","bankSerial":"B1","finishTime":"20240101120001","orderNo":"P1","settleDate":"20240101","status":"SUCCESS"}`, "PAY_RESULT")
	tests := []struct {
		name  string
		body  []byte
		kind  channel.Kind // for errors
		check func(*channel.Notification) bool
	}{
		{"payment", pay, 0, func(n *channel.Notification) bool {
			return n.Type == channel.NotifyPayment && n.Payment.Status == channel.StatusSucceeded && n.Payment.Amount == money.Fen(100) &&
				n.Payment.ChannelTxnID == "B1" && !n.Payment.PaidAt.IsZero() && n.EventID == "N1" && n.Check(channel.Expectation{OrderNo: "P1", Amount: money.Fen(100)}) == nil
		}},
		{"refund", sign(`{"amount":"5","bankSerial":"B2","orderNo":"P1","refundNo":"R1","status":"SUCCESS"}`, "REFUND_RESULT"), 0, func(n *channel.Notification) bool {
			return n.Type == channel.NotifyRefund && n.Refund.RefundNo == "R1" && n.Refund.OrderNo == "P1" && n.Refund.Status == channel.StatusSucceeded
		}},
		{"payout returned", sign(`{"amount":"800","bankSerial":"B3","payoutNo":"O1","returnTime":"20240102120000","status":"RETURNED"}`, "PAYOUT_RESULT"), 0, func(n *channel.Notification) bool {
			return n.Type == channel.NotifyPayout && n.Payout.Status == channel.StatusReversed && n.Payout.Final() && n.Payout.ReturnNo == "B3" && !n.Payout.CompletedAt.IsZero()
		}},
		{"payout succeeded is not final", sign(`{"amount":"800","bankSerial":"B3","payoutNo":"O1","status":"SUCCESS"}`, "PAYOUT_RESULT"), 0, func(n *channel.Notification) bool {
			return n.Payout.Status == channel.StatusSucceeded && !n.Payout.Final()
		}},
		{"altered amount", bytes.Replace(pay, []byte(`\"100\"`), []byte(`\"101\"`), 1), channel.KindSignature, nil},
		{"other txCode", sign(`{"amount":"100","orderNo":"P1","status":"SUCCESS"}`, "PAY"), channel.KindSignature, nil},
		{"no amount", sign(`{"orderNo":"P1","status":"SUCCESS"}`, "PAY_RESULT"), channel.KindInvalidRequest, nil},
		{"not json", []byte(`orderNo=P1`), channel.KindInvalidRequest, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := c.ParseNotification(context.Background(), nil, tc.body)
			if tc.check != nil {
				if err != nil || !tc.check(n) {
					t.Fatalf("got %+v, %v", n, err)
				}
				return
			}
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Kind != tc.kind {
				t.Fatalf("got %v, want kind %v", err, tc.kind)
			}
		})
	}
}
