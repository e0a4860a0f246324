package gateway

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request headers of the merchant API.
const (
	HeaderMerchant    = "Tongdao-Merchant"  // the merchant id
	HeaderTimestamp   = "Tongdao-Timestamp" // Unix seconds
	HeaderNonce       = "Tongdao-Nonce"     // 8–64 characters of A–Z a–z 0–9 _ -, never reused
	HeaderSignature   = "Tongdao-Signature" // "<algorithm> <signature>"
	HeaderIdempotency = "Idempotency-Key"
)

// Signature algorithms of the Tongdao-Signature header.
const (
	AlgHMAC = "HMAC-SHA256" // hex of HMAC-SHA256(secret, string to sign)
	AlgRSA2 = "RSA2"        // base64 of SHA256withRSA (PKCS #1 v1.5)
	AlgSM2  = "SM2"         // base64 of the DER SM2 signature with SM3 and the default user id
)

// StringToSign returns what a merchant signs: the method, the request URI (path and query
// exactly as sent), the timestamp, the nonce and the body, joined by "\n".
func StringToSign(method, requestURI, timestamp, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(requestURI)+len(timestamp)+len(nonce)+len(body)+4)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, requestURI...)
	b = append(b, '\n')
	b = append(b, timestamp...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	return append(b, body...)
}

// SignHMAC returns the Tongdao-Signature value of an HMAC-SHA256-signed request; merchants
// and tests use it.
func SignHMAC(secret string, toSign []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(toSign)
	return AlgHMAC + " " + hex.EncodeToString(m.Sum(nil))
}

// authError is a refused request's reason (401), never naming which part of a secret was
// wrong.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

func validNonce(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// verify checks a request's signature headers against the merchant's keys and its
// timestamp against now; the nonce's freshness is checked by the caller (stored).
func (m *Merchant) verify(r *http.Request, body []byte, now time.Time, skew time.Duration) (nonce string, err error) {
	ts, nonce, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature)
	secs, perr := strconv.ParseInt(ts, 10, 64)
	if perr != nil {
		return "", &authError{HeaderTimestamp + " must be Unix seconds"}
	}
	if d := now.Sub(time.Unix(secs, 0)); math.Abs(float64(d)) > float64(skew) {
		return "", &authError{fmt.Sprintf("%s is %s from the gateway's clock; at most %s is accepted", HeaderTimestamp, d.Round(time.Second), skew)}
	}
	if !validNonce(nonce) {
		return "", &authError{HeaderNonce + " must be 8–64 characters of A–Z a–z 0–9 _ -"}
	}
	alg, value, ok := strings.Cut(sig, " ")
	if !ok || value == "" {
		return "", &authError{HeaderSignature + ` must be "<algorithm> <signature>"`}
	}
	msg := StringToSign(r.Method, r.URL.RequestURI(), ts, nonce, body)
	switch alg {
	case AlgHMAC:
		if m.HMACSecret == "" {
			return "", &authError{"merchant has no HMAC-SHA256 key"}
		}
		want := SignHMAC(m.HMACSecret, msg)
		if !hmac.Equal([]byte(want), []byte(sig)) {
			return "", &authError{"signature does not verify"}
		}
	case AlgRSA2:
		if m.rsaKey == nil {
			return "", &authError{"merchant has no RSA2 key"}
		}
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", &authError{"RSA2 signature is not base64"}
		}
		h := sha256.Sum256(msg)
		if rsa.VerifyPKCS1v15(m.rsaKey, crypto.SHA256, h[:], raw) != nil {
			return "", &authError{"signature does not verify"}
		}
	case AlgSM2:
		if m.sm2Key == nil {
			return "", &authError{"merchant has no SM2 key"}
		}
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", &authError{"SM2 signature is not base64"}
		}
		if !verifySM2(m, msg, raw) {
			return "", &authError{"signature does not verify"}
		}
	default:
		return "", &authError{fmt.Sprintf("unknown signature algorithm %q (want %s, %s or %s)", alg, AlgHMAC, AlgRSA2, AlgSM2)}
	}
	return nonce, nil
}

// verifySM2 verifies without letting a malformed signature panic inside the library.
func verifySM2(m *Merchant, msg, sig []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return m.sm2Key.Verify(msg, sig)
}

// limiter is a token bucket per merchant.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes a token for merchant m at now, or reports how long until one is available.
func (l *limiter) allow(m *Merchant, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[m.ID]
	if b == nil {
		b = &bucket{tokens: float64(m.Burst), last: now}
		l.buckets[m.ID] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(float64(m.Burst), b.tokens+el.Seconds()*m.RatePerSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / m.RatePerSecond * float64(time.Second))
	return false, wait
}
