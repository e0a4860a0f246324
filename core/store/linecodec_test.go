package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

func TestLines_RoundTripAndForm(t *testing.T) {
	ls := []ledger.Line{
		{Account: 12, Side: ledger.Debit, Effect: ledger.EffectPost, Amount: money.Fen(1000)},
		{Account: 7, Side: ledger.Credit, Effect: ledger.EffectHold, Amount: money.New(-5, money.Currency("USD"))},
		{Account: 9223372036854775807, Side: ledger.Credit, Effect: ledger.EffectUnhold, Amount: money.Fen(-9223372036854775808)},
	}
	b, err := appendLines(nil, ls)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[[12,"D",0,1000,"CNY"],[7,"C",1,-5,"USD"],[9223372036854775807,"C",2,-9223372036854775808,"CNY"]]`
	if string(b) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", b, want)
	}
	got, err := parseLines(b, nil, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ls) {
		t.Fatalf("got %d lines", len(got))
	}
	for i := range ls {
		if got[i] != ls[i] {
			t.Errorf("line %d: got %+v want %+v", i, got[i], ls[i])
		}
	}
	// What a database's JSON functions may print (spaces) reads the same.
	spaced := `[ [12, "D", 0, 1000, "CNY"] ,[7,"C",1,-5,"USD"],	[9223372036854775807,"C",2,-9223372036854775808,"CNY"]
	]`
	again, err := parseLines([]byte(spaced), nil, nil)
	if err != nil || len(again) != 3 || again[0] != ls[0] {
		t.Fatalf("spaced: %v %+v", err, again)
	}
	if b, err := appendLines(nil, nil); err != nil || string(b) != "[]" {
		t.Fatalf("no lines: %q %v", b, err)
	}
}

func TestLines_RefusesWhatItCannotStoreOrRead(t *testing.T) {
	for _, side := range []ledger.Side{`"`, `\`, "\n", "é", "X", "d", ""} {
		if _, err := appendLines(nil, []ledger.Line{{Account: 1, Side: side, Amount: money.Fen(1)}}); err == nil {
			t.Errorf("side %q encoded", side)
		}
	}
	if _, err := appendLines(nil, []ledger.Line{{Account: 1, Side: ledger.Debit, Effect: 3, Amount: money.Fen(1)}}); err == nil {
		t.Error("effect 3 encoded")
	}
	for _, cur := range []money.Currency{`"`, "é"} {
		if _, err := appendLines(nil, []ledger.Line{{Account: 1, Side: ledger.Debit, Amount: money.New(1, cur)}}); err == nil {
			t.Errorf("currency %q encoded", cur)
		}
	}
	for _, s := range []string{
		``, `[`, `[[`, `[]x`, `{}`, `[[1,"D",0,1,"CNY"]`, `[[1,"D",0,1,"CNY"],]`, `[[1,"D",0,1]]`,
		`[[1,"D",0,1,"CNY",2]]`, `[[1.5,"D",0,1,"CNY"]]`, `[[1,"D",0,1e3,"CNY"]]`, `[[01,"D",0,1,"CNY"]]`,
		`[[1,"D",256,1,"CNY"]]`, `[[1,"D",-1,1,"CNY"]]`, `[[1,"D",3,1,"CNY"]]`, `[[1,"X",0,1,"CNY"]]`, `[[1,"",0,1,"CNY"]]`, `[[1,"D\"",0,1,"CNY"]]`, `[[1,D,0,1,"CNY"]]`,
		`[[1,"D",0,99999999999999999999,"CNY"]]`, `[[-,"D",0,1,"CNY"]]`, `[[1,"D",0,1,"CNY]]`,
	} {
		if ls, err := parseLines([]byte(s), nil, nil); err == nil {
			t.Errorf("%q parsed as %+v", s, ls)
		}
	}
}

// FuzzParseLines: the stored lines are outside input (anyone with database access can write
// them). The parser must never panic, and whatever it accepts must be what encoding/json
// reads from the same text and must encode back to an equivalent text.
func FuzzParseLines(f *testing.F) {
	f.Add(`[[12,"D",0,1000,"CNY"],[7,"C",0,1000,"CNY"]]`)
	f.Add(`[ [1, "C", 2, -5, "USD"] ]`)
	f.Add(`[]`)
	f.Add(`[[1,"D",0,1,"CNY"],]`)
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := parseLines([]byte(s), nil, map[string]string{})
		if err != nil {
			return
		}
		var raw [][]json.RawMessage
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			t.Fatalf("parsed %q but encoding/json refuses it: %v", s, err)
		}
		if len(raw) != len(ls) {
			t.Fatalf("%q: %d lines, encoding/json sees %d", s, len(ls), len(raw))
		}
		b, err := appendLines(nil, ls)
		if err != nil {
			if strings.ContainsAny(s, "\x7f") || strings.ContainsFunc(s, func(r rune) bool { return r > 0x7e }) {
				return // non-ASCII sides or currencies are read but never written
			}
			t.Fatalf("%q parsed but does not encode: %v", s, err)
		}
		again, err := parseLines(b, nil, nil)
		if err != nil || len(again) != len(ls) {
			t.Fatalf("re-encoded %q does not parse: %v", b, err)
		}
		for i := range ls {
			if again[i] != ls[i] {
				t.Fatalf("line %d changed: %+v -> %+v", i, ls[i], again[i])
			}
		}
	})
}
