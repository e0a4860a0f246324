package money

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestJSON_RoundTrip(t *testing.T) {
	for _, a := range []Amount{Fen(100), Fen(-350), New(5, JPY), Fen(math.MaxInt64), Fen(math.MinInt64), {}} {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back Amount
		if err := json.Unmarshal(b, &back); err != nil || back != a {
			t.Fatalf("%s → %v, %v; want %v", b, back, err, a)
		}
	}
	b, _ := json.Marshal(Fen(100))
	if string(b) != `{"minor":100,"currency":"CNY"}` {
		t.Fatalf("Marshal = %s", b)
	}
}

func TestJSON_UnmarshalRejects(t *testing.T) {
	for _, in := range []string{
		`{"minor":100}`,
		`{"currency":"CNY"}`,
		`{"minor":1.5,"currency":"CNY"}`,
		`{"minor":1e2,"currency":"CNY"}`,
		`{"minor":"100","currency":"CNY"}`,
		`{"minor":9223372036854775808,"currency":"CNY"}`,
		`{"minor":100,"currency":"XXX"}`,
		`{"minor":100,"currency":"cny"}`,
		`{"minor":100,"currency":""}`,
		`{"minor":100,"currency":"CNY","extra":1}`,
		`"1.00"`,
		`100`,
	} {
		a := Fen(7)
		if err := json.Unmarshal([]byte(in), &a); err == nil || a != Fen(7) {
			t.Errorf("Unmarshal(%s) = %v, %v; want error and no change", in, a, err)
		}
	}
	var a Amount
	if err := json.Unmarshal([]byte(`{"minor":100,"currency":"XXX"}`), &a); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("unknown currency err = %v", err)
	}
	if err := a.UnmarshalJSON([]byte(`{"minor":1,"currency":"CNY"} {}`)); !errors.Is(err, ErrSyntax) {
		t.Errorf("trailing data err = %v", err)
	}
	a = Fen(7)
	if err := json.Unmarshal([]byte(`null`), &a); err != nil || a != Fen(7) {
		t.Errorf("null: %v, %v", a, err)
	}
}

func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"minor":100,"currency":"CNY"}`))
	f.Add([]byte(`{"minor":0,"currency":""}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Amount
		if err := a.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back Amount
		if err := json.Unmarshal(out, &back); err != nil || back != a {
			t.Fatalf("%s → %v → %s → %v, %v", b, a, out, back, err)
		}
	})
}
