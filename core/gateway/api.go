package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// APIError is the body of every error answer: {"error":{"code":…,"message":…,"param":…}}.
type APIError struct {
	Code    string `json:"code"`               // stable, e.g. "invalid_request", "rate_limited"
	Message string `json:"message"`            // for people
	Param   string `json:"param,omitempty"`    // the offending parameter, when one is
	OrderNo string `json:"order_no,omitempty"` // the order concerned, when one is
}

// apiErr is an error a handler returns to answer with status and an APIError.
type apiErr struct {
	status int
	APIError
}

func (e *apiErr) Error() string { return e.Code + ": " + e.Message }

func badParam(param, f string, a ...any) *apiErr {
	return &apiErr{http.StatusBadRequest, APIError{Code: "invalid_request", Message: fmt.Sprintf(f, a...), Param: param}}
}

func writeJSON(w http.ResponseWriter, status int, v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return body
}

func writeError(w http.ResponseWriter, status int, code, msg, param string) {
	writeJSON(w, status, map[string]APIError{"error": {Code: code, Message: msg, Param: param}})
}

// handlerFunc is an authenticated handler: it answers with a status and a value to encode,
// or an error (an *apiErr, or anything else as a 500 that names no internals).
type handlerFunc func(ctx context.Context, m *Merchant, r *http.Request, body []byte) (int, any, error)

// authed wraps h with the body limit, merchant authentication (signature, timestamp,
// nonce), the rate limit and, for POSTs, Idempotency-Key handling.
func (g *Gateway) authed(h handlerFunc, idempotent bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.stats.Requests.Add(1)
		ctx := r.Context()
		now := g.clk.Now()
		if r.ContentLength > g.cfg.MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body exceeds %d bytes", g.cfg.MaxBodyBytes), "")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBodyBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "reading the body failed", "")
			return
		}
		if int64(len(body)) > g.cfg.MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body exceeds %d bytes", g.cfg.MaxBodyBytes), "")
			return
		}
		m := g.merchants[r.Header.Get(HeaderMerchant)]
		if m == nil {
			g.stats.AuthFailures.Add(1)
			writeError(w, http.StatusUnauthorized, "authentication_failed", "unknown merchant in "+HeaderMerchant, HeaderMerchant)
			return
		}
		if ok, wait := g.limits.allow(m, now); !ok {
			g.stats.RateLimited.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("more than %g requests per second; retry after %s", m.RatePerSecond, wait.Round(time.Millisecond)), "")
			return
		}
		nonce, err := m.verify(r, body, now, g.cfg.ClockSkew)
		if err != nil {
			g.stats.AuthFailures.Add(1)
			writeError(w, http.StatusUnauthorized, "authentication_failed", err.Error(), "")
			return
		}
		fresh, err := g.store.RememberNonce(ctx, m.ID, nonce, now, now.Add(2*g.cfg.ClockSkew))
		if err != nil {
			g.internal(w, "nonce", err)
			return
		}
		if !fresh {
			g.stats.AuthFailures.Add(1)
			writeError(w, http.StatusUnauthorized, "replayed", "this "+HeaderNonce+" was used before; every request needs a new one", HeaderNonce)
			return
		}
		key := r.Header.Get(HeaderIdempotency)
		if idempotent && key != "" {
			if len(key) > 255 {
				writeError(w, http.StatusBadRequest, "invalid_request", HeaderIdempotency+" is longer than 255 characters", HeaderIdempotency)
				return
			}
			hash := g.requestHash(r.Method, r.URL.Path, body)
			rec, created, err := g.store.BeginIdempotent(ctx, m.ID, key, hash, now, now.Add(g.cfg.IdempotencyTTL))
			if err != nil {
				g.internal(w, "idempotency", err)
				return
			}
			switch {
			case !created && rec.Hash != hash:
				writeError(w, http.StatusUnprocessableEntity, "idempotency_mismatch", "this "+HeaderIdempotency+" was used with a different request", HeaderIdempotency)
				return
			case !created && !rec.Done:
				writeError(w, http.StatusConflict, "idempotency_in_flight", "a request with this "+HeaderIdempotency+" is still being processed; retry later", HeaderIdempotency)
				return
			case !created:
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(rec.Status)
				_, _ = w.Write(rec.Response)
				return
			}
			status, out := g.run(ctx, h, m, r, body)
			// A 5xx that changed nothing is not stored, so a retry runs again; everything
			// else is the answer to this key for its lifetime.
			if status >= 500 {
				_ = g.store.AbandonIdempotent(context.WithoutCancel(ctx), m.ID, key)
			} else if err := g.store.FinishIdempotent(context.WithoutCancel(ctx), m.ID, key, status, out); err != nil {
				g.log.Error("storing an Idempotency-Key answer failed", "merchant", m.ID, "err", err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(out)
			return
		}
		status, out := g.run(ctx, h, m, r, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(out)
	})
}

