package alipay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ack returns a notification acknowledgement (alipay.md §10.1): HTTP 200 with the body
// exactly "success" tells Alipay to stop; any other body ("fail") makes it send again.
// Built per call so no caller can alter another's bytes.
func ack(body string) channel.Response {
	return channel.Response{StatusCode: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(body)}
}

// maxNotifyParams bounds the parameters of one notification (Alipay sends about 30).
const maxNotifyParams = 128

// ParseNotification verifies and decodes an asynchronous notification (alipay.md §10):
// the form body is split into parameters, the signature is checked over every
// parameter except sign and sign_type, sorted, empty values skipped (alipay.md §10.4;
// the Java variant that keeps empty values is tried too, and in certificate mode the
// variant without alipay_cert_sn), with Alipay's public key or, in certificate mode,
// the certificate named by alipay_cert_sn. An SN not known yet is refused
// (KindSignature, code UNKNOWN_ALIPAY_CERT_SN) and never downloaded on behalf of an
// unverified notification: after a rotation, the first sync response signed under the
// new certificate fetches it, and Alipay's next retry of the notification verifies.
// ParseNotification makes no call and changes no state. Then app_id must equal
// Config.AppID.
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
	sig := val(params, "sign")
	if sig == "" {
		return nil, notifyErr(channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE", errors.New("sign missing"))
	}
	if st := val(params, "sign_type"); st != "" && st != "RSA2" {
		return nil, notifyErr(channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE", fmt.Errorf("sign_type %q, want RSA2", st))
	}
	certSN := val(params, "alipay_cert_sn")
	pub, err := c.knownKey(ctx, certSN)
	if err != nil {
		return nil, notifyErr(channel.KindSignature, "UNKNOWN_ALIPAY_CERT_SN", err)
	}
	if err := verifyNotification(pub, params, sig, certSN != ""); err != nil {
		return nil, notifyErr(channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE", err)
	}
	if cs := val(params, "charset"); strings.EqualFold(cs, "gbk") || strings.EqualFold(cs, "gb2312") {
		if err := gbkValues(params); err != nil {
			return nil, notifyErr(channel.KindInvalidRequest, "BAD_NOTIFICATION", err)
		}
	}
	if id := val(params, "app_id"); id != c.appID {
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

// parseForm splits an application/x-www-form-urlencoded body into parameters, sorted
// by key. Every key and value is unescaped into one buffer that becomes one string, so
// a notification costs a single allocation for all its text. A repeated key is
// refused: Alipay never repeats one, and which copy was signed would be ambiguous.
func parseForm(body []byte) (sign.Params, error) {
	n := bytes.Count(body, []byte("&")) + 1
	if n > maxNotifyParams {
		return nil, fmt.Errorf("more than %d parameters", maxNotifyParams)
	}
	type span struct{ ks, ke, vs, ve int }
	var spanBuf [maxNotifyParams]span
	spans := spanBuf[:0]
	// strings.Builder hands over its buffer without a copy: one allocation holds the
	// text of every key and value.
	var text strings.Builder
	text.Grow(len(body))
	rest := body
	for len(rest) > 0 {
		pair := rest
		if i := bytes.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(pair) == 0 {
			continue
		}
		k, v := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		var sp span
		sp.ks = text.Len()
		if err := writeUnescaped(&text, k); err != nil {
			return nil, fmt.Errorf("parameter name %q: %w", k, err)
		}
		sp.ke, sp.vs = text.Len(), text.Len()
		if err := writeUnescaped(&text, v); err != nil {
			return nil, fmt.Errorf("parameter %q: %w", k, err)
		}
		sp.ve = text.Len()
		spans = append(spans, sp)
	}
	if len(spans) == 0 {
		return nil, errors.New("empty body")
	}
	all := text.String()
	p := make(sign.Params, len(spans))
	for i, sp := range spans {
		p[i] = sign.Param{Key: all[sp.ks:sp.ke], Value: all[sp.vs:sp.ve]}
	}
	sortParams(p)
	for i := 1; i < len(p); i++ {
		if p[i].Key == p[i-1].Key {
			return nil, fmt.Errorf("parameter %s repeated", p[i].Key)
		}
	}
	return p, nil
}

// sortParams sorts by key: insertion sort for the usual few dozen pairs (no closure,
// no allocation), the library sort beyond.
func sortParams(p sign.Params) {
	if len(p) > 64 {
		p.Sort()
		return
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j-1].Key > p[j].Key; j-- {
			p[j-1], p[j] = p[j], p[j-1]
		}
	}
}

// writeUnescaped writes the form-decoded s ('+' is a space, %XX a byte).
func writeUnescaped(dst *strings.Builder, s []byte) error {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst.WriteByte(' ')
		case '%':
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return errors.New("invalid %-escape")
			}
			dst.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			dst.WriteByte(c)
		}
	}
	return nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// val returns the value of key in sorted params (binary search), "" when absent.
func val(p sign.Params, key string) string {
	lo, hi := 0, len(p)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p[m].Key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(p) && p[lo].Key == key {
		return p[lo].Value
	}
	return ""
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

// notifyFundChannels reads fund_bill_list of a notification: a JSON string with
// camelCase keys, [{"amount":"12.56","fundChannel":"ALIPAYACCOUNT"}] (alipay.md §10.2),
// unlike the sync responses. It returns the fundChannel values joined with ",". A
// small scanner instead of encoding/json keeps reflection out of the notification path.
func notifyFundChannels(list string) (string, error) {
	var stack [512]byte
	sc := scanner{b: append(stack[:0], list...)}
	bad := errors.New("not an array of objects")
	var names []string
	sc.ws()
	if !sc.eat('[') {
		return "", bad
	}
	sc.ws()
	if !sc.eat(']') {
		for {
			sc.ws()
			if !sc.eat('{') {
				return "", bad
			}
			sc.ws()
			if !sc.eat('}') {
				for {
					sc.ws()
					key, err := sc.key()
					if err != nil {
						return "", err
					}
					sc.ws()
					if !sc.eat(':') {
						return "", bad
					}
					sc.ws()
					start := sc.i
					if err := sc.value(); err != nil {
						return "", err
					}
					if string(key) == "fundChannel" {
						v, err := jsonString(sc.b[start:sc.i])
						if err != nil {
							return "", fmt.Errorf("fundChannel: %w", err)
						}
						if v != "" {
							names = append(names, v)
						}
					}
					sc.ws()
					if sc.eat(',') {
						continue
					}
					if sc.eat('}') {
						break
					}
					return "", bad
				}
			}
			sc.ws()
			if sc.eat(',') {
				continue
			}
			if sc.eat(']') {
				break
			}
			return "", bad
		}
	}
	sc.ws()
	if sc.i != len(sc.b) {
		return "", bad
	}
	if len(names) == 1 {
		return names[0], nil
	}
	return strings.Join(names, ","), nil
}

func decodeNotification(p sign.Params) (*channel.Notification, error) {
	if nt := val(p, "notify_type"); nt != "" && nt != "trade_status_sync" {
		return nil, fmt.Errorf("notify_type %q is not supported", nt)
	}
	n := &channel.Notification{Channel: Name, EventID: val(p, "notify_id"), Ack: ack("success"), Nack: ack("fail")}
	var err error
	if n.SentAt, err = parseTime("notify_time", val(p, "notify_time")); err != nil {
		return nil, err
	}
	outTradeNo := val(p, "out_trade_no")
	if outTradeNo == "" && val(p, "trade_no") == "" {
		return nil, errors.New("out_trade_no and trade_no are both missing")
	}
	status := val(p, "trade_status")
	refundFee, err := parseYuan("refund_fee", val(p, "refund_fee"))
	if err != nil {
		return nil, err
	}
	outBizNo, gmtRefund := val(p, "out_biz_no"), val(p, "gmt_refund")
	if outBizNo != "" || gmtRefund != "" {
		r := &channel.RefundResult{
			Status:        channel.StatusSucceeded,
			ChannelStatus: status,
			RefundNo:      outBizNo,
			OrderNo:       outTradeNo,
			ChannelTxnID:  val(p, "trade_no"),
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
		ChannelTxnID:   val(p, "trade_no"),
		RefundedAmount: refundFee,
		PayerID:        firstNonEmpty(val(p, "buyer_id"), val(p, "buyer_open_id")),
		Attach:         unescapePassback(val(p, "passback_params")),
		MerchantID:     val(p, "seller_id"),
		AppID:          val(p, "app_id"),
	}
	if r.Amount, err = parseYuan("total_amount", val(p, "total_amount")); err != nil {
		return nil, err
	}
	if r.PaidAmount, err = parseYuan("buyer_pay_amount", val(p, "buyer_pay_amount")); err != nil {
		return nil, err
	}
	if r.PaidAt, err = parseTime("gmt_payment", val(p, "gmt_payment")); err != nil {
		return nil, err
	}
	if fb := val(p, "fund_bill_list"); fb != "" {
		if r.BankType, err = notifyFundChannels(fb); err != nil {
			return nil, fmt.Errorf("fund_bill_list: %w", err)
		}
	}
	r.Status = tradeStatus(status, !r.PaidAt.IsZero(), refundFee.IsPositive())
	if r.Status == channel.StatusUnknown {
		return nil, fmt.Errorf("trade_status %q is not known", status)
	}
	n.Type, n.Payment = channel.NotifyPayment, r
	return n, nil
}
