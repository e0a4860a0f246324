package monitor_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/monitor"
)

type plain struct{ err error }

func (plain) Name() string              { return "fake" }
func (plain) Info() channel.Info        { return channel.Info{} }
func (plain) Methods() []channel.Method { return []channel.Method{channel.MethodQR} }
func (p plain) Pay(context.Context, *channel.PayRequest) (*channel.PaymentResult, error) {
	if p.err != nil {
		return nil, p.err
	}
	return &channel.PaymentResult{Status: channel.StatusUnknown}, nil
}
func (plain) Query(context.Context, *channel.QueryRequest) (*channel.PaymentResult, error) {
	return &channel.PaymentResult{Status: channel.StatusSucceeded}, nil
}
func (plain) Refund(context.Context, *channel.RefundRequest) (*channel.RefundResult, error) {
	return nil, nil
}
func (plain) QueryRefund(context.Context, *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	return nil, nil
}
func (plain) ParseNotification(context.Context, http.Header, []byte) (*channel.Notification, error) {
	return nil, nil
}
func (plain) DownloadStatement(context.Context, *channel.StatementRequest) (channel.StatementReader, error) {
	return nil, nil
}

type closing struct{ plain }

func (closing) Close(context.Context, *channel.CloseRequest) (*channel.CloseResult, error) {
	return nil, &channel.Error{Kind: channel.KindAlreadyDone}
}

type payouting struct{ closing }

func (payouting) Payout(context.Context, *channel.PayoutRequest) (*channel.PayoutResult, error) {
	return nil, nil
}
func (payouting) QueryPayout(context.Context, *channel.PayoutQuery) (*channel.PayoutResult, error) {
	return nil, nil
}

func TestWrap_KeepsExactlyTheOptionalInterfaces(t *testing.T) {
	m, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name            string
		ch              channel.Channel
		closer, payouts bool
	}{
		{"none", plain{}, false, false},
		{"closer", closing{}, true, false},
		{"closer and payouter", payouting{}, true, true},
	} {
		w := m.Wrap("a", tt.ch)
		_, c := w.(channel.Closer)
		_, p := w.(channel.Payouter)
		_, b := w.(channel.Binder)
		if c != tt.closer || p != tt.payouts || b {
			t.Errorf("%s: closer %v payouter %v binder %v", tt.name, c, p, b)
		}
		if monitor.Unwrap(w) != tt.ch {
			t.Errorf("%s: Unwrap", tt.name)
		}
	}
}

func TestWrap_CountsByAccountOperationAndOutcome(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := monitor.New(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ok := m.Wrap("a1", closing{})
	down := m.Wrap("a2", plain{err: &channel.Error{Kind: channel.KindUnavailable}})
	declined := m.Wrap("a3", plain{err: &channel.Error{Kind: channel.KindDeclined}})
	_, _ = ok.Pay(ctx, &channel.PayRequest{}) // StatusUnknown: an unknown outcome without an error
	_, _ = ok.Query(ctx, &channel.QueryRequest{})
	_, _ = ok.(channel.Closer).Close(ctx, &channel.CloseRequest{})
	for i := 0; i < 3; i++ {
		_, _ = down.Pay(ctx, &channel.PayRequest{})
	}
	_, _ = declined.Pay(ctx, &channel.PayRequest{})
	for _, tt := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"a1", "fake", "pay", "ok"}, 1},
		{[]string{"a1", "fake", "query", "ok"}, 1},
		{[]string{"a1", "fake", "close", "already_done"}, 1},
		{[]string{"a2", "fake", "pay", "unavailable"}, 3},
		{[]string{"a3", "fake", "pay", "declined"}, 1},
	} {
		c, err := metricVec(reg, "tongdao_channel_outcomes_total", tt.labels)
		if err != nil || c != tt.want {
			t.Errorf("outcomes%v = %v (%v), want %v", tt.labels, c, err, tt.want)
		}
	}
	if c, _ := metricVec(reg, "tongdao_channel_unknown_outcomes_total", []string{"a1", "fake", "pay"}); c != 1 {
		t.Errorf("unknown outcomes of a1 pay = %v, want 1", c)
	}
	mfs, _ := reg.Gather()
	n := 0
	for _, mf := range mfs {
		if mf.GetName() == "tongdao_channel_request_seconds" {
			n = len(mf.GetMetric())
		}
	}
	if n != 5 {
		t.Errorf("latency series = %d, want 5 (a1 pay/query/close, a2 pay, a3 pay)", n)
	}
}

func metricVec(reg *prometheus.Registry, name string, labels []string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i, lp := range m.GetLabel() {
				if i >= len(labels) || lp.GetValue() != labels[i] {
					continue next
				}
			}
			return m.GetCounter().GetValue(), nil
		}
	}
	return 0, nil
}
