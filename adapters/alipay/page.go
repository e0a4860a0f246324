package alipay

import (
	"html"
	"strings"

	"github.com/tongdao/tongdao/core/channel"
)

// pageAction builds page.pay / wap.pay (alipay.md §9.4): no server call. The browser
// is sent to the gateway with every signed parameter in the query (Action.URL), or
// given an auto-submitting POST form carrying the same parameters (Action.HTML) for
// order data too long for a URL. The trade exists at Alipay only once the payer reaches
// the cashier, so Query answers KindNotFound until then (alipay.md §9.2).
func (c *Client) pageAction(method string, req *channel.PayRequest, biz []byte, notify string) (*channel.PaymentResult, error) {
	extra := map[string]string{"notify_url": notify, "return_url": firstNonEmpty(req.ReturnURL, c.returnURL)}
	p, err := c.signedParams(method, biz, extra)
	if err != nil {
		return nil, c.internalErr("pay", err)
	}
	query := encodeParams(p)
	var form strings.Builder
	form.WriteString(`<form name="alipaysubmit" method="post" action="`)
	form.WriteString(html.EscapeString(c.gatewayWith("charset=utf-8")))
	form.WriteString(`">`)
	for _, kv := range p {
		form.WriteString(`<input type="hidden" name="`)
		form.WriteString(html.EscapeString(kv.Key))
		form.WriteString(`" value="`)
		form.WriteString(html.EscapeString(kv.Value))
		form.WriteString(`">`)
	}
	form.WriteString(`<input type="submit" value="Pay" style="display:none"></form><script>document.forms['alipaysubmit'].submit();</script>`)
	return &channel.PaymentResult{
		Status:  channel.StatusPending,
		OrderNo: req.OrderNo,
		Amount:  req.Amount,
		Attach:  req.Attach,
		Action: &channel.PayAction{
			Kind:      channel.ActionRedirect,
			URL:       c.gatewayWith(query),
			HTML:      form.String(),
			ExpiresAt: req.ExpiresAt,
		},
	}, nil
}

// gatewayWith appends a query string to the gateway URL.
func (c *Client) gatewayWith(query string) string {
	if strings.Contains(c.gateway, "?") {
		return c.gateway + "&" + query
	}
	return c.gateway + "?" + query
}

// appAction builds app.pay (alipay.md §9.4): the signed, URL-encoded parameter string
// the Alipay app SDK takes ("orderStr"), also given as Params.
func (c *Client) appAction(req *channel.PayRequest, biz []byte, notify string) (*channel.PaymentResult, error) {
	p, err := c.signedParams(methodAppPay, biz, map[string]string{"notify_url": notify})
	if err != nil {
		return nil, c.internalErr("pay", err)
	}
	return &channel.PaymentResult{
		Status:  channel.StatusPending,
		OrderNo: req.OrderNo,
		Amount:  req.Amount,
		Attach:  req.Attach,
		Action: &channel.PayAction{
			Kind:        channel.ActionAppParams,
			OrderString: encodeParams(p),
			Params:      p.Map(),
			ExpiresAt:   req.ExpiresAt,
		},
	}, nil
}
