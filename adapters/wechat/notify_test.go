package wechat

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestParseNotification_PaymentMD5AndInferredHMAC(t *testing.T) {
	for _, file := range []string{"notify_payment.xml", "notify_payment_hmac.xml"} {
		t.Run(file, func(t *testing.T) {
			e := newEnv(t, nil) // configured MD5: the HMAC one is recognised by its 64-char sign (§3.2)
			n, err := e.c.ParseNotification(context.Background(), nil, []byte(golden(t, file)))
			if err != nil {
				t.Fatal(err)
			}
			p := n.Payment
			paid := time.Date(2014, 9, 3, 13, 15, 40, 0, clock.Beijing())
			if n.Type != channel.NotifyPayment || n.Channel != "wechat" || p == nil || p.Status != channel.StatusSucceeded ||
				p.OrderNo != "1409811653" || p.ChannelTxnID != "1004400740201409030005092168" || p.Amount != money.Fen(1) ||
				!p.PaidAt.Equal(paid) || p.PayerID != "oUpF8uMEb4qRXf22hE3X68TekukE" || p.Attach != "支付测试" {
				t.Fatalf("notification = %+v payment %+v", n, p)
			}
			if string(n.Ack.Body) != `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>` ||
				n.Ack.StatusCode != 200 || n.Ack.ContentType != "text/xml; charset=utf-8" {
				t.Fatalf("ack = %+v", n.Ack)
			}
			if !strings.Contains(string(n.Nack.Body), "<![CDATA[FAIL]]>") {
				t.Fatalf("nack = %s", n.Nack.Body)
			}
		})
	}
}

