package alipay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Acknowledgements of an asynchronous notification (alipay.md §10.1): HTTP 200 with the
// body exactly "success"; anything else makes Alipay send it again.
var (
	ackResponse  = channel.Response{StatusCode: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("success")}
	nackResponse = channel.Response{StatusCode: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("fail")}
)

// maxNotifyParams bounds the parameters of one notification (Alipay sends about 30).
const maxNotifyParams = 128

// ParseNotification verifies and decodes an asynchronous notification (alipay.md §10):
// the form body is split into parameters, the signature is checked over every
// parameter except sign and sign_type, sorted, empty values skipped (alipay.md §10.4;
// the Java variant that keeps empty values is tried too, and in certificate mode the
// variant without alipay_cert_sn), with Alipay's public key or, in certificate mode,
// the certificate named by alipay_cert_sn (downloaded on rotation). Then app_id must
// equal Config.AppID.
//
// A notification with out_biz_no (or gmt_refund) is a refund: Type NotifyRefund,
// Refund.RefundNo = out_biz_no, RefundedTotal = refund_fee (cumulative), CompletedAt =
// gmt_refund (milliseconds accepted), Status Succeeded; Alipay does not say the amount of
// this refund, so Refund.Amount is zero. Otherwise it is a payment: Type NotifyPayment
// with Status from trade_status (see tradeStatus). EventID is notify_id, SentAt
// notify_time. Values sent with charset=gbk are converted to UTF-8 after verification.
// Forged or altered → KindSignature; undecodable → KindInvalidRequest.
func (c *Client) ParseNotification(ctx context.Context, _ http.Header, body []byte) (*channel.Notification, error) {
	params, err := parseForm(body)
	if err != nil {
		return nil, notifyErr(channel.KindInvalidRequest, "BAD_NOTIFICATION", err)
	}
	params.Sort()
	sig := params.Value("sign")
	if sig == "" {
		return nil, notifyErr(channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE", errors.New("sign missing"))
	}
	if st := params.Value("sign_type"); st != "" && st != "RSA2" {
		return nil, notifyErr(channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE", fmt.Errorf("sign_type %q, want RSA2", st))
	}
	certSN := params.Value("alipay_cert_sn")
	pub, err := c.keyFor(ctx, "notification", certSN)
	if err != nil {
		return nil, err
	}
	if err := verifyNotification(pub, params, sig, certSN != ""); err != nil {
		return nil, notifyErr(channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE", err)
	}
	if cs := params.Value("charset"); strings.EqualFold(cs, "gbk") || strings.EqualFold(cs, "gb2312") {
		if err := gbkValues(params); err != nil {
			return nil, notifyErr(channel.KindInvalidRequest, "BAD_NOTIFICATION", err)
		}
	}
	if id := params.Value("app_id"); id != c.appID {
		return nil, notifyErr(channel.KindInvalidRequest, "APP_ID_MISMATCH", fmt.Errorf("app_id %q is not this client's %q", id, c.appID))
	}
	n, err := decodeNotification(params)
	if err != nil {
		return nil, notifyErr(channel.KindInvalidRequest, "BAD_NOTIFICATION", err)
	}
	return n, nil
}

func notifyErr(kind channel.Kind, code string, err error) error {
	if kind == channel.KindSignature && !errors.Is(err, sign.ErrBadSignature) {
		err = fmt.Errorf("%w: %w", sign.ErrBadSignature, err)
	}
	return &channel.Error{Channel: Name, Op: "notification", Kind: kind, Code: code, Message: "notification rejected", Err: err}
}

// parseForm splits an application/x-www-form-urlencoded body into parameters without
// a map. A repeated key is refused: Alipay never repeats one, and which copy was
// signed would be ambiguous.
func parseForm(body []byte) (sign.Params, error) {
	n := bytes.Count(body, []byte("&")) + 1
	if n > maxNotifyParams {
		return nil, fmt.Errorf("more than %d parameters", maxNotifyParams)
	}
	p := make(sign.Params, 0, n)
	s := string(body)
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		var err error
		if k, err = unescape(k); err != nil {
			return nil, fmt.Errorf("parameter name %q: %w", k, err)
		}
		if v, err = unescape(v); err != nil {
			return nil, fmt.Errorf("parameter %s: %w", k, err)
		}
		if _, dup := p.Get(k); dup {
			return nil, fmt.Errorf("parameter %s repeated", k)
		}
		p = append(p, sign.Param{Key: k, Value: v})
	}
	if len(p) == 0 {
		return nil, errors.New("empty body")
	}
	return p, nil
}

func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// verifyNotification checks sig over the canonical string of params (sorted). The
// variants differ only for empty values and alipay_cert_sn (alipay.md §10.4), so they
// are tried only when they would produce a different string.
func verifyNotification(pub *rsa.PublicKey, params sign.Params, sigB64 string, hasCertSN bool) error {
	var sbuf [512]byte
	sig, ok := decodeSig(sbuf[:], sigB64)
	if !ok {
		return errors.New("sign is not base64")
	}
	var mbuf [2048]byte
	try := func(opts sign.CanonicalOptions) bool {
		msg := sign.AppendCanonical(mbuf[:0], params, opts)
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
	}
	opts := sign.AlipayNotifyCanonical()
	if try(opts) {
		return nil
	}
	hasEmpty := false
	for _, kv := range params {
		if kv.Value == "" {
			hasEmpty = true
			break
		}
	}
	if hasEmpty {
		keep := opts
		keep.KeepEmpty = true
		if try(keep) {
			return nil
		}
	}
	if hasCertSN {
		noSN := sign.CanonicalOptions{Exclude: []string{"sign", "sign_type", "alipay_cert_sn"}}
		if try(noSN) {
			return nil
		}
		if hasEmpty {
			noSN.KeepEmpty = true
			if try(noSN) {
				return nil
			}
		}
	}
	return errors.New("signature does not verify")
}

// gbkValues converts values sent in GBK to UTF-8 in place.
func gbkValues(p sign.Params) error {
	dec := simplifiedchinese.GBK.NewDecoder()
	for i := range p {
		v, err := dec.String(p[i].Value)
		if err != nil {
			return fmt.Errorf("parameter %s is not GBK: %w", p[i].Key, err)
		}
		p[i].Value = v
	}
	return nil
}

// notifyFundBill is fund_bill_list in notifications: a JSON string with camelCase keys
// (alipay.md §10.2), unlike the sync responses.
type notifyFundBill struct {
	Amount      string `json:"amount"`
	FundChannel string `json:"fundChannel"`
}

func decodeNotification(p sign.Params) (*channel.Notification, error) {
	if nt := p.Value("notify_type"); nt != "" && nt != "trade_status_sync" {
		return nil, fmt.Errorf("notify_type %q is not supported", nt)
	}
	n := &channel.Notification{Channel: Name, EventID: p.Value("notify_id"), Ack: ackResponse, Nack: nackResponse}
	var err error
	if n.SentAt, err = parseTime("notify_time", p.Value("notify_time")); err != nil {
		return nil, err
	}
	outTradeNo := p.Value("out_trade_no")
	if outTradeNo == "" && p.Value("trade_no") == "" {
		return nil, errors.New("out_trade_no and trade_no are both missing")
	}
	status := p.Value("trade_status")
	refundFee, err := parseYuan("refund_fee", p.Value("refund_fee"))
	if err != nil {
		return nil, err
	}
	outBizNo, gmtRefund := p.Value("out_biz_no"), p.Value("gmt_refund")
	if outBizNo != "" || gmtRefund != "" {
		r := &channel.RefundResult{
			Status:        channel.StatusSucceeded,
			ChannelStatus: status,
			RefundNo:      outBizNo,
			OrderNo:       outTradeNo,
			ChannelTxnID:  p.Value("trade_no"),
			RefundedTotal: refundFee,
			MoneyMoved:    true,
		}
		if r.CompletedAt, err = parseTime("gmt_refund", gmtRefund); err != nil {
			return nil, err
		}
		n.Type, n.Refund = channel.NotifyRefund, r
		return n, nil
	}
	if status == "" {
		return nil, errors.New("trade_status is missing")
	}
	r := &channel.PaymentResult{
		ChannelStatus:  status,
		OrderNo:        outTradeNo,
		ChannelTxnID:   p.Value("trade_no"),
		RefundedAmount: refundFee,
		PayerID:        firstNonEmpty(p.Value("buyer_id"), p.Value("buyer_open_id")),
		Attach:         unescapePassback(p.Value("passback_params")),
	}
	if r.Amount, err = parseYuan("total_amount", p.Value("total_amount")); err != nil {
		return nil, err
	}
	if r.PaidAmount, err = parseYuan("buyer_pay_amount", p.Value("buyer_pay_amount")); err != nil {
		return nil, err
	}
	if r.PaidAt, err = parseTime("gmt_payment", p.Value("gmt_payment")); err != nil {
		return nil, err
	}
	if fb := p.Value("fund_bill_list"); fb != "" {
		var list []notifyFundBill
		if err := json.Unmarshal([]byte(fb), &list); err != nil {
			return nil, fmt.Errorf("fund_bill_list: %w", err)
		}
		names := make([]string, 0, len(list))
		for _, f := range list {
			if f.FundChannel != "" {
				names = append(names, f.FundChannel)
			}
		}
		r.BankType = strings.Join(names, ",")
	}
	r.Status = tradeStatus(status, !r.PaidAt.IsZero(), refundFee.IsPositive())
	if r.Status == channel.StatusUnknown {
		return nil, fmt.Errorf("trade_status %q is not known", status)
	}
	n.Type, n.Payment = channel.NotifyPayment, r
	return n, nil
}
