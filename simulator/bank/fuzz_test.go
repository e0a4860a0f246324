package bank

import (
	"encoding/json"
	"testing"
)

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"version":"1.0","merchantId":"M1","data":"{\"a\":\"b\"}","sign":"x"}`))
	f.Add([]byte(`{"version":1,"version":"1.0"}`))
	f.Add([]byte(`{"a":{"b":["c"]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := decodeEnvelope(body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if e.bad == "" {
			for k := range e.fields {
				if !requestFields[k] {
					t.Fatalf("unknown member %q not flagged", k)
				}
			}
		}
		_ = canonical(e.fields)
		_ = businessNo(e.get("data"))
	})
}

func FuzzDecodeData(f *testing.F) {
	f.Add(`{"orderNo":"P1","amount":"100"}`)
	f.Add(`{"bindings":[]}`)
	f.Add(`{"a":"1","a":"2"}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, s string) {
		d, _, err := decodeData(s)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to an object of the same strings.
		var back map[string]string
		if err := json.Unmarshal(encodeJSON(d), &back); err != nil || len(back) != len(d) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
		_ = fingerprint("PAY", d)
	})
}