func TestParseNotification_RejectsForgeries(t *testing.T) {
	md5 := golden(t, "notify_payment.xml")
	withField := func(f, v string) string {
		return strings.Replace(md5, "</xml>", "<"+f+"><![CDATA["+v+"]]></"+f+">\n</xml>", 1)
	}
	tests := []struct {
		name string
		body string
		kind channel.Kind
	}{
		{"amount altered", strings.Replace(md5, "<total_fee>1</total_fee>", "<total_fee>100000</total_fee>", 1), channel.KindSignature},
		{"sign removed", md5[:strings.Index(md5, "<sign>")] + "</xml>", channel.KindSignature},
		{"field added", withField("evil", "1"), channel.KindSignature},
		{"sign_type contradicts the sign", withField("sign_type", "HMAC-SHA256"), channel.KindSignature},
		{"unknown sign_type", withField("sign_type", "SHA1"), channel.KindSignature},
		{"wrong-length sign", strings.Replace(md5, "<![CDATA[", "<![CDATA[AB", 1), channel.KindSignature},
		{"signed with another key", signedWith(t, "00000000000000000000000000000000"), channel.KindSignature},
		{"not xml", "return_code=SUCCESS", channel.KindInvalidRequest},
		{"return_code FAIL", `<xml><return_code>FAIL</return_code></xml>`, channel.KindInvalidRequest},
		{"doctype", `<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + md5, channel.KindInvalidRequest},
		{"entity", strings.Replace(md5, "<total_fee>1<", "<total_fee>&e;<", 1), channel.KindInvalidRequest},
		{"duplicate field", strings.Replace(md5, "</xml>", "<total_fee>2</total_fee></xml>", 1), channel.KindInvalidRequest},
		{"too large", md5 + strings.Repeat(" ", 2<<20), channel.KindInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			n, err := e.c.ParseNotification(context.Background(), nil, []byte(tc.body))
			if n != nil {
				t.Fatalf("accepted: %+v", n.Payment)
			}
			wantErr(t, err, tc.kind, "", false)
		})
	}
}

// signedWith returns the golden payment notification re-signed with key.
func signedWith(t *testing.T, key string) string {
	t.Helper()
	p, err := decodeFlat([]byte(golden(t, "notify_payment.xml")), "xml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.WeChatSign(p, key, sign.WeChatMD5)
	if err != nil {
		t.Fatal(err)
	}
	p.Set("sign", s)
	b, err := encodeXML(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseNotification_OtherMerchantIsRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MchID = "10000200" })
	_, err := e.c.ParseNotification(context.Background(), nil, []byte(golden(t, "notify_payment.xml")))
	wantErr(t, err, channel.KindInvalidRequest, "NOT_OURS", false)
}

func TestParseNotification_ExplicitSignTypeIsSigned(t *testing.T) {
	p, err := decodeFlat([]byte(golden(t, "notify_payment.xml")), "xml")
	if err != nil {
		t.Fatal(err)
	}
	p.Del("sign")
	p.Set("sign_type", "HMAC-SHA256")
	s, _ := sign.WeChatSign(p, demoKey, sign.WeChatHMACSHA256)
	p.Set("sign", s)
	body, _ := encodeXML(p)
	e := newEnv(t, nil)
	n, err := e.c.ParseNotification(context.Background(), nil, body)
	if err != nil || n.Payment.Status != channel.StatusSucceeded {
		t.Fatalf("n %+v err %v", n, err)
	}
}

func TestParseNotification_ResultFailIsUnknown(t *testing.T) {
	p, _ := decodeFlat([]byte(golden(t, "notify_payment.xml")), "xml")
	p.Set("result_code", "FAIL")
	p.Set("err_code", "PAYERROR")
	s, _ := sign.WeChatSign(p, demoKey, sign.WeChatMD5)
	p.Set("sign", s)
	body, _ := encodeXML(p)
	e := newEnv(t, nil)
	n, err := e.c.ParseNotification(context.Background(), nil, body)
	if err != nil || n.Payment.Status != channel.StatusUnknown || !n.Payment.PaidAt.IsZero() {
		t.Fatalf("n %+v err %v", n, err)
	}
}

func TestParseNotification_RefundDecryptsReqInfo(t *testing.T) {
	e := newEnv(t, nil)
	n, err := e.c.ParseNotification(context.Background(), nil, []byte(golden(t, "notify_refund.xml")))
	if err != nil {
		t.Fatal(err)
	}
	r := n.Refund
	done := time.Date(2018, 1, 10, 10, 31, 24, 0, clock.Beijing())
	if n.Type != channel.NotifyRefund || r == nil || r.Status != channel.StatusSucceeded || r.RefundNo != "R1409811653" ||
		r.ChannelRefundID != "50000505542018011003064518841" || r.OrderNo != "1409811653" || r.Amount != money.Fen(1) ||
		!r.CompletedAt.Equal(done) || n.Payment != nil {
		t.Fatalf("refund = %+v", r)
	}
	if string(n.Ack.Body) != AckBody {
		t.Fatalf("ack %s", n.Ack.Body)
	}
}

// TestDecryptReqInfo_SpecVector pins the vector of wechat-v2.md §10 (computed with the
// official example key).
func TestDecryptReqInfo_SpecVector(t *testing.T) {
	const reqInfo = "WBzGpzQuNpcFxIlFjUUD9BZv+lpBMzd2SHiKCkwfALWid5G8ZvfOussfMIHLbKJmcnxPKdb1ZJEqTAp8ysQv+xa1fj+Eorgndx3fNxf3KAYa3LPgsjvZgxaeYyrhV05Kbjkj6ywg27cEyTTaPZFYNg=="
	const plain = "<root><out_refund_no><![CDATA[R1]]></out_refund_no><refund_status><![CDATA[SUCCESS]]></refund_status></root>"
	got, err := sign.DecryptWeChatRefundInfo(reqInfo, demoKey)
	if err != nil || string(got) != plain {
		t.Fatalf("decrypt = %q, %v", got, err)
	}
	body := "<xml><return_code>SUCCESS</return_code><mch_id>" + demoMchID + "</mch_id><req_info>" + reqInfo + "</req_info></xml>"
	n, err := newEnv(t, nil).c.ParseNotification(context.Background(), nil, []byte(body))
	if err != nil || n.Refund.RefundNo != "R1" || n.Refund.Status != channel.StatusSucceeded {
		t.Fatalf("spec vector notification: %+v %v", n, err)
	}
}

func TestParseNotification_RefundForgeries(t *testing.T) {
	enc := func(key string, plain []byte) string {
		s, err := sign.EncryptWeChatRefundInfo(plain, key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const other = "00000000000000000000000000000000"
	plain := []byte(golden(t, "notify_refund_plain.xml"))
	wrap := func(reqInfo string) string {
		return "<xml><return_code>SUCCESS</return_code><appid>" + demoAppID + "</appid><mch_id>" + demoMchID +
			"</mch_id><nonce_str>x</nonce_str><req_info><![CDATA[" + reqInfo + "]]></req_info></xml>"
	}
	tests := []struct {
		name string
		body string
		kind channel.Kind
	}{
		{"other key", wrap(enc(other, plain)), channel.KindSignature},
		{"not base64", wrap("%%%"), channel.KindSignature},
		{"not block aligned", wrap(base64.StdEncoding.EncodeToString([]byte("short"))), channel.KindSignature},
		{"plaintext not xml", wrap(enc(demoKey, []byte("hello"))), channel.KindInvalidRequest},
		{"names no refund", wrap(enc(demoKey, []byte("<root><refund_status>SUCCESS</refund_status></root>"))), channel.KindInvalidRequest},
		{"other merchant", strings.Replace(golden(t, "notify_refund.xml"), demoMchID, "10000200", 1), channel.KindInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			_, err := e.c.ParseNotification(context.Background(), nil, []byte(tc.body))
			wantErr(t, err, tc.kind, "", false)
		})
	}
}
