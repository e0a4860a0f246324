package channel_test

import (
	"errors"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

func payNote(order string, minor int64, cur money.Currency, mch, app string) *channel.Notification {
	return &channel.Notification{Channel: "wechat", Type: channel.NotifyPayment,
		Payment: &channel.PaymentResult{Status: channel.StatusSucceeded, OrderNo: order, Amount: money.New(minor, cur), MerchantID: mch, AppID: app}}
}

func TestNotification_Check(t *testing.T) {
	exp := channel.Expectation{OrderNo: "O1", Amount: money.Fen(10000), MerchantID: "M1", AppID: "A1"}
	tests := []struct {
		name  string
		n     *channel.Notification
		exp   channel.Expectation
		field string // "" = passes
	}{
		{"matches", payNote("O1", 10000, money.CNY, "M1", "A1"), exp, ""},
		{"ids not reported are not checked", payNote("O1", 10000, money.CNY, "", ""), exp, ""},
		{"amount changed by one fen", payNote("O1", 10001, money.CNY, "M1", "A1"), exp, "Amount"},
		{"other order", payNote("O2", 10000, money.CNY, "M1", "A1"), exp, "OrderNo"},
		{"other currency", payNote("O1", 10000, money.USD, "M1", "A1"), exp, "Currency"},
		{"other merchant", payNote("O1", 10000, money.CNY, "M2", "A1"), exp, "MerchantID"},
		{"other app", payNote("O1", 10000, money.CNY, "M1", "A2"), exp, "AppID"},
		{"amount not reported", payNote("O1", 0, money.CNY, "M1", "A1"), exp, "Amount"},
		{"nothing expected", payNote("O9", 1, money.CNY, "X", "Y"), channel.Expectation{}, ""},
		{"refund amount", &channel.Notification{Channel: "wechat", Type: channel.NotifyRefund, Refund: &channel.RefundResult{OrderNo: "O1", RefundNo: "R1", Amount: money.Fen(500)}},
			channel.Expectation{OrderNo: "O1", RefundNo: "R1", Amount: money.Fen(500)}, ""},
		{"refund number differs", &channel.Notification{Channel: "wechat", Type: channel.NotifyRefund, Refund: &channel.RefundResult{OrderNo: "O1", RefundNo: "R2", Amount: money.Fen(500)}},
			channel.Expectation{OrderNo: "O1", RefundNo: "R1", Amount: money.Fen(500)}, "RefundNo"},
		{"cumulative total covers the refund", &channel.Notification{Channel: "alipay", Type: channel.NotifyRefund, Refund: &channel.RefundResult{OrderNo: "O1", RefundNo: "R1", RefundedTotal: money.Fen(800)}},
			channel.Expectation{OrderNo: "O1", RefundNo: "R1", Amount: money.Fen(500)}, ""},
		{"cumulative total below the refund", &channel.Notification{Channel: "alipay", Type: channel.NotifyRefund, Refund: &channel.RefundResult{OrderNo: "O1", RefundNo: "R1", RefundedTotal: money.Fen(300)}},
			channel.Expectation{OrderNo: "O1", RefundNo: "R1", Amount: money.Fen(500)}, "Amount"},
		{"nil notification", nil, exp, "Notification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.n.Check(tc.exp)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var mis *channel.MismatchError
			if !errors.As(err, &mis) || mis.Field != tc.field {
				t.Fatalf("Check = %v, want a mismatch on %s", err, tc.field)
			}
			if !errors.Is(err, channel.ErrInvalidRequest) {
				t.Errorf("mismatch is not ErrInvalidRequest: %v", err)
			}
		})
	}
}

func TestNotification_DedupKey(t *testing.T) {
	a := payNote("O1", 100, money.CNY, "M", "A")
	b := payNote("O1", 100, money.CNY, "M", "A")
	if a.DedupKey() != b.DedupKey() {
		t.Errorf("re-sends differ: %q vs %q", a.DedupKey(), b.DedupKey())
	}
	c := payNote("O1", 100, money.CNY, "M", "A")
	c.Payment.Status = channel.StatusClosed
	if a.DedupKey() == c.DedupKey() {
		t.Errorf("a different state shares the key %q", a.DedupKey())
	}
	r1 := &channel.Notification{Channel: "alipay", Type: channel.NotifyRefund, Refund: &channel.RefundResult{OrderNo: "O1", RefundNo: "R1", Status: channel.StatusSucceeded}}
	r2 := &channel.Notification{Channel: "alipay", Type: channel.NotifyRefund, Refund: &channel.RefundResult{OrderNo: "O1", RefundNo: "R2", Status: channel.StatusSucceeded}}
	if r1.DedupKey() == r2.DedupKey() {
		t.Errorf("two refunds share the key %q", r1.DedupKey())
	}
	if (*channel.Notification)(nil).DedupKey() != "" {
		t.Error("nil notification has a key")
	}
}
