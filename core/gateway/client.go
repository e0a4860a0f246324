package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tongdao/tongdao/core/clock"
)

// Client calls the merchant API as one merchant, signing every request with HMAC-SHA256. It
// is what the demo, the load command and Go merchants use; it is safe for concurrent use.
type Client struct {
	BaseURL    string       // e.g. http://127.0.0.1:8090
	MerchantID string       // Tongdao-Merchant
	Secret     string       // the merchant's HMAC secret
	HTTP       *http.Client // default http.DefaultClient
	Clock      clock.Clock  // timestamps; default clock.Real()

	once   sync.Once
	prefix string
	seq    atomic.Int64
}

// Error is an API error answer.
type Error struct {
	Status int
	APIError
}

func (e *Error) Error() string {
	return fmt.Sprintf("gateway: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

func (c *Client) nonce() string {
	c.once.Do(func() {
		var b [6]byte
		_, _ = rand.Read(b[:])
		c.prefix = hex.EncodeToString(b[:])
	})
	return fmt.Sprintf("%s-%d", c.prefix, c.seq.Add(1))
}

// Do sends a signed request and decodes a 2xx answer into out. A non-2xx answer is an *Error.
func (c *Client) Do(ctx context.Context, method, path string, body any, idemKey string, out any) (int, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	clk := c.Clock
	if clk == nil {
		clk = clock.Real()
	}
	ts, nonce := strconv.FormatInt(clk.Now().Unix(), 10), c.nonce()
	req.Header.Set(HeaderMerchant, c.MerchantID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, SignHMAC(c.Secret, StringToSign(method, req.URL.RequestURI(), ts, nonce, raw)))
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set(HeaderIdempotency, idemKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error APIError `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return resp.StatusCode, &Error{Status: resp.StatusCode, APIError: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("gateway: decoding %s: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

// CreatePayment is POST /v1/payments.
func (c *Client) CreatePayment(ctx context.Context, req *CreatePaymentRequest, idemKey string) (*PaymentJSON, error) {
	var p PaymentJSON
	if _, err := c.Do(ctx, http.MethodPost, "/v1/payments", req, idemKey, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetPayment is GET /v1/payments/{order_no}.
func (c *Client) GetPayment(ctx context.Context, orderNo string) (*PaymentJSON, error) {
	var p PaymentJSON
	if _, err := c.Do(ctx, http.MethodGet, "/v1/payments/"+orderNo, nil, "", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ClosePayment is POST /v1/payments/{order_no}/close.
func (c *Client) ClosePayment(ctx context.Context, orderNo string) (*PaymentJSON, error) {
	var p PaymentJSON
	if _, err := c.Do(ctx, http.MethodPost, "/v1/payments/"+orderNo+"/close", nil, "", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateRefund is POST /v1/refunds.
func (c *Client) CreateRefund(ctx context.Context, req *CreateRefundRequest, idemKey string) (*RefundJSON, error) {
	var r RefundJSON
	if _, err := c.Do(ctx, http.MethodPost, "/v1/refunds", req, idemKey, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRefund is GET /v1/refunds/{refund_no}.
func (c *Client) GetRefund(ctx context.Context, refundNo string) (*RefundJSON, error) {
	var r RefundJSON
	if _, err := c.Do(ctx, http.MethodGet, "/v1/refunds/"+refundNo, nil, "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// CreatePayout is POST /v1/payouts.
func (c *Client) CreatePayout(ctx context.Context, req *CreatePayoutRequest, idemKey string) (*PayoutJSON, error) {
	var p PayoutJSON
	if _, err := c.Do(ctx, http.MethodPost, "/v1/payouts", req, idemKey, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetPayout is GET /v1/payouts/{payout_no}.
func (c *Client) GetPayout(ctx context.Context, payoutNo string) (*PayoutJSON, error) {
	var p PayoutJSON
	if _, err := c.Do(ctx, http.MethodGet, "/v1/payouts/"+payoutNo, nil, "", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateBinding is POST /v1/bindings.
func (c *Client) CreateBinding(ctx context.Context, req *CreateBindingRequest, idemKey string) (*BindingJSON, error) {
	var b BindingJSON
	if _, err := c.Do(ctx, http.MethodPost, "/v1/bindings", req, idemKey, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// ConfirmBinding is POST /v1/bindings/{bind_no}/confirm.
func (c *Client) ConfirmBinding(ctx context.Context, bindNo string, req *ConfirmBindingRequest) (*BindingJSON, error) {
	var b BindingJSON
	if _, err := c.Do(ctx, http.MethodPost, "/v1/bindings/"+bindNo+"/confirm", req, "", &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// GetBinding is GET /v1/bindings/{bind_no}.
func (c *Client) GetBinding(ctx context.Context, bindNo string) (*BindingJSON, error) {
	var b BindingJSON
	if _, err := c.Do(ctx, http.MethodGet, "/v1/bindings/"+bindNo, nil, "", &b); err != nil {
		return nil, err
	}
	return &b, nil
}
