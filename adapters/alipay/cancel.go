package alipay

import (
	"context"

	"github.com/tongdao/tongdao/core/channel"
)

const methodCancel = "alipay.trade.cancel"

type cancelResponse struct {
	header
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	RetryFlag  string `json:"retry_flag"`
	Action     string `json:"action"`
}

// Cancel calls alipay.trade.cancel (alipay.md §9.8), the way out of a barcode payment
// whose outcome stays unknown: action=close → StatusClosed (was unpaid), action=refund
// → StatusReversed (was paid, refunded in full), retry_flag=Y → StatusProcessing with
// RetryNeeded (call Cancel again with the same request). No action and retry_flag=N
// means there was nothing left to undo: StatusClosed. ChannelStatus is the action.
// ACQ.TRADE_CANCEL_TIME_OUT and ACQ.CANCEL_NOT_ALLOWED are KindDeclined: use Refund.
func (c *Client) Cancel(ctx context.Context, req *channel.CancelRequest) (*channel.CancelResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	biz, err := marshalBiz(tradeRef{OutTradeNo: req.OrderNo, TradeNo: req.ChannelTxnID})
	if err != nil {
		return nil, c.internalErr("cancel", err)
	}
	var t cancelResponse
	if err := c.do(ctx, call{op: "cancel", method: methodCancel, biz: biz, moneyMoving: true}, &t); err != nil {
		return nil, err
	}
	if err := sameOrder("cancel", req.OrderNo, t.OutTradeNo, req.ChannelTxnID, t.TradeNo); err != nil {
		return nil, err
	}
	r := &channel.CancelResult{
		ChannelStatus: t.Action,
		OrderNo:       firstNonEmpty(t.OutTradeNo, req.OrderNo),
		ChannelTxnID:  firstNonEmpty(t.TradeNo, req.ChannelTxnID),
	}
	switch {
	case t.RetryFlag == "Y":
		r.Status, r.RetryNeeded = channel.StatusProcessing, true
	case t.Action == "refund":
		r.Status = channel.StatusReversed
	case t.Action == "close", t.Action == "":
		r.Status = channel.StatusClosed
	default:
		r.Status = channel.StatusUnknown
	}
	return r, nil
}
