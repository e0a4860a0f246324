package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// scriptedChannel answers Pay with err (or a pending result) and counts the calls.
type scriptedChannel struct {
	name string
	err  error
	mu   sync.Mutex
	pays []string // channel order numbers it was asked to pay
}

func (c *scriptedChannel) Name() string              { return c.name }
func (c *scriptedChannel) Info() channel.Info        { return channel.Info{} }
func (c *scriptedChannel) Methods() []channel.Method { return []channel.Method{channel.MethodQR} }
func (c *scriptedChannel) Pay(_ context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	c.mu.Lock()
	c.pays = append(c.pays, req.OrderNo)
	c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	return &channel.PaymentResult{Status: channel.StatusPending, Amount: req.Amount, OrderNo: req.OrderNo, Action: &channel.PayAction{QRCode: "weixin://x"}}, nil
}
func (c *scriptedChannel) Query(context.Context, *channel.QueryRequest) (*channel.PaymentResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (c *scriptedChannel) Refund(context.Context, *channel.RefundRequest) (*channel.RefundResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (c *scriptedChannel) QueryRefund(context.Context, *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	return nil, channel.ErrUnknownOutcome
}
func (c *scriptedChannel) ParseNotification(context.Context, http.Header, []byte) (*channel.Notification, error) {
	return nil, channel.ErrUnknownOutcome
}
func (c *scriptedChannel) DownloadStatement(context.Context, *channel.StatementRequest) (channel.StatementReader, error) {
	return nil, channel.ErrUnknownOutcome
}

// listRouter always answers the same candidates; it refuses attempts on refuse.
type listRouter struct {
	candidates []string
	refuse     string
}

func (r listRouter) Route(context.Context, gateway.RouteRequest) (gateway.RouteDecision, error) {
	return gateway.RouteDecision{Account: r.candidates[0], Candidates: r.candidates, Reason: "test"}, nil
}
func (r listRouter) BeginAttempt(account string, _ money.Amount, _ time.Time) error {
	if account == r.refuse {
		return errors.New("limit used up")
	}
	return nil
}
func (r listRouter) EndAttempt(gateway.Attempt) {}

// TestFailover_NeverChargesTwoChannels: for every answer of the first channel, the second
// is asked only when the first surely did not execute (KindUnavailable, or the router
// refused before sending). After an unknown outcome, a timeout, a 5xx, a decline or any
// answer, the payment stays on the first account and the second never hears of it.
func TestFailover_NeverChargesTwoChannels(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		refuse     bool
		wantSecond bool
		wantState  order.State
	}{
		{"answered", nil, false, false, order.Pending},
		{"unknown outcome (timeout, reset, 5xx)", &channel.Error{Kind: channel.KindUnknown, Code: "TRANSPORT"}, false, false, order.Pending},
		{"context deadline (not a channel error)", context.DeadlineExceeded, false, false, order.Pending},
		{"already done", &channel.Error{Kind: channel.KindAlreadyDone}, false, false, order.Pending},
		{"declined", &channel.Error{Kind: channel.KindDeclined}, false, false, order.Failed},
		{"invalid request", &channel.Error{Kind: channel.KindInvalidRequest}, false, false, order.Failed},
		{"insufficient funds", &channel.Error{Kind: channel.KindInsufficientFunds}, false, false, order.Failed},
		{"rate limited", &channel.Error{Kind: channel.KindRateLimited}, false, false, order.Failed},
		{"signature", &channel.Error{Kind: channel.KindSignature}, false, false, order.Failed},
		{"unavailable: dial refused", &channel.Error{Kind: channel.KindUnavailable, Code: "CONNECT"}, false, true, order.Pending},
		{"refused by the router before sending", nil, true, true, order.Pending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := &scriptedChannel{name: "first", err: tt.err}
			second := &scriptedChannel{name: "second"}
			rt := listRouter{candidates: []string{"a1", "a2"}}
			if tt.refuse {
				rt.refuse = "a1"
			}
			db := storetest.Open(t, "sqlite::memory:")
			gw, err := gateway.New(gateway.Config{Store: db, PublicURL: "http://127.0.0.1:1", Router: rt,
				Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1}},
				Accounts:  []gateway.Account{{ID: "a1", Channel: first}, {ID: "a2", Channel: second}}})
			if err != nil {
				t.Fatal(err)
			}
			p, _, _, err := gw.Pay(context.Background(), "M1", &gateway.CreatePaymentRequest{OrderNo: "F1", Amount: 100, Method: "qr", Subject: "s"})
			if err != nil {
				t.Fatal(err)
			}
			charged := 0
			if len(first.pays) > 0 && (tt.err == nil || !tt.wantSecond) && !tt.refuse {
				charged++ // the first channel may have executed it
			}
			if len(second.pays) > 0 {
				charged++
			}
			if charged > 1 {
				t.Fatalf("the payment may have been charged on two channels: first %v, second %v", first.pays, second.pays)
			}
			if got := len(second.pays) > 0; got != tt.wantSecond {
				t.Errorf("second channel asked: %v, want %v", got, tt.wantSecond)
			}
			wantAcct := "a1"
			if tt.wantSecond {
				wantAcct = "a2"
			}
			if p.Account != wantAcct || p.State != tt.wantState {
				t.Errorf("payment on %s in %s, want %s in %s", p.Account, p.State, wantAcct, tt.wantState)
			}
			if tt.refuse && len(first.pays) != 0 {
				t.Errorf("the refused account was called")
			}
		})
	}
}
