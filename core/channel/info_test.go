package channel_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestNumberRule_Check(t *testing.T) {
	wechat := channel.NumberRule{MaxLen: 32, Symbols: "_-|*@"}
	unionpay := channel.NumberRule{MinLen: 8, MaxLen: 32}
	tests := []struct {
		name string
		rule channel.NumberRule
		in   string
		want string // substring of the error; "" = accepted
	}{
		{"letters digits symbols", wechat, "Ab1_-|*@", ""},
		{"exactly max", wechat, strings.Repeat("9", 32), ""},
		{"too long", wechat, strings.Repeat("9", 33), "1–32"},
		{"empty", wechat, "", "got 0 characters"},
		{"symbol not allowed", unionpay, "ORDER_0001", `character "_" at 5`},
		{"too short", unionpay, "A123", "8–32"},
		{"non-ASCII", wechat, "订单1", "not allowed"},
		{"space", wechat, "A 1", `" " at 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule.Check(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
	if got := unionpay.String(); got != "8–32 letters or digits" {
		t.Errorf("String() = %q", got)
	}
	err := unionpay.Validate("unionpay", "pay", "OrderNo", "x")
	if channel.KindOf(err) != channel.KindInvalidRequest || !strings.Contains(err.Error(), "OrderNo must be 8–32") {
		t.Errorf("Validate = %v", err)
	}
}

func TestInfo_StatementReadyAtAndAccountingDay(t *testing.T) {
	bj := clock.Beijing()
	d := clock.Date{Year: 2026, Month: 12, Day: 6}
	natural := channel.Info{StatementReadyAfter: 10 * time.Hour}
	if got, want := natural.StatementReadyAt(d), time.Date(2026, 12, 7, 10, 0, 0, 0, bj); !got.Equal(want) {
		t.Errorf("natural day: %v, want %v", got, want)
	}
	up := channel.Info{DayCutoff: clock.UnionPayCutoff, StatementReadyAfter: 6 * time.Hour}
	if got, want := up.StatementReadyAt(d), time.Date(2026, 12, 7, 5, 0, 0, 0, bj); !got.Equal(want) {
		t.Errorf("UnionPay day (ends D 23:00): %v, want %v", got, want)
	}
	if got := up.AccountingDay(time.Date(2026, 12, 6, 22, 59, 59, 0, bj)); got != d {
		t.Errorf("22:59:59 is on %v, want %v", got, d)
	}
	if got := up.AccountingDay(time.Date(2026, 12, 6, 23, 0, 1, 0, bj)); got != d.AddDays(1) {
		t.Errorf("23:00:01 is on %v, want %v", got, d.AddDays(1))
	}
	test := channel.Info{DayCutoff: clock.UnionPayTestCutoff}
	if got, want := test.StatementReadyAt(d), time.Date(2026, 12, 7, 13, 30, 0, 0, bj); !got.Equal(want) {
		t.Errorf("negative cut-off: %v, want %v", got, want)
	}
}

func TestInfo_RequireTime(t *testing.T) {
	if err := (channel.Info{}).RequireTime("wechat", "pay", "OrderTime", time.Time{}); err != nil {
		t.Errorf("not required: %v", err)
	}
	in := channel.Info{OrderTimeRequired: true}
	if err := in.RequireTime("unionpay", "pay", "OrderTime", time.Time{}); channel.KindOf(err) != channel.KindInvalidRequest || !strings.Contains(err.Error(), "OrderTime is zero") {
		t.Errorf("required and zero: %v", err)
	}
	if err := in.RequireTime("unionpay", "pay", "OrderTime", time.Now()); err != nil {
		t.Errorf("required and set: %v", err)
	}
}

func TestBackoff_Next(t *testing.T) {
	b := channel.Backoff{Steps: []time.Duration{time.Second, 2 * time.Second}, Then: time.Minute}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, time.Minute, time.Minute} {
		if got := b.Next(i); got != want {
			t.Errorf("Next(%d) = %v, want %v", i, got, want)
		}
	}
	if got := (channel.Backoff{}).Next(0); got != channel.DefaultQueryBackoff.Steps[0] {
		t.Errorf("zero Backoff Next(0) = %v, want the default's first step", got)
	}
	if got := (channel.Backoff{Steps: []time.Duration{3 * time.Second}}).Next(9); got != 3*time.Second {
		t.Errorf("no Then: Next(9) = %v, want the last step", got)
	}
	if got := b.Next(-1); got != time.Second {
		t.Errorf("Next(-1) = %v", got)
	}
}

func TestTimeOrAndEcho(t *testing.T) {
	clk := clock.NewVirtual(time.Date(2026, 12, 6, 10, 0, 0, 500, time.UTC))
	if got := channel.TimeOr(time.Time{}, clk); !got.Equal(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("TimeOr(zero) = %v", got)
	}
	given := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := channel.TimeOr(given, clk); !got.Equal(given) {
		t.Errorf("TimeOr(given) = %v", got)
	}
	r, err := channel.EchoOrderTime(given)(&channel.PaymentResult{}, nil)
	if err != nil || !r.OrderTime.Equal(given) {
		t.Errorf("EchoOrderTime: %v %v", r.OrderTime, err)
	}
	if r, _ := channel.EchoOrderTime(given)(nil, channel.ErrUnknownOutcome); r != nil {
		t.Errorf("EchoOrderTime on a nil result made one")
	}
	rr, _ := channel.EchoRefundTime(given)(&channel.RefundResult{}, nil)
	if !rr.RefundTime.Equal(given) {
		t.Errorf("EchoRefundTime: %v", rr.RefundTime)
	}
}

func TestResultFinalHelpers(t *testing.T) {
	for _, tc := range []struct {
		s    channel.Status
		want bool
	}{{channel.StatusSucceeded, false}, {channel.StatusFailed, true}, {channel.StatusReversed, true}, {channel.StatusProcessing, false}, {channel.StatusUnknown, false}} {
		if got := (&channel.PayoutResult{Status: tc.s}).Final(); got != tc.want {
			t.Errorf("PayoutResult{%v}.Final() = %v, want %v", tc.s, got, tc.want)
		}
	}
	for _, tc := range []struct {
		o    channel.CloseOutcome
		want bool
	}{{channel.CloseClosed, true}, {channel.CloseAlreadyClosed, true}, {channel.CloseNeverCreated, false}, {channel.CloseWillExpire, false}} {
		if got := (&channel.CloseResult{Outcome: tc.o}).Final(); got != tc.want {
			t.Errorf("CloseResult{%v}.Final() = %v, want %v", tc.o, got, tc.want)
		}
	}
	var nilClose *channel.CloseResult
	if nilClose.Final() {
		t.Error("nil CloseResult is final")
	}
}

func TestStatementRecord_ExactFeeAndNet(t *testing.T) {
	pay := channel.StatementRecord{Type: channel.RecordPayment, Amount: money.Fen(123), Fee: money.Fen(1), FeeUnits: 738, FeeScale: 5}
	if got := pay.ExactFee().String(); got != "0.00738" {
		t.Errorf("ExactFee = %s", got)
	}
	if n, err := pay.NetAmount(); err != nil || n != money.Fen(122) {
		t.Errorf("payment net = %v %v, want 1.22", n, err)
	}
	ref := channel.StatementRecord{Type: channel.RecordRefund, Amount: money.Fen(100), Fee: money.Fen(-1)}
	if got := ref.ExactFee().String(); got != "-0.01" {
		t.Errorf("ExactFee without FeeUnits = %s, want -0.01", got)
	}
	if n, err := ref.NetAmount(); err != nil || n != money.Fen(99) {
		t.Errorf("refund net = %v %v, want 0.99 out", n, err)
	}
}
