package wechat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
)

func fuzzClient(tb testing.TB) *Client {
	c, err := New(Config{AppID: demoAppID, MchID: demoMchID, Key: demoKey, BaseURL: testBase})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// FuzzReadResponse feeds arbitrary bodies to the response layer: it must never panic,
// and anything it accepts carries return_code SUCCESS and a sign that verifies.
func FuzzReadResponse(f *testing.F) {
	for _, name := range []string{"unifiedorder_native.xml", "orderquery_success.xml", "micropay_userpaying.xml",
		"return_fail_sign.xml", "bad_signature.xml", "refundquery_success.xml"} {
		f.Add([]byte(golden(f, name)))
	}
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		cl := call{op: "query", retry: true}
		resp, err := c.readResponse(cl, body, demoKey)
		if err != nil {
			var ce *channel.Error
			if !errors.As(err, &ce) {
				t.Fatalf("not a *channel.Error: %v", err)
			}
			return
		}
		if lookup(resp, "return_code") != "SUCCESS" || lookup(resp, "sign") == "" {
			t.Fatalf("accepted an unsigned or failed response: %q", body)
		}
		_ = c.bizError(cl, resp)
		_, _ = paymentFields(cl, resp)
	})
}

// FuzzParseNotification: never panics; an accepted notification has exactly one result,
// non-negative amounts, and the exact acknowledgement.
func FuzzParseNotification(f *testing.F) {
	for _, name := range []string{"notify_payment.xml", "notify_payment_hmac.xml", "notify_refund.xml"} {
		f.Add([]byte(golden(f, name)))
	}
	f.Add([]byte("<xml><return_code>SUCCESS</return_code><mch_id>10000100</mch_id><req_info>AAAA</req_info></xml>"))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := c.ParseNotification(context.Background(), nil, body)
		if err != nil {
			if k := channel.KindOf(err); k != channel.KindSignature && k != channel.KindInvalidRequest {
				t.Fatalf("kind %v for a bad notification", k)
			}
			return
		}
		if string(n.Ack.Body) != AckBody {
			t.Fatalf("ack %q", n.Ack.Body)
		}
		switch n.Type {
		case channel.NotifyPayment:
			if n.Payment == nil || n.Refund != nil || !n.Payment.Amount.IsPositive() || n.Payment.OrderNo == "" {
				t.Fatalf("payment %+v", n.Payment)
			}
		case channel.NotifyRefund:
			if n.Refund == nil || n.Payment != nil || n.Refund.Amount.IsNegative() {
				t.Fatalf("refund %+v", n.Refund)
			}
		default:
			t.Fatalf("type %q", n.Type)
		}
	})
}

// FuzzBillReader: never panics, always ends (io.EOF or an error that sticks), and every
// record it yields is a known type with a non-negative amount.
func FuzzBillReader(f *testing.F) {
	for _, name := range []string{"bill_all.txt", "bill_legacy.txt", "bill_refund.txt"} {
		f.Add([]byte(golden(f, name)))
	}
	f.Add([]byte("交易时间,微信订单号,商户订单号,交易状态,总金额\n`2021-01-01 00:00:00,`1,`2,`SUCCESS,`1.00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewBillReader(bytes.NewReader(data), billDate, 4096)
		defer r.Close()
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatalf("more records than bytes")
			}
			var rec channel.StatementRecord
			err := r.Next(&rec)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if again := r.Next(&rec); again != err {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				return
			}
			switch rec.Type {
			case channel.RecordPayment, channel.RecordRefund, channel.RecordReversal, channel.RecordOther:
			default:
				t.Fatalf("record type %q", rec.Type)
			}
			if rec.Line < 2 || rec.SettlementDate != billDate || rec.Channel != "wechat" || rec.Amount.IsNegative() {
				t.Fatalf("record %+v", rec)
			}
		}
	})
}
