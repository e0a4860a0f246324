package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of a webhook request.
const (
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" (Stripe's scheme).
	HeaderSignature = "Tongdao-Signature"
	// HeaderEventID carries the event id (evt_…): the same on every retry and redelivery, so a
	// merchant de-duplicates by it.
	HeaderEventID = "Tongdao-Event-Id"
	// HeaderEventType carries the event type ("payment.succeeded", …).
	HeaderEventType = "Tongdao-Event-Type"
)

// DefaultTolerance is the timestamp tolerance VerifyWebhook uses when given zero.
const DefaultTolerance = 5 * time.Minute

// Errors of VerifyWebhook; match with errors.Is.
var (
	// ErrNoSignature: the Tongdao-Signature header is missing or has no t= or v1= part.
	ErrNoSignature = errors.New("notify: webhook signature header missing or malformed")
	// ErrBadSignature: no v1 signature matches the body under the secret.
	ErrBadSignature = errors.New("notify: webhook signature does not match")
	// ErrTimestamp: the signed timestamp is outside the tolerance (a replay, or a clock far off).
	ErrTimestamp = errors.New("notify: webhook timestamp outside the tolerance")
)

// Sign returns the HMAC-SHA256, hex-encoded, of "<unix seconds>.<body>" under secret: the v1
// value of the Tongdao-Signature header.
func Sign(secret string, t time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignatureHeader returns the Tongdao-Signature value for body signed at t.
func SignatureHeader(secret string, t time.Time, body []byte) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + Sign(secret, t, body)
}

// VerifyWebhook checks a webhook the way a merchant should before trusting it: the
// Tongdao-Signature header of h must carry a timestamp within tolerance of now (zero means
// DefaultTolerance) and a v1 signature equal, compared in constant time, to HMAC-SHA256 of
// "<timestamp>.<body>" under secret. body must be the raw request body, unparsed. Several v1
// values are allowed (any may match). It returns nil, or an error matching ErrNoSignature,
// ErrBadSignature or ErrTimestamp.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("notify: verify webhook: empty secret")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parseSignature(h.Get(HeaderSignature))
	if err != nil {
		return err
	}
	signedAt := time.Unix(ts, 0)
	if d := now.Sub(signedAt); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, now %s, tolerance %s", ErrTimestamp, signedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), tolerance)
	}
	want := []byte(Sign(secret, signedAt, body))
	ok := false
	for _, s := range sigs {
		// Every candidate is compared so the time taken says nothing about which matched.
		if hmac.Equal(want, []byte(strings.ToLower(s))) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// parseSignature reads "t=…,v1=…[,v1=…]"; unknown schemes (v0=, v2=) are ignored.
func parseSignature(v string) (int64, []string, error) {
	if v == "" {
		return 0, nil, fmt.Errorf("%w: no %s header", ErrNoSignature, HeaderSignature)
	}
	var ts int64 = -1
	var sigs []string
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, fmt.Errorf("%w: part %q is not key=value", ErrNoSignature, part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				return 0, nil, fmt.Errorf("%w: t=%q is not a positive unix time", ErrNoSignature, val)
			}
			ts = n
		case "v1":
			sigs = append(sigs, val)
		}
	}
	if ts < 0 {
		return 0, nil, fmt.Errorf("%w: no t= part", ErrNoSignature)
	}
	if len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%w: no v1= part", ErrNoSignature)
	}
	return ts, sigs, nil
}
