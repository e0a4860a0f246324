package bank

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func FuzzOpenAnswer(f *testing.F) {
	f.Add(g2Answer("MEUCIACqT9jC5jYnHr66m9OM02u0ECyFIHMw7q8ZqZ+uiYGRAiEAjzQncKiUeNgpJj4dLQARVsM8vBFXLaXTr6aBJ7uG56g="))
	f.Add([]byte(`{"respCode":"0000","respCode":"0001"}`))
	f.Add([]byte(`{"data":"{\"a\":[1,{}]}","sign":"AA=="}`))
	f.Add([]byte(`<html>`))
	w := goldenWire(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := w.open(body, g2Request)
		if err != nil {
			if !errors.Is(err, errUnverified) {
				t.Fatalf("error outside errUnverified: %v", err)
			}
			return
		}
		// Only a genuinely signed answer gets through: the G2 golden.
		if r.Fields["sign"] == "" || r.Code != "0000" {
			t.Fatalf("accepted %q", body)
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	golden, _ := os.ReadFile("testdata/statement_20240603.txt")
	f.Add(golden)
	f.Add([]byte("H|BDC|1.0|M1|20240603|20240604060000\nT|0|0|0|0|0|0|0|0|0|0\n"))
	f.Add([]byte("H|BDC|1.0|M1|20240603|20240604060000\nD|1|PAY|B|P||20240603000000|20240603000000|20240603|1|0|1|SUCCESS||DC|\nT|1|1|1|0|0|0|0|0|0|0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := parseStatement(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, errStatement) {
				t.Fatalf("error outside errStatement: %v", err)
			}
			return
		}
		var sum int64
		for i, r := range st.Records {
			if r.Seq != i+1 || r.Net.Minor() != r.Amount.Minor()-r.Fee.Minor() || !maskedCard(r.CardNoMasked) {
				t.Fatalf("record %d inconsistent: %+v", i, r)
			}
			sum += r.Fee.Minor()
		}
		if st.Totals.Records != len(st.Records) || st.Totals.FeeTotal.Minor() != sum {
			t.Fatal("totals not checked")
		}
	})
}
