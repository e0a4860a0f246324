package wechat

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// RefundStatus maps a refund_status to a channel.Status (wechat-v2.md §6.7, §10):
// SUCCESS → Succeeded, PROCESSING → Processing, REFUNDCLOSE → Failed (closed, no money
// moved). CHANGE (the money left but could not reach the payer's card; it needs manual
// handling in the merchant platform) is not final and not a failure: Processing.
// Anything else → Unknown.
func RefundStatus(refundStatus string) channel.Status {
	switch refundStatus {
	case "SUCCESS":
		return channel.StatusSucceeded
	case "PROCESSING", "CHANGE":
		return channel.StatusProcessing
	case "REFUNDCLOSE":
		return channel.StatusFailed
	}
	return channel.StatusUnknown
}

// Refund asks for a refund (/secapi/pay/refund, §6.6; needs the client certificate):
// total_fee = req.OrderAmount (required: WeChat checks it equals the order total),
// refund_fee = req.Amount, out_refund_no = req.RefundNo, the order by ChannelTxnID
// (wins) or OrderNo. Success means accepted: StatusProcessing; the final state comes from
// QueryRefund or a refund notification. Unknown outcomes (SYSTEMERROR,
// BIZERR_NEED_RETRY, transport) are retryable with the same RefundNo and amounts, which
// WeChat refunds at most once (§6.6).
func (c *Client) Refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	if req == nil {
		return c.refund(ctx, req)
	}
	return channel.EchoRefundTime(channel.TimeOr(req.RefundTime, c.clk))(c.refund(ctx, req))
}

// refund does the work of Refund; Refund echoes the refund time used.
func (c *Client) refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	cl := call{op: "refund", path: "/secapi/pay/refund", secure: true, retry: true}
	if err := req.Validate(channelName); err != nil {
		return nil, err
	}
	inv := func(field, format string, args ...any) error {
		return channel.InvalidField(channelName, cl.op, field, format, args...)
	}
	if err := validOrderNo(req.RefundNo, 64); err != nil {
		return nil, inv("RefundNo", "%v", err)
	}
	if req.OrderAmount.IsZero() {
		return nil, inv("OrderAmount", "is required: WeChat total_fee must equal the order total (§6.6)")
	}
	refundFee, err := formatFen(req.Amount)
	if err != nil {
		return nil, inv("Amount", "%v", err)
	}
	totalFee, err := formatFen(req.OrderAmount)
	if err != nil {
		return nil, inv("OrderAmount", "%v", err)
	}
	if n := utf8.RuneCountInString(req.Reason); n > 80 {
		return nil, inv("Reason", "is %d characters, WeChat refund_desc allows 80", n)
	}
	p := make(sign.Params, 0, 14)
	if req.ChannelTxnID != "" {
		p.Set("transaction_id", req.ChannelTxnID)
	} else {
		p.Set("out_trade_no", req.OrderNo)
	}
	p.Set("out_refund_no", req.RefundNo)
	p.Set("total_fee", totalFee)
	p.Set("refund_fee", refundFee)
	p.Set("refund_desc", req.Reason)
	notify := req.NotifyURL
	if notify == "" {
		notify = c.notifyURL
	}
	p.Set("notify_url", notify)
	resp, err := c.do(ctx, cl, p)
	if err != nil {
		return nil, err
	}
	if e := c.bizError(cl, resp); e != nil {
		return nil, e
	}
	if err := sameOrder(cl, resp, req.ChannelTxnID, req.OrderNo); err != nil {
		return nil, err
	}
	if v := lookup(resp, "out_refund_no"); v != "" && v != req.RefundNo {
		return nil, mismatch(cl, fmt.Sprintf("answer is for out_refund_no %q, asked for %q", v, req.RefundNo))
	}
	res := &channel.RefundResult{
		Status: channel.StatusProcessing, ChannelStatus: "PROCESSING",
		RefundNo: req.RefundNo, ChannelRefundID: lookup(resp, "refund_id"),
		OrderNo: lookup(resp, "out_trade_no"), ChannelTxnID: lookup(resp, "transaction_id"),
		MoneyMoved: true,
	}
	if res.Amount, err = fen(resp, "refund_fee", "refund_fee_type"); err != nil {
		return nil, badField(cl, "refund_fee", err)
	}
	if res.Amount.IsZero() {
		res.Amount = req.Amount
	} else if res.Amount != req.Amount {
		return nil, mismatch(cl, fmt.Sprintf("answer is for refund_fee %s, asked for %s", res.Amount, req.Amount))
	}
	if v := lookup(resp, "out_refund_no"); v != "" {
		res.RefundNo = v
	}
	if res.OrderNo == "" {
		res.OrderNo = req.OrderNo
	}
	return res, nil
}

// maxRefundsListed bounds the refund_*_$n entries read from one refundquery answer (at
// most 50 refunds per order exist, §11).
const maxRefundsListed = 50

// QueryRefund reads a refund's state (/pay/refundquery, §6.7) by ChannelRefundID
// (refund_id, wins) or RefundNo (out_refund_no). REFUNDNOTEXIST is KindNotFound. Unknown
// outcomes are retryable. CompletedAt is refund_success_time_$n in Beijing time.
func (c *Client) QueryRefund(ctx context.Context, req *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	cl := call{op: "query refund", path: "/pay/refundquery", retry: true}
	if err := req.Validate(channelName); err != nil {
		return nil, err
	}
	p := make(sign.Params, 0, 8)
	if req.ChannelRefundID != "" {
		p.Set("refund_id", req.ChannelRefundID)
	} else {
		p.Set("out_refund_no", req.RefundNo)
	}
	resp, err := c.do(ctx, cl, p)
	if err != nil {
		return nil, err
	}
	if e := c.bizError(cl, resp); e != nil {
		return nil, e
	}
	if err := sameOrder(cl, resp, req.ChannelTxnID, req.OrderNo); err != nil {
		return nil, err
	}
	count, err := strconv.Atoi(lookup(resp, "refund_count"))
	if err != nil || count < 1 {
		return nil, badField(cl, "refund_count", err)
	}
	for i := 0; i < min(count, maxRefundsListed); i++ {
		n := strconv.Itoa(i)
		id, no := lookup(resp, "refund_id_"+n), lookup(resp, "out_refund_no_"+n)
		if req.ChannelRefundID != "" && id != req.ChannelRefundID || req.ChannelRefundID == "" && no != req.RefundNo {
			continue
		}
		st := lookup(resp, "refund_status_"+n)
		res := &channel.RefundResult{
			Status: RefundStatus(st), ChannelStatus: st, RefundNo: no, ChannelRefundID: id,
			OrderNo: lookup(resp, "out_trade_no"), ChannelTxnID: lookup(resp, "transaction_id"),
			MoneyMoved: true,
		}
		if res.Amount, err = fen(resp, "refund_fee_"+n, "fee_type"); err != nil {
			return nil, badField(cl, "refund_fee_"+n, err)
		}
		if res.Status == channel.StatusSucceeded {
			if res.CompletedAt, err = beijingTime(lookup(resp, "refund_success_time_"+n), layoutDashed); err != nil {
				return nil, badField(cl, "refund_success_time_"+n, err)
			}
		}
		return res, nil
	}
	return nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE",
		Message: "the answer does not list the refund asked for", Retryable: true}
}
