package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// HTTPSim drives a tongdao simulator through its /_sim/ control API, in process (a
// simulator.TestServer's URL) or remote (`tongdao sim serve`). It implements Simulator.
type HTTPSim struct {
	// BaseURL is the simulator's base URL, without a trailing slash.
	BaseURL string
	// Client is the HTTP client; nil = http.DefaultClient.
	Client *http.Client
	// Ops maps the suite's operations to the protocol's operation names for fault plans
	// (WeChat: OpPay→"unifiedorder", OpQuery→"orderquery", …). OpNotify maps to the
	// callback kind and defaults to "payment".
	Ops map[Op]string
}

// NewHTTPSim returns a driver for the simulator at baseURL.
func NewHTTPSim(baseURL string, client *http.Client, ops map[Op]string) *HTTPSim {
	return &HTTPSim{BaseURL: strings.TrimRight(baseURL, "/"), Client: client, Ops: ops}
}

func (h *HTTPSim) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	return http.DefaultClient
}

// do sends a control request and decodes a 2xx JSON answer into out (if not nil).
func (h *HTTPSim) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("simulator %s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("simulator %s %s: decoding answer: %w", method, path, err)
		}
	}
	return nil
}

// PayerPay implements Simulator.
func (h *HTTPSim) PayerPay(ctx context.Context, channelName, orderNo string) error {
	return h.do(ctx, http.MethodPost, "/_sim/payer/pay", map[string]string{"channel": channelName, "out_trade_no": orderNo}, nil)
}

// Now implements Simulator.
func (h *HTTPSim) Now(ctx context.Context) (time.Time, error) {
	var v struct {
		Now string `json:"now"`
	}
	if err := h.do(ctx, http.MethodGet, "/_sim/clock", nil, &v); err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v.Now)
	if err != nil {
		return time.Time{}, fmt.Errorf("simulator clock %q: %w", v.Now, err)
	}
	return t.In(clock.Beijing()), nil
}

// Advance implements Simulator.
func (h *HTTPSim) Advance(ctx context.Context, d time.Duration) error {
	if d == 0 {
		return nil
	}
	return h.do(ctx, http.MethodPost, "/_sim/clock/advance", map[string]string{"duration": d.String()}, nil)
}

// SetTime implements Simulator.
func (h *HTTPSim) SetTime(ctx context.Context, t time.Time) error {
	return h.do(ctx, http.MethodPost, "/_sim/clock/set", map[string]string{"time": t.Format(time.RFC3339Nano)}, nil)
}

// AddFault implements Simulator, translating the suite's fault into a simulator plan.
func (h *HTTPSim) AddFault(ctx context.Context, f Fault) (string, error) {
	plan := map[string]any{"kind": string(f.Kind), "channel": f.Channel, "out_trade_no": f.OrderNo}
	op := h.Ops[f.Op]
	switch f.Op {
	case OpNotify:
		if op == "" {
			op = "payment"
		}
		plan["first"] = 1
		if f.Count > 0 && f.Kind == FaultDuplicateCallbacks {
			plan["count"] = f.Count
		}
	default:
		if op == "" {
			return "", fmt.Errorf("conformance: no protocol operation name for %q in HTTPSim.Ops", f.Op)
		}
		if f.Count > 0 {
			plan["first"] = f.Count
		}
	}
	plan["op"] = op
	if f.Code != "" {
		plan["code"] = f.Code
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := h.do(ctx, http.MethodPost, "/_sim/faults", plan, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// RemoveFault implements Simulator.
func (h *HTTPSim) RemoveFault(ctx context.Context, id string) error {
	return h.do(ctx, http.MethodDelete, "/_sim/faults/"+url.PathEscape(id), nil, nil)
}

// Records implements Simulator from GET /_sim/statements/{channel}/{day}.
func (h *HTTPSim) Records(ctx context.Context, channelName string, day clock.Date) ([]Record, error) {
	var v struct {
		Records []struct {
			Kind        string       `json:"kind"`
			OutTradeNo  string       `json:"out_trade_no"`
			OutRefundNo string       `json:"out_refund_no"`
			Amount      money.Amount `json:"amount"`
		} `json:"records"`
	}
	if err := h.do(ctx, http.MethodGet, "/_sim/statements/"+url.PathEscape(channelName)+"/"+day.String(), nil, &v); err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(v.Records))
	for _, r := range v.Records {
		out = append(out, Record{Type: channel.RecordType(r.Kind), OrderNo: r.OutTradeNo, RefundNo: r.OutRefundNo, Amount: r.Amount})
	}
	return out, nil
}

// BindSMSCode implements SMSReader from GET /_sim/{channel}/sms?bind_no= (the bank).
func (h *HTTPSim) BindSMSCode(ctx context.Context, channelName, bindNo string) (string, error) {
	var v struct {
		Code string `json:"code"`
	}
	if err := h.do(ctx, http.MethodGet, "/_sim/"+url.PathEscape(channelName)+"/sms?bind_no="+url.QueryEscape(bindNo), nil, &v); err != nil {
		return "", err
	}
	if v.Code == "" {
		return "", fmt.Errorf("simulator: no SMS code for binding %s", bindNo)
	}
	return v.Code, nil
}

// ReturnPayout implements PayoutReturner with POST /_sim/{channel}/payouts/return (the
// bank).
func (h *HTTPSim) ReturnPayout(ctx context.Context, channelName, payoutNo string) error {
	return h.do(ctx, http.MethodPost, "/_sim/"+url.PathEscape(channelName)+"/payouts/return", map[string]string{"payout_no": payoutNo}, nil)
}