// run calls h and encodes its answer.
func (g *Gateway) run(ctx context.Context, h handlerFunc, m *Merchant, r *http.Request, body []byte) (int, []byte) {
	status, v, err := h(ctx, m, r, body)
	if err != nil {
		var ae *apiErr
		if !errors.As(err, &ae) {
			g.log.Error("request failed", "merchant", m.ID, "path", r.URL.Path, "err", err)
			ae = &apiErr{http.StatusInternalServerError, APIError{Code: "internal", Message: "internal error; the request may be retried with the same Idempotency-Key"}}
		}
		status, v = ae.status, map[string]APIError{"error": ae.APIError}
	}
	out, merr := json.Marshal(v)
	if merr != nil {
		return http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	return status, out
}

func (g *Gateway) internal(w http.ResponseWriter, what string, err error) {
	g.log.Error("internal error", "at", what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error; retry later", "")
}

// decodeStrict decodes a JSON object into v, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return badParam(te.Field, "%s must be a %s", te.Field, te.Type)
		case errors.As(err, &se):
			return badParam("", "body is not valid JSON: %v", err)
		}
		return badParam("", "body: %v", err)
	}
	if dec.More() {
		return badParam("", "body has data after the JSON object")
	}
	return nil
}

// PaymentJSON is a payment as the API shows it. Amounts are integers in minor units (fen).
type PaymentJSON struct {
	ID             string      `json:"id"`
	OrderNo        string      `json:"order_no"`
	Amount         int64       `json:"amount"`
	Currency       string      `json:"currency"`
	RefundedAmount int64       `json:"refunded_amount"`
	Method         string      `json:"method"`
	Subject        string      `json:"subject"`
	State          order.State `json:"state"`
	// Unresolved is true while the channel's answer is unknown and the gateway is querying:
	// do not treat the payment as failed, and do not pay again.
	Unresolved bool   `json:"unresolved"`
	Channel    string `json:"channel"`
	// ChannelOrderNo is the number the gateway sent to the channel (the channel's
	// out_trade_no): what the channel's own records and statements show.
	ChannelOrderNo string      `json:"channel_order_no"`
	ChannelTxnID   string      `json:"channel_txn_id,omitempty"`
	ExpiresAt      string      `json:"expires_at,omitempty"`
	PaidAt         string      `json:"paid_at,omitempty"`
	CreatedAt      string      `json:"created_at"`
	Alert          string      `json:"alert,omitempty"`
	Action         *ActionJSON `json:"action,omitempty"`
}

