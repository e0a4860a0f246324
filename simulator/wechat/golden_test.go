package wechat

import (
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
)

// TestGolden_ResponsesOfOneDeterministicScenario pins the exact bytes of every kind of
// response and notification for one seeded, sequential scenario: field order, CDATA and
// bare numbers, ids drawn from the seed, signatures.
func TestGolden_ResponsesOfOneDeterministicScenario(t *testing.T) {
	e := newEnv(t, Config{RefundDelay: time.Minute})
	post := func(path string, p sign.Params, st sign.WeChatSignType) []byte {
		_, _, body := e.raw("POST", path, buildXML(signed(p, DemoKey, st), false))
		mustVerify(t, body, DemoKey, st)
		return body
	}
	p := nativeOrder("G-1", "2500")
	p.Set("trade_type", "JSAPI")
	p.Set("openid", "ofyak5qR_1wYsC99CsWA6R9MJazA")
	p.Set("attach", "order#1")
	golden(t, "resp_unifiedorder_jsapi_hmac.xml", post("/pay/unifiedorder", p, sign.WeChatHMACSHA256))
	golden(t, "resp_orderquery_notpay.xml", post("/pay/orderquery", params("out_trade_no", "G-1"), sign.WeChatMD5))
	e.advance(30 * time.Second)
	e.pay("G-1")
	golden(t, "notify_payment_hmac.xml", e.sink.all()[0].body)
	golden(t, "resp_orderquery_success.xml", post("/pay/orderquery", params("out_trade_no", "G-1"), sign.WeChatMD5))
	r := refundReq("G-1", "GR-1", "2500", "500")
	r.Set("notify_url", "https://merchant.example/notify/refund")
	golden(t, "resp_refund.xml", post("/secapi/pay/refund", r, sign.WeChatMD5))
	golden(t, "resp_refundquery_processing.xml", post("/pay/refundquery", params("out_trade_no", "G-1"), sign.WeChatMD5))
	e.advance(time.Minute)
	golden(t, "notify_refund.xml", e.sink.all()[1].body)
	golden(t, "resp_refundquery_success.xml", post("/pay/refundquery", params("out_refund_no", "GR-1"), sign.WeChatMD5))
	golden(t, "resp_micropay.xml", post("/pay/micropay", micropayReq("G-M", "1"), sign.WeChatMD5))
	golden(t, "resp_reverse.xml", post("/secapi/pay/reverse", params("out_trade_no", "G-M"), sign.WeChatMD5))
	golden(t, "resp_micropay_userpaying.xml", post("/pay/micropay", micropayReq("G-M2", "100001"), sign.WeChatMD5))
	e.call("/pay/unifiedorder", nativeOrder("G-2", "1"))
	golden(t, "resp_closeorder.xml", post("/pay/closeorder", params("out_trade_no", "G-2"), sign.WeChatMD5))
	golden(t, "resp_closeorder_closed.xml", post("/pay/closeorder", params("out_trade_no", "G-2"), sign.WeChatMD5))
	bad := signed(params("out_trade_no", "G-2"), DemoKey, sign.WeChatMD5)
	bad.Set("sign", "00000000000000000000000000000000")
	_, _, body := e.raw("POST", "/pay/orderquery", buildXML(bad, false))
	golden(t, "resp_fail_sign.xml", body)
}
