package alipay

import (
	"context"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/tongdao/tongdao/core/channel"
)

const (
	methodRefund      = "alipay.trade.refund"
	methodRefundQuery = "alipay.trade.fastpay.refund.query"
)

type refundBiz struct {
	OutTradeNo   string `json:"out_trade_no,omitempty"`
	TradeNo      string `json:"trade_no,omitempty"`
	RefundAmount string `json:"refund_amount"`
	OutRequestNo string `json:"out_request_no"`
	RefundReason string `json:"refund_reason,omitempty"`
}

type refundResponse struct {
	header
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	FundChange   string `json:"fund_change"`
	RefundFee    string `json:"refund_fee"`
	GmtRefundPay string `json:"gmt_refund_pay"`
}

// Refund calls alipay.trade.refund (alipay.md §9.9). out_request_no is always
// RefundNo, so partial refunds and retries work alike. refund_fee in the answer is the
// trade's CUMULATIVE refunded amount and becomes RefundedTotal; Amount is this refund.
//
//   - fund_change=Y: this call moved the money → Succeeded, MoneyMoved.
//   - fund_change=N: a repeat, or not confirmed; alipay.trade.fastpay.refund.query
//     decides (alipay.md §9.9, §9.10): refunded → Succeeded with MoneyMoved=false; no
//     refund data (or the query failed) → StatusUnknown: retry Refund with the same
//     RefundNo and amount, never a new number.
//
// ACQ.REASON_TRADE_REFUND_FEE_ERR (more than refundable) is KindInvalidRequest,
// ACQ.DISCORDANT_REPEAT_REQUEST (same RefundNo, other amount) KindUnknown (query the
// refund), ACQ.SELLER_BALANCE_NOT_ENOUGH KindInsufficientFunds (retryable). Alipay sends
// refund notifications to the payment's notify_url; RefundRequest.NotifyURL is not used.
func (c *Client) Refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	if req == nil {
		return c.refund(ctx, req)
	}
	return channel.EchoRefundTime(channel.TimeOr(req.RefundTime, c.clk))(c.refund(ctx, req))
}

// refund does the work of Refund; Refund echoes the refund time used.
func (c *Client) refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := validOutNo("refund", "RefundNo", req.RefundNo); err != nil {
		return nil, err
	}
	amount, err := yuan("refund", "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.Reason) > 256 {
		return nil, channel.InvalidField(Name, "refund", "Reason", "is longer than 256 characters")
	}
	biz, err := marshalBiz(refundBiz{OutTradeNo: req.OrderNo, TradeNo: req.ChannelTxnID, RefundAmount: amount,
		OutRequestNo: req.RefundNo, RefundReason: req.Reason})
	if err != nil {
		return nil, c.internalErr("refund", err)
	}
	var t refundResponse
	if err := c.do(ctx, call{op: "refund", method: methodRefund, biz: biz, moneyMoving: true}, &t); err != nil {
		return nil, err
	}
	if err := sameOrder("refund", req.OrderNo, t.OutTradeNo, req.ChannelTxnID, t.TradeNo); err != nil {
		return nil, err
	}
	r := &channel.RefundResult{
		RefundNo:     req.RefundNo,
		OrderNo:      firstNonEmpty(t.OutTradeNo, req.OrderNo),
		ChannelTxnID: firstNonEmpty(t.TradeNo, req.ChannelTxnID),
		Amount:       req.Amount,
	}
	if r.RefundedTotal, err = parseYuan("refund_fee", t.RefundFee); err != nil {
		return nil, decodeErr("refund", err)
	}
	if t.FundChange == "Y" {
		r.Status, r.MoneyMoved, r.ChannelStatus = channel.StatusSucceeded, true, "fund_change=Y"
		if r.CompletedAt, err = parseTime("gmt_refund_pay", t.GmtRefundPay); err != nil {
			return nil, decodeErr("refund", err)
		}
		return r, nil
	}
	// fund_change=N: ask the refund query for the truth (alipay.md §9.9).
	r.ChannelStatus = "fund_change=N"
	q, qerr := c.QueryRefund(ctx, &channel.RefundQueryRequest{RefundNo: req.RefundNo, OrderNo: req.OrderNo, ChannelTxnID: req.ChannelTxnID})
	if qerr != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "alipay: refund with fund_change=N not confirmed by query",
			slog.String("out_request_no", req.RefundNo), slog.String("error", qerr.Error()))
		r.Status = channel.StatusUnknown
		return r, nil
	}
	if q.Status == channel.StatusSucceeded && (q.Amount.IsZero() || q.Amount == req.Amount) {
		r.Status, r.ChannelStatus, r.CompletedAt = channel.StatusSucceeded, q.ChannelStatus, q.CompletedAt
		if r.CompletedAt.IsZero() {
			r.CompletedAt, _ = parseTime("gmt_refund_pay", t.GmtRefundPay)
		}
		return r, nil
	}
	r.Status = channel.StatusUnknown
	return r, nil
}

