package alipay

import (
	"context"

	"github.com/tongdao/tongdao/core/channel"
)

const (
	methodQuery = "alipay.trade.query"
	methodClose = "alipay.trade.close"
)

// tradeRef is the biz_content naming a trade; trade_no wins when both are given
// (alipay.md §8).
type tradeRef struct {
	OutTradeNo string `json:"out_trade_no,omitempty"`
	TradeNo    string `json:"trade_no,omitempty"`
}

// Query calls alipay.trade.query (alipay.md §9.6) and maps trade_status as documented
// on tradeStatus. ACQ.TRADE_NOT_EXIST is KindNotFound — and right after a QR, Web, H5
// or App payment it means "the payer has not scanned / reached the cashier yet", not
// failure (alipay.md §9.2): treat it as pending until the order's expiry has passed.
func (c *Client) Query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	if req == nil {
		return c.query(ctx, req)
	}
	return channel.EchoOrderTime(req.OrderTime)(c.query(ctx, req))
}

// query does the work of Query; Query echoes the request's OrderTime.
func (c *Client) query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	biz, err := marshalBiz(tradeRef{OutTradeNo: req.OrderNo, TradeNo: req.ChannelTxnID})
	if err != nil {
		return nil, c.internalErr("query", err)
	}
	var t tradeResponse
	if err := c.do(ctx, call{op: "query", method: methodQuery, biz: biz}, &t); err != nil {
		return nil, err
	}
	if err := sameOrder("query", req.OrderNo, t.OutTradeNo, req.ChannelTxnID, t.TradeNo); err != nil {
		return nil, err
	}
	return t.result("query", channel.StatusUnknown)
}

// Close calls alipay.trade.close (alipay.md §9.7). Success is CloseClosed.
// ACQ.TRADE_STATUS_ERROR and ACQ.TRADE_HAS_CLOSE are resolved by a query: a trade that is
// already closed and was never paid is CloseAlreadyClosed (idempotent close); a paid one
// keeps the KindAlreadyDone error (treat the order as paid). ACQ.TRADE_NOT_EXIST is
// CloseNeverCreated: Alipay creates a precreate (QR) or page/wap/app trade only when the
// payer scans or opens it, so there is nothing to close yet — but the payer can still pay
// until the QR code or page expires (req.ExpiresAt, echoed as the result's ExpiresAt):
// Query after that.
func (c *Client) Close(ctx context.Context, req *channel.CloseRequest) (*channel.CloseResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	biz, err := marshalBiz(tradeRef{OutTradeNo: req.OrderNo, TradeNo: req.ChannelTxnID})
	if err != nil {
		return nil, c.internalErr("close", err)
	}
	var t tradeResponse
	err = c.do(ctx, call{op: "close", method: methodClose, biz: biz, moneyMoving: true}, &t)
	if err != nil {
		if isSub(err, "ACQ.TRADE_NOT_EXIST") {
			return &channel.CloseResult{Outcome: channel.CloseNeverCreated, Status: channel.StatusPending,
				ChannelStatus: "ACQ.TRADE_NOT_EXIST", OrderNo: req.OrderNo, ExpiresAt: req.ExpiresAt}, nil
		}
		if !isSub(err, "ACQ.TRADE_STATUS_ERROR") && !isSub(err, "ACQ.TRADE_HAS_CLOSE") {
			return nil, err
		}
		q, qerr := c.Query(ctx, &channel.QueryRequest{OrderNo: req.OrderNo, ChannelTxnID: req.ChannelTxnID})
		if qerr != nil || q.Status != channel.StatusClosed {
			return nil, err
		}
		return &channel.CloseResult{Outcome: channel.CloseAlreadyClosed, Status: channel.StatusClosed,
			ChannelStatus: q.ChannelStatus, OrderNo: q.OrderNo, ChannelTxnID: q.ChannelTxnID}, nil
	}
	if err := sameOrder("close", req.OrderNo, t.OutTradeNo, req.ChannelTxnID, t.TradeNo); err != nil {
		return nil, err
	}
	return &channel.CloseResult{
		Outcome:       channel.CloseClosed,
		Status:        channel.StatusClosed,
		ChannelStatus: TradeClosed,
		OrderNo:       firstNonEmpty(t.OutTradeNo, req.OrderNo),
		ChannelTxnID:  firstNonEmpty(t.TradeNo, req.ChannelTxnID),
	}, nil
}
