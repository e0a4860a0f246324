package balance

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// tokenPrefix starts every token: the format's version, so a later format is told apart.
const tokenPrefix = "bt1."

// maxTokenLen bounds what the parser reads; a real token is about 200 bytes.
const maxTokenLen = 1024

// Token errors. Their texts are what a refused client is told; they name no secret.
var (
	ErrTokenMalformed = errors.New("balance: token malformed")
	ErrTokenSignature = errors.New("balance: token signature does not verify")
	ErrTokenExpired   = errors.New("balance: token expired")
)

// Claims are what a token grants: user User may read account Account until Expires.
type Claims struct {
	User     string    `json:"u"`
	Account  string    `json:"a"`
	Merchant string    `json:"m"` // who issued it
	Expires  time.Time `json:"-"`
	Exp      int64     `json:"e"` // Expires in Unix milliseconds (wire form)
	Nonce    string    `json:"n"` // random, so two tokens with the same claims differ
}

// tokens signs and checks tokens with one HMAC-SHA256 key.
type tokens struct{ key []byte }

// sign returns the token for c: "bt1." + base64url(JSON claims) + "." + base64url(HMAC).
func (t tokens) sign(c Claims) (string, error) {
	var n [12]byte
	if _, err := rand.Read(n[:]); err != nil {
		return "", err
	}
	c.Nonce = base64.RawURLEncoding.EncodeToString(n[:])
	c.Exp = c.Expires.UnixMilli()
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	body := tokenPrefix + base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(t.mac(body)), nil
}

func (t tokens) mac(body string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// parse checks s's signature and returns its claims; it does not check expiry (see check),
// so a refusal for an expired token can still name the user.
func (t tokens) parse(s string) (Claims, error) {
	if len(s) > maxTokenLen || !strings.HasPrefix(s, tokenPrefix) {
		return Claims{}, ErrTokenMalformed
	}
	body, sig, ok := strings.Cut(s[len(tokenPrefix):], ".")
	if !ok || body == "" || sig == "" {
		return Claims{}, ErrTokenMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrTokenMalformed
	}
	if !hmac.Equal(raw, t.mac(tokenPrefix+body)) {
		return Claims{}, ErrTokenSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Claims{}, ErrTokenMalformed
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.User == "" || c.Account == "" || c.Exp <= 0 {
		return Claims{}, ErrTokenMalformed
	}
	c.Expires = time.UnixMilli(c.Exp).UTC()
	return c, nil
}

// check is parse plus expiry at now.
func (t tokens) check(s string, now time.Time) (Claims, error) {
	c, err := t.parse(s)
	if err != nil {
		return c, err
	}
	if !now.Before(c.Expires) {
		return c, fmt.Errorf("%w at %s", ErrTokenExpired, c.Expires.Format(time.RFC3339))
	}
	return c, nil
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header value, or "".
func bearer(h string) string {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
