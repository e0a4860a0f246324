package wechat

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// Acknowledgements (wechat-v2.md §8; the refund notification uses the same, §10).
const (
	// AckBody is the exact answer WeChat reads as "received and processed".
	AckBody = `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`
	// NackBody is the failure answer: WeChat sends the notification again.
	NackBody = `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[NOT PROCESSED]]></return_msg></xml>`
	// ackContentType is the Content-Type of both answers.
	ackContentType = "text/xml; charset=utf-8"
)

// ParseNotification verifies and decodes a payment result notification (§8) or a refund
// notification (§10, recognised by req_info). It does no I/O and has no side effects.
//
// Payment: the sign is verified with the notification's sign_type when present, else with
// the algorithm its length implies (32 hex → MD5, 64 → HMAC-SHA256, §3.2); a missing or
// wrong sign is KindSignature. Then appid and mch_id must be this client's
// (KindInvalidRequest otherwise). result_code SUCCESS gives StatusSucceeded; any other
// result gives StatusUnknown (query to learn the state). The caller must still check
// Payment.Amount against its own order (§8).
//
// Refund: req_info is decrypted with AES-256-ECB under md5(API key) (§10); a req_info
// that does not decrypt is KindSignature (it is the only authentication a refund
// notification has). The result carries refund_status mapped by RefundStatus.
//
// Ack is exactly AckBody (HTTP 200, text/xml); Nack is NackBody.
//
// One Client serves one appid: a merchant with several appids bound to the same mch_id
// (official account and mini program) needs a Client, and a notify URL, per appid.
func (c *Client) ParseNotification(_ context.Context, _ http.Header, body []byte) (*channel.Notification, error) {
	inv := func(kind channel.Kind, code, msg string, cause error) error {
		return &channel.Error{Channel: channelName, Op: "notification", Kind: kind, Code: code, Message: msg,
			Raw: rawCopy(body), Err: cause}
	}
	if int64(len(body)) > c.maxResp {
		return nil, inv(channel.KindInvalidRequest, "TOO_LARGE", fmt.Sprintf("body of %d bytes exceeds %d", len(body), c.maxResp), errTooLarge)
	}
	msg, err := decodeFlat(body, "xml")
	if err != nil {
		return nil, inv(channel.KindInvalidRequest, "BAD_NOTIFICATION", "undecodable notification", err)
	}
	if rc := lookup(msg, "return_code"); rc != "SUCCESS" {
		return nil, inv(channel.KindInvalidRequest, "BAD_NOTIFICATION", fmt.Sprintf("return_code %q carries no result", rc), nil)
	}
	n := &channel.Notification{
		Channel: channelName,
		Ack:     channel.Response{StatusCode: http.StatusOK, ContentType: ackContentType, Body: []byte(AckBody)},
		Nack:    channel.Response{StatusCode: http.StatusOK, ContentType: ackContentType, Body: []byte(NackBody)},
	}
	if reqInfo := lookup(msg, "req_info"); reqInfo != "" {
		if err := c.checkOwner(msg); err != nil {
			return nil, inv(channel.KindInvalidRequest, "NOT_OURS", err.Error(), nil)
		}
		n.Type = channel.NotifyRefund
		if n.Refund, err = c.refundNotification(reqInfo); err != nil {
			if ce, ok := err.(*channel.Error); ok {
				ce.Raw = rawCopy(body)
			}
			return nil, err
		}
		return n, nil
	}
	if err := c.verifyNotification(msg); err != nil {
		return nil, inv(channel.KindSignature, "BAD_SIGNATURE", "notification signature does not verify", err)
	}
	if err := c.checkOwner(msg); err != nil {
		return nil, inv(channel.KindInvalidRequest, "NOT_OURS", err.Error(), nil)
	}
	res, err := paymentFields(call{op: "notification"}, msg)
	if err != nil {
		return nil, inv(channel.KindInvalidRequest, "BAD_NOTIFICATION", err.Error(), err)
	}
	if res.OrderNo == "" || !res.Amount.IsPositive() {
		return nil, inv(channel.KindInvalidRequest, "BAD_NOTIFICATION", "out_trade_no or total_fee missing", nil)
	}
	if rc := lookup(msg, "result_code"); rc == "SUCCESS" {
		res.Status, res.ChannelStatus = channel.StatusSucceeded, "SUCCESS"
	} else {
		res.Status, res.ChannelStatus = channel.StatusUnknown, lookup(msg, "err_code")
		res.PaidAt = time.Time{}
	}
	res.MerchantID, res.AppID = lookup(msg, "mch_id"), lookup(msg, "appid")
	n.Type, n.Payment = channel.NotifyPayment, res
	return n, nil
}

