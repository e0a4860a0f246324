package store

import (
	"reflect"
	"testing"

	"github.com/tongdao/tongdao/core/ledger"
)

// FuzzParseChange: a stored change body that parses encodes back to a body that parses to
// the same change, and nothing panics; the chain hash then covers exactly what was read.
func FuzzParseChange(f *testing.F) {
	f.Add("chart", `{"code":"1122","parent":"","name":"receivables","type":"asset","normal":"D"}`)
	f.Add("account", `{"id":1,"code":"1122","owner_kind":"channel","owner_id":"wechat","currency":"CNY","name":"wx","flags":1,"age_limit_s":172800}`)
	f.Add("account", `{"id":1,"extra":2}`)
	f.Add("entry", `{}`)
	f.Fuzz(func(t *testing.T, subject, body string) {
		var c ledger.Change
		if err := parseChange(&c, subject, []byte(body)); err != nil {
			return
		}
		subj, b, err := changeBody(&c)
		if err != nil {
			t.Fatalf("%s %q parsed but does not encode: %v", subject, body, err)
		}
		var again ledger.Change
		if err := parseChange(&again, subj, b); err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("%s %q: round trip %+v (%v), want %+v", subject, body, again, err, c)
		}
	})
}
