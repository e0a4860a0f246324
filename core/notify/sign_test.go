package notify_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/notify"
)

func TestVerifyWebhook(t *testing.T) {
	const secret = "whsec_test"
	signedAt := time.Unix(1765000000, 0)
	body := []byte(`{"id":"evt_1","type":"payment.succeeded","created":"2025-12-06T13:46:40+08:00","data":{"amount":100}}`)
	good := notify.SignatureHeader(secret, signedAt, body)
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	tests := []struct {
		name    string
		secret  string
		header  string
		body    []byte
		now     time.Time
		tol     time.Duration
		wantErr error // nil = verifies
	}{
		{"valid", secret, good, body, signedAt, 0, nil},
		{"valid at the edge of the tolerance", secret, good, body, signedAt.Add(5 * time.Minute), 0, nil},
		{"tampered body", secret, good, []byte(`{"id":"evt_1","type":"payment.succeeded","created":"2025-12-06T13:46:40+08:00","data":{"amount":999}}`), signedAt, 0, notify.ErrBadSignature},
		{"wrong secret", "whsec_other", good, body, signedAt, 0, notify.ErrBadSignature},
		{"too old (replay)", secret, good, body, signedAt.Add(5*time.Minute + time.Second), 0, notify.ErrTimestamp},
		{"from the future", secret, good, body, signedAt.Add(-2 * time.Minute), time.Minute, notify.ErrTimestamp},
		{"timestamp changed", secret, "t=" + strconv.FormatInt(signedAt.Unix()+1, 10) + good[len("t="+ts):], body, signedAt, 0, notify.ErrBadSignature},
		{"no header", secret, "", body, signedAt, 0, notify.ErrNoSignature},
		{"no v1", secret, "t=" + ts, body, signedAt, 0, notify.ErrNoSignature},
		{"no t", secret, "v1=" + notify.Sign(secret, signedAt, body), body, signedAt, 0, notify.ErrNoSignature},
		{"garbage", secret, "hello", body, signedAt, 0, notify.ErrNoSignature},
		{"bad t", secret, "t=abc,v1=00", body, signedAt, 0, notify.ErrNoSignature},
		{"second v1 matches (secret rotation)", secret, "t=" + ts + ",v1=00ff,v1=" + notify.Sign(secret, signedAt, body), body, signedAt, 0, nil},
		{"unknown scheme ignored", secret, "t=" + ts + ",v0=abc,v1=" + notify.Sign(secret, signedAt, body), body, signedAt, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set(notify.HeaderSignature, tc.header)
			}
			err := notify.VerifyWebhook(tc.secret, h, tc.body, tc.now, tc.tol)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("want it to verify, got %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("want %v, got %v", tc.wantErr, err)
			}
		})
	}
	if err := notify.VerifyWebhook("", http.Header{notify.HeaderSignature: {good}}, body, signedAt, 0); err == nil {
		t.Error("empty secret accepted")
	}
}

// TestSign_KnownVector pins the signature against an independent computation:
// printf '%s' '1765000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
func TestSign_KnownVector(t *testing.T) {
	got := notify.Sign("whsec_test", time.Unix(1765000000, 0), []byte(`{"id":"evt_1"}`))
	const want = "329f356c8ed76e54282ecc8dd4993cf891798955fb3b8a684de493ff4e1026b0"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if h := notify.SignatureHeader("whsec_test", time.Unix(1765000000, 0), []byte(`{"id":"evt_1"}`)); h != "t=1765000000,v1="+want {
		t.Fatalf("SignatureHeader = %s", h)
	}
}

// ExampleVerifyWebhook shows a merchant's handler: verify the raw body, then de-duplicate by
// the event id before acting on it.
func ExampleVerifyWebhook() {
	secret := "whsec_test"
	body := []byte(`{"id":"evt_1","type":"payment.succeeded","created":"2025-12-06T13:46:40+08:00","data":{}}`)
	sentAt := time.Unix(1765000000, 0)
	h := http.Header{}
	h.Set(notify.HeaderSignature, notify.SignatureHeader(secret, sentAt, body))

	// In an http.Handler: body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)); h := r.Header
	err := notify.VerifyWebhook(secret, h, body, sentAt.Add(30*time.Second), 5*time.Minute)
	fmt.Println("genuine:", err == nil)
	err = notify.VerifyWebhook(secret, h, []byte(`{"id":"evt_1","type":"payment.succeeded"}`), sentAt, 5*time.Minute)
	fmt.Println("tampered:", errors.Is(err, notify.ErrBadSignature))
	// Output:
	// genuine: true
	// tampered: true
}