// verifyNotification checks a payment notification's sign (§3.2).
func (c *Client) verifyNotification(msg sign.Params) error {
	s := lookup(msg, "sign")
	if s == "" {
		return fmt.Errorf("no sign: %w", sign.ErrBadSignature)
	}
	var st sign.WeChatSignType
	var err error
	if v, ok := msg.Get("sign_type"); ok && v != "" {
		st, err = sign.ParseWeChatSignType(v)
	} else {
		st, err = sign.WeChatSignTypeOf(s)
	}
	if err != nil {
		return err
	}
	return sign.WeChatVerify(msg, c.notifyKey(), st, s)
}

// notifyKey is the key payment notifications are signed with: the sandbox key once
// fetched in sandbox mode, the API key otherwise.
func (c *Client) notifyKey() string {
	if c.sandbox {
		c.sandboxMu.Lock()
		defer c.sandboxMu.Unlock()
		if c.sandboxKey != "" {
			return c.sandboxKey
		}
	}
	return c.key
}

// checkOwner requires appid and mch_id, when present, to be this client's.
func (c *Client) checkOwner(msg sign.Params) error {
	if v := lookup(msg, "mch_id"); v != c.mchID {
		return fmt.Errorf("mch_id %q is not %q", v, c.mchID)
	}
	if v := lookup(msg, "appid"); v != "" && v != c.appID {
		return fmt.Errorf("appid %q is not %q", v, c.appID)
	}
	return nil
}

// refundNotification decrypts and reads req_info (§10).
func (c *Client) refundNotification(reqInfo string) (*channel.RefundResult, error) {
	fail := func(kind channel.Kind, code, msg string, cause error) error {
		return &channel.Error{Channel: channelName, Op: "notification", Kind: kind, Code: code, Message: msg, Err: cause}
	}
	plain, err := sign.DecryptWeChatRefundInfo(reqInfo, c.key)
	if err != nil {
		return nil, fail(channel.KindSignature, "BAD_REQ_INFO", "req_info does not decrypt with our key", err)
	}
	info, err := decodeFlat(plain, "root")
	if err != nil {
		return nil, fail(channel.KindInvalidRequest, "BAD_REQ_INFO", "req_info plaintext undecodable", err)
	}
	st := lookup(info, "refund_status")
	res := &channel.RefundResult{
		Status: RefundStatus(st), ChannelStatus: st,
		RefundNo: lookup(info, "out_refund_no"), ChannelRefundID: lookup(info, "refund_id"),
		OrderNo: lookup(info, "out_trade_no"), ChannelTxnID: lookup(info, "transaction_id"),
		MoneyMoved: true,
	}
	if res.RefundNo == "" && res.ChannelRefundID == "" {
		return nil, fail(channel.KindInvalidRequest, "BAD_REQ_INFO", "req_info names no refund", nil)
	}
	if res.Amount, err = fen(info, "refund_fee", ""); err != nil {
		return nil, fail(channel.KindInvalidRequest, "BAD_REQ_INFO", err.Error(), err)
	}
	if res.Status == channel.StatusSucceeded {
		if res.CompletedAt, err = beijingTime(lookup(info, "success_time"), layoutDashed); err != nil {
			return nil, fail(channel.KindInvalidRequest, "BAD_REQ_INFO", err.Error(), err)
		}
	}
	return res, nil
}
