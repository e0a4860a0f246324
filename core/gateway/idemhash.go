package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/tongdao/tongdao/core/card"
)

// requestHash is the hash an Idempotency-Key record keeps of its request: SHA-256 of the
// method, the path and the body. A body that carries card data (POST /v1/bindings,
// /v1/bindings/{bind_no}/confirm, /v1/payouts) is hashed with each card field replaced by
// its keyed fingerprint (Config.Keyring), re-encoded with sorted keys: a plain hash of it
// would let whoever reads the table recover a card number (only 6 to 9 digits are unknown
// once the masked form is known) or a CVN2 by trying them all.
func (g *Gateway) requestHash(method, path string, body []byte) string {
	if g.cfg.Keyring != nil && carriesCard(path) {
		body = fingerprintCard(g.cfg.Keyring, body)
	}
	sum := sha256.Sum256(append([]byte(method+" "+path+"\n"), body...))
	return hex.EncodeToString(sum[:])
}

func carriesCard(path string) bool {
	return path == "/v1/bindings" || path == "/v1/payouts" ||
		(strings.HasPrefix(path, "/v1/bindings/") && strings.HasSuffix(path, "/confirm"))
}

// fingerprintCard returns body with the card fields fingerprinted, or body unchanged when it
// is not a JSON object (the request is refused as invalid anyway).
func fingerprintCard(kr *card.Keyring, body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	fields := []struct {
		key   string
		field card.Field
	}{{"number", card.FieldPAN}, {"mobile", card.FieldPhone}, {"id_number", card.FieldIDNo}, {"cvn2", card.FieldPhone}, {"expiry", card.FieldPhone}}
	scrub := func(obj map[string]any) {
		for _, f := range fields {
			if v, ok := obj[f.key].(string); ok {
				obj[f.key] = "fp:" + kr.Fingerprint(f.field, f.key+":"+v).String()
			}
		}
	}
	if c, ok := m["card"].(map[string]any); ok {
		scrub(c)
	}
	scrub(m) // the confirm body's cvn2 and expiry
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
