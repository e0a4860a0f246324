package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/card"
)

// FuzzBindingAndPayoutBodies feeds arbitrary bodies to the decoding and validation of POST
// /v1/bindings, /v1/bindings/{bind_no}/confirm and /v1/payouts: nothing panics, what passes
// holds the rules (a Luhn-valid number, a real ID number, a positive amount), and no error
// message repeats the card number it was given.
func FuzzBindingAndPayoutBodies(f *testing.F) {
	f.Add([]byte(`{"bind_no":"B1","user_id":"u1","card":{"number":"6216261000000000018","holder_name":"全渠道","id_number":"341126197709218366","mobile":"13552535506"}}`))
	f.Add([]byte(`{"bind_no":"B1","user_id":"u1","card":{"number":"6216261000000000017","holder_name":"A","id_number":"1","mobile":"2","cvn2":"12"}}`))
	f.Add([]byte(`{"payout_no":"P1","amount":100,"card":{"number":"6216261000000000026","holder_name":"张三"},"purpose":"x"}`))
	f.Add([]byte(`{"payout_no":"P1","amount":-1,"currency":"XXX","card":{"number":"62162610000000000260000"},"purpose":""}`))
	f.Add([]byte(`{"sms_code":"111111","cvn2":"123","expiry":"9912"}`))
	f.Add([]byte(`{"sms_code":"1x"}`))
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		noLeak := func(err error, number string) {
			if err != nil && len(number) >= 12 && strings.Contains(err.Error(), number) {
				t.Fatalf("error repeats the card number: %v", err)
			}
		}
		var b CreateBindingRequest
		if err := decodeStrict(body, &b); err == nil {
			if aerr := b.validate(now); aerr != nil {
				noLeak(aerr, b.Card.Number)
			} else if card.CheckPAN(b.Card.Number) != nil || card.CheckIDNo(b.Card.IDNumber, now) != nil || card.CheckMobile(b.Card.Mobile) != nil {
				t.Fatalf("invalid binding request accepted: %s", body)
			}
		}
		var p CreatePayoutRequest
		if err := decodeStrict(body, &p); err == nil {
			amt, _, aerr := p.validate()
			if aerr != nil {
				noLeak(aerr, p.Card.Number)
			} else if !amt.IsPositive() || card.CheckPAN(p.Card.Number) != nil {
				t.Fatalf("invalid payout request accepted: %s", body)
			}
		}
		var c ConfirmBindingRequest
		if err := decodeStrict(body, &c); err == nil {
			if aerr := checkCredit(c.CVN2, c.Expiry, now, ""); aerr != nil {
				noLeak(aerr, c.CVN2)
			}
		}
	})
}
