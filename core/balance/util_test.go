package balance_test

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"
)

func itoa(n int) string { return strconv.Itoa(n) }

// reencode changes the account of a token's base64url claims.
func reencode(t *testing.T, b64, account string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["a"] = account
	out, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(out)
}
