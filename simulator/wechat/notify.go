package wechat

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// Notification kinds, for fault matching and records.
const (
	KindPayment = "payment"
	KindRefund  = "refund"
)

// paymentNotification builds the payment result notification of a paid order (§8):
// fields in alphabetical order as WeChat sends them, signed with the algorithm of the
// unified order request and carrying no sign_type element (§3.2). The forged variant is
// signed with a wrong key.
func (s *Server) paymentNotification(o *order) outbound {
	fee := strconv.FormatInt(o.totalFee.Minor(), 10)
	p := sign.Params{
		{Key: "appid", Value: o.appID},
		{Key: "attach", Value: o.attach()},
		{Key: "bank_type", Value: o.bankType()},
		{Key: "cash_fee", Value: fee},
		{Key: "device_info", Value: o.deviceInfo()},
		{Key: "fee_type", Value: o.feeType},
		{Key: "is_subscribe", Value: "N"},
		{Key: "mch_id", Value: o.mchID},
		{Key: "nonce_str", Value: s.ids.nonce()},
		{Key: "openid", Value: o.openID()},
		{Key: "out_trade_no", Value: o.outTradeNo},
		{Key: "result_code", Value: "SUCCESS"},
		{Key: "return_code", Value: "SUCCESS"},
		{Key: "sign", Value: ""},
		{Key: "time_end", Value: compactTime(o.paidAt())},
		{Key: "total_fee", Value: fee},
		{Key: "trade_type", Value: o.tradeType},
		{Key: "transaction_id", Value: o.txnID()},
	}
	key := s.orderKey(o)
	good, _ := sign.WeChatSign(p, key, o.signType)
	bad, _ := sign.WeChatSign(p, forgedKey(key), o.signType)
	p.Set("sign", good)
	body := encodeXML(p)
	p.Set("sign", bad)
	forged := encodeXML(p)
	total, orderNo, signType := o.totalFee, o.outTradeNo, o.signType
	tampered := func(a simulator.Attempt) []byte {
		t := append(sign.Params(nil), p...)
		amt := strconv.FormatInt(a.TamperedAmount(total).Minor(), 10)
		t.Set("total_fee", amt)
		t.Set("cash_fee", amt)
		t.Set("out_trade_no", a.TamperedOrder(orderNo))
		t.Set("sign", "")
		sig, _ := sign.WeChatSign(t, key, signType)
		t.Set("sign", sig)
		return encodeXML(t)
	}
	return outbound{kind: KindPayment, mchID: o.mchID, orderNo: o.outTradeNo, url: o.notifyURL,
		body: body, forged: forged, tampered: tampered, schedule: s.schedule}
}

// refundNotification builds the refund result notification (§10): unsigned outer XML
// whose req_info is the AES-256-ECB encryption of the <root> plaintext under the
// lower-case hex MD5 of the API key. The forged variant is encrypted under a wrong key.
func (s *Server) refundNotification(r *refund, url string) outbound {
	o := r.order
	total := strconv.FormatInt(o.totalFee.Minor(), 10)
	fee := strconv.FormatInt(r.fee.Minor(), 10)
	inner := sign.Params{
		{Key: "out_refund_no", Value: r.outRefundNo},
		{Key: "out_trade_no", Value: o.outTradeNo},
		{Key: "refund_account", Value: r.account},
		{Key: "refund_fee", Value: fee},
		{Key: "refund_id", Value: r.refundID},
		{Key: "refund_recv_accout", Value: refundRecvWallet},
		{Key: "refund_request_source", Value: "API"},
		{Key: "refund_status", Value: string(r.status)},
		{Key: "settlement_refund_fee", Value: fee},
		{Key: "settlement_total_fee", Value: total},
		{Key: "success_time", Value: dashedOrEmpty(r.successAt)},
		{Key: "total_fee", Value: total},
		{Key: "transaction_id", Value: o.txnID()},
	}
	plain := encodeRoot(inner)
	key := s.orderKey(o)
	refundFee, orderNo := r.fee, o.outTradeNo
	build := func(k string) []byte {
		return encodeXML(sign.Params{
			{Key: "return_code", Value: "SUCCESS"},
			{Key: "appid", Value: o.appID},
			{Key: "mch_id", Value: o.mchID},
			{Key: "nonce_str", Value: s.ids.nonce()},
			{Key: "req_info", Value: reqInfo(plain, k)},
		})
	}
	tampered := func(a simulator.Attempt) []byte {
		t := append(sign.Params(nil), inner...)
		amt := strconv.FormatInt(a.TamperedAmount(refundFee).Minor(), 10)
		t.Set("refund_fee", amt)
		t.Set("settlement_refund_fee", amt)
		t.Set("out_trade_no", a.TamperedOrder(orderNo))
		return encodeXML(sign.Params{
			{Key: "return_code", Value: "SUCCESS"},
			{Key: "appid", Value: o.appID},
			{Key: "mch_id", Value: o.mchID},
			{Key: "nonce_str", Value: s.ids.nonce()},
			{Key: "req_info", Value: reqInfo(encodeRoot(t), key)},
		})
	}
	return outbound{kind: KindRefund, mchID: o.mchID, orderNo: o.outTradeNo, url: url,
		body: build(key), forged: build(forgedKey(key)), tampered: tampered, schedule: s.schedule}
}

// reqInfo encrypts a refund notification plaintext as WeChat does (§10, via
// adapters/sign): AES-256-ECB, PKCS#7, key = lower-case hex MD5 of the API key, base64.
func reqInfo(plain []byte, apiKey string) string {
	s, err := sign.EncryptWeChatRefundInfo(plain, apiKey)
	if err != nil {
		return "" // unreachable: the key is derived to 32 bytes
	}
	return s
}

// encodeRoot writes params as the <root> document of a refund notification (§10).
func encodeRoot(p sign.Params) []byte {
	b := encodeXML(p)
	// encodeXML writes <xml>…</xml>; the refund plaintext's root is <root> [field].
	out := make([]byte, 0, len(b)+2)
	out = append(out, "<root>"...)
	out = append(out, b[len("<xml>"):len(b)-len("</xml>")]...)
	return append(out, "</root>"...)
}

// orderKey is the key that signs o's notifications: the sandbox key in the sandbox.
func (s *Server) orderKey(o *order) string {
	if o.realm != "" {
		if k := s.st.sandboxKeys[o.mchID]; k != "" {
			return k
		}
	}
	return s.st.merchants[o.mchID].Key
}

// forgedKey is a different, well-formed 32-character key for forged notifications.
func forgedKey(key string) string {
	sum := md5.Sum([]byte("forged:" + key))
	return hex.EncodeToString(sum[:])
}

// Acked is WeChat's acknowledgement rule for notifications (§8): HTTP 200 and an XML
// body whose return_code is SUCCESS. Plain "success", JSON or an HTML page is not an
// acknowledgement and triggers a retry.
func Acked(status int, body []byte) bool {
	if status != http.StatusOK {
		return false
	}
	p, err := decodeXML(body)
	if err != nil {
		return false
	}
	return p.Value("return_code") == "SUCCESS"
}