// ActionJSON tells the merchant what the payer must do next (pending payments only).
type ActionJSON struct {
	Kind        string            `json:"kind"`
	QRCode      string            `json:"qr_code,omitempty"`
	URL         string            `json:"url,omitempty"`
	HTML        string            `json:"html,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	OrderString string            `json:"order_string,omitempty"`
	TN          string            `json:"tn,omitempty"`
}

// QRCodeOrEmpty returns the QR code content, or "" for a nil action.
func (a *ActionJSON) QRCodeOrEmpty() string {
	if a == nil {
		return ""
	}
	return a.QRCode
}

// RefundJSON is a refund as the API shows it.
type RefundJSON struct {
	ID         string      `json:"id"`
	RefundNo   string      `json:"refund_no"`
	OrderNo    string      `json:"order_no"`
	Amount     int64       `json:"amount"`
	Currency   string      `json:"currency"`
	Reason     string      `json:"reason,omitempty"`
	State      order.State `json:"state"`
	Unresolved bool        `json:"unresolved"`
	CreatedAt  string      `json:"created_at"`
	Completed  string      `json:"completed_at,omitempty"`
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Beijing()).Format(time.RFC3339)
}

func paymentJSON(p *order.Payment, a *channel.PayAction) PaymentJSON {
	out := PaymentJSON{ID: p.ID, OrderNo: p.OrderNo, Amount: p.Amount.Minor(), Currency: string(p.Amount.Currency()),
		RefundedAmount: p.RefundedAmount.Minor(), Method: string(p.Method), Subject: p.Subject, State: p.State, Unresolved: p.Unresolved,
		Channel: p.Channel, ChannelOrderNo: p.ChannelOrderNo, ChannelTxnID: p.ChannelTxnID, ExpiresAt: ts(p.ExpiresAt), PaidAt: ts(p.PaidAt), CreatedAt: ts(p.CreatedAt), Alert: p.Alert}
	if a != nil && p.State == order.Pending {
		out.Action = &ActionJSON{Kind: string(a.Kind), QRCode: a.QRCode, URL: a.URL, HTML: a.HTML, Params: a.Params, OrderString: a.OrderString, TN: a.TN}
	}
	return out
}

func refundJSON(r *order.Refund, orderNo string) RefundJSON {
	return RefundJSON{ID: r.ID, RefundNo: r.RefundNo, OrderNo: orderNo, Amount: r.Amount.Minor(), Currency: string(r.Amount.Currency()),
		Reason: r.Reason, State: r.State, Unresolved: r.Unresolved, CreatedAt: ts(r.CreatedAt), Completed: ts(r.CompletedAt)}
}

// CreatePaymentRequest is the body of POST /v1/payments.
type CreatePaymentRequest struct {
	OrderNo  string `json:"order_no"`           // the merchant's order number, unique per merchant: 1–64 of A–Z a–z 0–9 _ -
	Amount   int64  `json:"amount"`             // minor units (fen), > 0
	Currency string `json:"currency,omitempty"` // default CNY
	Method   string `json:"method"`             // qr, app, jsapi, h5, web, barcode, token
	Subject  string `json:"subject"`            // shown to the payer, 1–128 characters
	// ExpiresIn is how many seconds an unpaid order stays open (default 2 hours, at most 7 days).
	ExpiresIn int64  `json:"expires_in,omitempty"`
	ClientIP  string `json:"client_ip,omitempty"`
	PayerID   string `json:"payer_id,omitempty"`  // channel payer id where the method needs it (WeChat openid for jsapi)
	AuthCode  string `json:"auth_code,omitempty"` // barcode payments
	Token     string `json:"token,omitempty"`     // token payments
	SMSCode   string `json:"sms_code,omitempty"`  // token payments confirmed by SMS
	ReturnURL string `json:"return_url,omitempty"`
	// DeviceID, CardBIN (first 6–8 digits) and CardFingerprint (the merchant's stable hash
	// of the card number) are optional inputs to routing and risk rules.
	DeviceID        string `json:"device_id,omitempty"`
	CardBIN         string `json:"card_bin,omitempty"`
	CardFingerprint string `json:"card_fingerprint,omitempty"`
}

var orderNoRule = channel.NumberRule{MaxLen: 64, Symbols: "_-"}

func (req *CreatePaymentRequest) validate() (money.Amount, *apiErr) {
	if err := orderNoRule.Check(req.OrderNo); err != nil {
		return money.Amount{}, badParam("order_no", "order_no %v", err)
	}
	cur := money.CNY
	if req.Currency != "" {
		cur = money.Currency(req.Currency)
		if !cur.Valid() {
			return money.Amount{}, badParam("currency", "currency %q is not an ISO 4217 code tongdao knows", req.Currency)
		}
	}
	if req.Amount <= 0 {
		return money.Amount{}, badParam("amount", "amount must be a positive integer in minor units (fen), got %d", req.Amount)
	}
	if !channel.Method(req.Method).Valid() {
		return money.Amount{}, badParam("method", "method %q is not one of qr, app, jsapi, h5, web, barcode, token", req.Method)
	}
	if n := len([]rune(req.Subject)); n == 0 || n > 128 {
		return money.Amount{}, badParam("subject", "subject must be 1–128 characters, got %d", n)
	}
	if req.ExpiresIn < 0 || req.ExpiresIn > 7*24*3600 {
		return money.Amount{}, badParam("expires_in", "expires_in must be 0–604800 seconds, got %d", req.ExpiresIn)
	}
	if channel.Method(req.Method) == channel.MethodBarcode && req.AuthCode == "" {
		return money.Amount{}, badParam("auth_code", "auth_code is required for barcode payments")
	}
	if channel.Method(req.Method) == channel.MethodToken && req.Token == "" {
		return money.Amount{}, badParam("token", "token is required for token payments")
	}
	if b := req.CardBIN; b != "" && (len(b) < 6 || len(b) > 8 || strings.Trim(b, "0123456789") != "") {
		return money.Amount{}, badParam("card_bin", "card_bin must be the card's first 6–8 digits, got %d characters", len(b))
	}
	if len(req.CardFingerprint) > 128 || len(req.DeviceID) > 128 {
		return money.Amount{}, badParam("card_fingerprint", "card_fingerprint and device_id are at most 128 characters")
	}
	return money.New(req.Amount, cur), nil
}

// CreateRefundRequest is the body of POST /v1/refunds.
type CreateRefundRequest struct {
	OrderNo  string `json:"order_no"`  // the payment's merchant order number
	RefundNo string `json:"refund_no"` // the merchant's refund number, unique per merchant; a retry uses the same
	Amount   int64  `json:"amount"`    // minor units, > 0; refunds never exceed the paid amount
	Reason   string `json:"reason,omitempty"`
}

func (g *Gateway) createPayment(ctx context.Context, m *Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req CreatePaymentRequest
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	p, action, created, err := g.Pay(ctx, m.ID, &req)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return status, paymentJSON(p, action), nil
}

func (g *Gateway) getPayment(ctx context.Context, m *Merchant, r *http.Request, _ []byte) (int, any, error) {
	p, err := g.store.PaymentByOrderNo(ctx, m.ID, mux.Vars(r)["order_no"])
	if errors.Is(err, order.ErrNotFound) {
		return 0, nil, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no payment with this order_no", Param: "order_no"}}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, paymentJSON(p, nil), nil
}

func (g *Gateway) closePayment(ctx context.Context, m *Merchant, r *http.Request, _ []byte) (int, any, error) {
	p, err := g.Close(ctx, m.ID, mux.Vars(r)["order_no"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, paymentJSON(p, nil), nil
}

func (g *Gateway) createRefund(ctx context.Context, m *Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req CreateRefundRequest
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	r, created, err := g.RefundPayment(ctx, m.ID, &req)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return status, refundJSON(r, req.OrderNo), nil
}

func (g *Gateway) getRefund(ctx context.Context, m *Merchant, r *http.Request, _ []byte) (int, any, error) {
	ref, err := g.store.RefundByNo(ctx, m.ID, mux.Vars(r)["refund_no"])
	if errors.Is(err, order.ErrNotFound) {
		return 0, nil, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no refund with this refund_no", Param: "refund_no"}}
	}
	if err != nil {
		return 0, nil, err
	}
	p, err := g.store.Payment(ctx, ref.PaymentID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, refundJSON(ref, p.OrderNo), nil
}

// RedeliverJSON answers POST /v1/events/{event_id}/redeliver.
type RedeliverJSON struct {
	EventID string `json:"event_id"`
	Type    string `json:"type"`
	// Redelivered is true: the webhook is due again now, with the same event id.
	Redelivered bool `json:"redelivered"`
}

func (g *Gateway) redeliverEvent(ctx context.Context, m *Merchant, r *http.Request, _ []byte) (int, any, error) {
	id := mux.Vars(r)["event_id"]
	ev, err := g.store.EventByID(ctx, id)
	if errors.Is(err, order.ErrNotFound) || (err == nil && ev.MerchantID != m.ID) {
		return 0, nil, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no event with this id", Param: "event_id"}}
	}
	if err != nil {
		return 0, nil, err
	}
	if err := g.store.Redeliver(ctx, "webhook", ev.Seq, g.clk.Now()); errors.Is(err, order.ErrNotFound) {
		return 0, nil, &apiErr{http.StatusConflict, APIError{Code: "not_redeliverable",
			Message: "the webhook of this event is still pending (it goes out by itself) or was never queued", Param: "event_id"}}
	} else if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, RedeliverJSON{EventID: ev.ID, Type: ev.Type, Redelivered: true}, nil
}