type refundQueryBiz struct {
	OutTradeNo   string   `json:"out_trade_no,omitempty"`
	TradeNo      string   `json:"trade_no,omitempty"`
	OutRequestNo string   `json:"out_request_no"`
	QueryOptions []string `json:"query_options,omitempty"`
}

type refundQueryResponse struct {
	header
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	OutRequestNo string `json:"out_request_no"`
	TotalAmount  string `json:"total_amount"`
	RefundAmount string `json:"refund_amount"`
	RefundStatus string `json:"refund_status"`
	GmtRefundPay string `json:"gmt_refund_pay"`
}

// RefundStatusSuccess is the refund_status of a completed refund (alipay.md §9.10).
const RefundStatusSuccess = "REFUND_SUCCESS"

// QueryRefund calls alipay.trade.fastpay.refund.query (alipay.md §9.10). Alipay needs
// the trade (OrderNo or ChannelTxnID) and the RefundNo (out_request_no; for a full
// refund sent without one, the out_trade_no). A 10000 answer only means the query ran:
// refund_status=REFUND_SUCCESS, or refund data without a status (older gateways), is
// Succeeded; an answer without refund data means Alipay has no such refund →
// KindNotFound with Code "REFUND_NOT_EXIST" (retry the Refund with the same RefundNo).
func (c *Client) QueryRefund(ctx context.Context, req *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if req.RefundNo == "" {
		return nil, channel.InvalidField(Name, "query refund", "RefundNo", "is required by Alipay (out_request_no); it has no refund id")
	}
	if req.OrderNo == "" && req.ChannelTxnID == "" {
		return nil, channel.InvalidField(Name, "query refund", "OrderNo", "is empty and so is ChannelTxnID; Alipay needs the trade")
	}
	biz, err := marshalBiz(refundQueryBiz{OutTradeNo: req.OrderNo, TradeNo: req.ChannelTxnID, OutRequestNo: req.RefundNo,
		QueryOptions: []string{"gmt_refund_pay"}})
	if err != nil {
		return nil, c.internalErr("query refund", err)
	}
	var t refundQueryResponse
	if err := c.do(ctx, call{op: "query refund", method: methodRefundQuery, biz: biz}, &t); err != nil {
		return nil, err
	}
	if err := sameOrder("query refund", req.OrderNo, t.OutTradeNo, req.ChannelTxnID, t.TradeNo); err != nil {
		return nil, err
	}
	if t.OutRequestNo != "" && t.OutRequestNo != req.RefundNo {
		return nil, &channel.Error{Channel: Name, Op: "query refund", Kind: channel.KindUnknown, Code: "RESPONSE_MISMATCH",
			Message: fmt.Sprintf("answer is for out_request_no %q, asked for %q", t.OutRequestNo, req.RefundNo), Retryable: true}
	}
	if t.RefundStatus == "" && t.RefundAmount == "" {
		return nil, &channel.Error{Channel: Name, Op: "query refund", Kind: channel.KindNotFound, Code: "REFUND_NOT_EXIST",
			Message: "Alipay reports no refund with out_request_no " + req.RefundNo}
	}
	r := &channel.RefundResult{
		ChannelStatus: t.RefundStatus,
		RefundNo:      firstNonEmpty(t.OutRequestNo, req.RefundNo),
		OrderNo:       firstNonEmpty(t.OutTradeNo, req.OrderNo),
		ChannelTxnID:  firstNonEmpty(t.TradeNo, req.ChannelTxnID),
		MoneyMoved:    true,
	}
	if r.Amount, err = parseYuan("refund_amount", t.RefundAmount); err != nil {
		return nil, decodeErr("query refund", err)
	}
	switch t.RefundStatus {
	case RefundStatusSuccess, "":
		r.Status = channel.StatusSucceeded
		if r.CompletedAt, err = parseTime("gmt_refund_pay", t.GmtRefundPay); err != nil {
			return nil, decodeErr("query refund", err)
		}
	default:
		r.Status = channel.StatusUnknown
	}
	return r, nil
}
