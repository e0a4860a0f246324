package alipay

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// VerifyReturn verifies the query string Alipay's cashier appends when it sends the
// browser back to return_url after a Web or H5 payment (alipay.md §10.6): signed like a
// notification (sign and sign_type excluded), app_id must be this client's, method must
// be alipay.trade.page.pay.return or alipay.trade.wap.pay.return. The return is a UX
// signal, never proof of payment: the result has Status Unknown with the order's
// numbers and amount, and the caller must Query (or wait for the notification).
// Forged → KindSignature; malformed → KindInvalidRequest.
func (c *Client) VerifyReturn(ctx context.Context, query url.Values) (*channel.PaymentResult, error) {
	for k, vs := range query {
		if len(vs) != 1 {
			return nil, returnErr(channel.KindInvalidRequest, fmt.Errorf("parameter %s given %d times", k, len(vs)))
		}
	}
	p := sign.ParamsFromValues(query)
	sig := val(p, "sign")
	if sig == "" {
		return nil, returnErr(channel.KindSignature, errors.New("sign missing"))
	}
	certSN := val(p, "alipay_cert_sn")
	pub, err := c.knownKey(ctx, certSN) // never fetched for browser input (see knownKey)
	if err != nil {
		return nil, returnErr(channel.KindSignature, err)
	}
	if err := verifyNotification(pub, p, sig, certSN != ""); err != nil {
		return nil, returnErr(channel.KindSignature, err)
	}
	if id := val(p, "app_id"); id != c.appID {
		return nil, returnErr(channel.KindInvalidRequest, fmt.Errorf("app_id %q is not this client's %q", id, c.appID))
	}
	switch m := val(p, "method"); m {
	case methodPagePay + ".return", methodWapPay + ".return":
	default:
		return nil, returnErr(channel.KindInvalidRequest, fmt.Errorf("method %q is not a page or wap return", m))
	}
	r := &channel.PaymentResult{Status: channel.StatusUnknown, OrderNo: val(p, "out_trade_no"), ChannelTxnID: val(p, "trade_no")}
	if r.Amount, err = parseYuan("total_amount", val(p, "total_amount")); err != nil {
		return nil, returnErr(channel.KindInvalidRequest, err)
	}
	return r, nil
}

func returnErr(kind channel.Kind, err error) error {
	if kind == channel.KindSignature {
		err = fmt.Errorf("%w: %w", sign.ErrBadSignature, err)
	}
	return &channel.Error{Channel: Name, Op: "return", Kind: kind, Code: "BAD_RETURN", Message: "return parameters rejected", Err: err}
}
