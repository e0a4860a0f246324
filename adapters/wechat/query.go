package wechat

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// TradeStatus maps an orderquery trade_state to a channel.Status (wechat-v2.md §6.2):
// SUCCESS → Succeeded, REFUND → Refunded (paid, then refunded), NOTPAY → Pending,
// CLOSED → Closed, REVOKED → Reversed, USERPAYING and ACCEPT → Processing, PAYERROR →
// Failed; anything else → Unknown.
func TradeStatus(tradeState string) channel.Status {
	switch tradeState {
	case "SUCCESS":
		return channel.StatusSucceeded
	case "REFUND":
		return channel.StatusRefunded
	case "NOTPAY":
		return channel.StatusPending
	case "CLOSED":
		return channel.StatusClosed
	case "REVOKED":
		return channel.StatusReversed
	case "USERPAYING", "ACCEPT":
		return channel.StatusProcessing
	case "PAYERROR":
		return channel.StatusFailed
	}
	return channel.StatusUnknown
}

// Query reads an order's state (/pay/orderquery, §6.2) by ChannelTxnID (transaction_id,
// which wins) or OrderNo. It changes nothing; every unknown outcome is retryable.
// ORDERNOTEXIST is KindNotFound. Amount is total_fee, PaidAmount cash_fee (fen), PaidAt
// time_end in Beijing time.
func (c *Client) Query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	if req == nil {
		return c.query(ctx, req)
	}
	return channel.EchoOrderTime(req.OrderTime)(c.query(ctx, req))
}

// query does the work of Query; Query echoes the request's OrderTime.
func (c *Client) query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	cl := call{op: "query", path: "/pay/orderquery", retry: true}
	if err := req.Validate(channelName); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, cl, orderRef(req.ChannelTxnID, req.OrderNo))
	if err != nil {
		return nil, err
	}
	if e := c.bizError(cl, resp); e != nil {
		return nil, e
	}
	state := lookup(resp, "trade_state")
	if state == "" {
		return nil, badField(cl, "trade_state", nil)
	}
	res, err := paymentFields(cl, resp)
	if err != nil {
		return nil, err
	}
	if err := sameOrder(cl, resp, req.ChannelTxnID, req.OrderNo); err != nil {
		return nil, err
	}
	res.Status, res.ChannelStatus = TradeStatus(state), state
	if !res.Status.Paid() {
		res.PaidAt = time.Time{}
	}
	if res.OrderNo == "" {
		res.OrderNo = req.OrderNo
	}
	return res, nil
}

// Close closes an unpaid order (/pay/closeorder, §6.3); it needs OrderNo. Success is
// CloseClosed; closing a closed order (ORDERCLOSED) is CloseAlreadyClosed. A paid order is
// KindAlreadyDone (ORDERPAID): treat it as paid and Query. Unknown outcomes are retryable.
// WeChat asks not to close an order within 5 minutes of creating it.
func (c *Client) Close(ctx context.Context, req *channel.CloseRequest) (*channel.CloseResult, error) {
	cl := call{op: "close", path: "/pay/closeorder", retry: true}
	if err := req.Validate(channelName); err != nil {
		return nil, err
	}
	if req.OrderNo == "" {
		return nil, channel.InvalidField(channelName, cl.op, "OrderNo", "is empty: closeorder takes out_trade_no only")
	}
	resp, err := c.do(ctx, cl, sign.Params{{Key: "out_trade_no", Value: req.OrderNo}})
	if err != nil {
		return nil, err
	}
	res := &channel.CloseResult{Outcome: channel.CloseClosed, Status: channel.StatusClosed, ChannelStatus: "CLOSED", OrderNo: req.OrderNo}
	if e := c.bizError(cl, resp); e != nil {
		if e.Code != "ORDERCLOSED" {
			return nil, e
		}
		res.Outcome, res.ChannelStatus = channel.CloseAlreadyClosed, "ORDERCLOSED"
	}
	return res, nil
}

// Cancel reverses a barcode order (/secapi/pay/reverse, §6.5; needs the client
// certificate): an unpaid order is closed, a paid one refunded in full; WeChat does not
// say which, so success is StatusReversed (orderquery then says REVOKED). When WeChat
// answers recall=Y the result is StatusUnknown with RetryNeeded: call Cancel again.
// Unknown outcomes are retryable with the same request.
func (c *Client) Cancel(ctx context.Context, req *channel.CancelRequest) (*channel.CancelResult, error) {
	cl := call{op: "cancel", path: "/secapi/pay/reverse", secure: true, retry: true}
	if err := req.Validate(channelName); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, cl, orderRef(req.ChannelTxnID, req.OrderNo))
	if err != nil {
		return nil, err
	}
	res := &channel.CancelResult{OrderNo: req.OrderNo, ChannelTxnID: req.ChannelTxnID, RetryNeeded: lookup(resp, "recall") == "Y"}
	if e := c.bizError(cl, resp); e != nil {
		if !res.RetryNeeded {
			return nil, e
		}
		res.ChannelStatus = e.Code
		return res, nil // StatusUnknown: call again (§6.5)
	}
	res.ChannelStatus = "REVOKED"
	if !res.RetryNeeded {
		res.Status = channel.StatusReversed
	}
	return res, nil
}

// sameOrder refuses a verified answer about another order than the one asked for. A
// response is signed without any reference to the request (wechat-v2.md §3.2), so a
// genuine answer can be replayed, misrouted by a proxy or mixed up by a buggy
// middlebox. It is KindUnknown, not KindSignature: the signature is WeChat's, but the
// answer says nothing about our order, whose outcome therefore stays unknown (the
// request may or may not have executed) — the caller must Query, exactly as after a
// timeout. Retryable follows the operation (cl.retry), as for every other unknown
// outcome. Alipay's adapter answers the same (its sameOrder). Fields absent from the
// answer are not compared; the caller's empty fields neither.
func sameOrder(cl call, resp sign.Params, wantTxn, wantOrder string) error {
	for _, f := range [...]struct{ field, want string }{{"out_trade_no", wantOrder}, {"transaction_id", wantTxn}} {
		if got := lookup(resp, f.field); f.want != "" && got != "" && got != f.want {
			return mismatch(cl, fmt.Sprintf("answer is for %s %q, asked for %q", f.field, got, f.want))
		}
	}
	return nil
}

// mismatch is the error of sameOrder and of the amount checks beside it.
func mismatch(cl call, msg string) *channel.Error {
	return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown, Code: "RESPONSE_MISMATCH",
		Message: msg, Retryable: cl.retry}
}

// orderRef names an order the way every order call does: transaction_id when known (it
// wins on WeChat's side anyway, §6.2), else out_trade_no.
func orderRef(txnID, orderNo string) sign.Params {
	p := make(sign.Params, 0, 8)
	if txnID != "" {
		p.Set("transaction_id", txnID)
	} else {
		p.Set("out_trade_no", orderNo)
	}
	return p
}
