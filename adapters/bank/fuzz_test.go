package bank

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
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

// FuzzParseNotification: any body either fails with InvalidRequest/Signature or decodes to
// exactly one result of its type; it never panics and never echoes a mobile in Raw.
func FuzzParseNotification(f *testing.F) {
	c, sign := fuzzClient(f)
	f.Add(sign(`{"amount":"100","bankSerial":"B1","orderNo":"P1","status":"SUCCESS"}`, "PAY_RESULT"))
	f.Add(sign(`{"amount":"100","bankSerial":"B1","payoutNo":"O1","status":"RETURNED"}`, "PAYOUT_RESULT"))
	f.Add(sign(`{"amount":"5","refundNo":"R1","orderNo":"P1","status":"SUCCESS"}`, "REFUND_RESULT"))
	f.Add([]byte(`{"mobile":"13552535506"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := c.ParseNotification(context.Background(), nil, body)
		if err != nil {
			k := channel.KindOf(err)
			if k != channel.KindInvalidRequest && k != channel.KindSignature {
				t.Fatalf("kind %v: %v", k, err)
			}
			return
		}
		set := 0
		for _, p := range []bool{n.Payment != nil, n.Refund != nil, n.Payout != nil} {
			if p {
				set++
			}
		}
		if set != 1 || n.EventID == "" || string(n.Ack.Body) != "OK" {
			t.Fatalf("decoded %+v", n)
		}
	})
}

// fuzzClient is a Client for the §12 golden keys and a signer of bank notifications.
func fuzzClient(f testing.TB) (*Client, func(data, tx string) []byte) {
	w := goldenWire(f)
	c := &Client{w: w, merchantID: "M0000001"}
	bank := privHex(f, gBankPriv)
	return c, func(data, tx string) []byte {
		fl := map[string]string{"version": "1.0", "merchantId": "M0000001", "txCode": tx, "reqSerial": "N1", "respTime": "20240101120000",
			"respCode": "0000", "respMsg": "success", "signType": "SM2", "certSerial": "90000000001", "data": data}
		sig, err := sign.SignSM2(bank, canonical(fl), sign.SM2SignOptions{UID: []byte(sign.DefaultSM2UID)})
		if err != nil {
			f.Fatal(err)
		}
		fl["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
		return encodeJSON(fl)
	}
}

func TestRedact_MasksCardMobileAndID(t *testing.T) {
	in := `{"cardNo":"6216261000000000018","mobile":"13552535506","idNo":"11010519491231002X","id2":"341126197709218366","respTime":"20240101120000","amount":"100"}`
	got := string(redact([]byte(in)))
	for _, s := range []string{"6216261000000000018", "13552535506", "11010519491231002X", "341126197709218366"} {
		if strings.Contains(got, s) {
			t.Errorf("redact kept %s: %s", s, got)
		}
	}
	for _, s := range []string{"621626*********0018", "135****5506", "20240101120000", `"amount":"100"`} {
		if !strings.Contains(got, s) {
			t.Errorf("redact lost %s: %s", s, got)
		}
	}
}
