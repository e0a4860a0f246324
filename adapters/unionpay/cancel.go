package unionpay

import (
	"context"
	"errors"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// ErrUndoAfterCutoff is the cause of a Cancel refused before sending because the payment's
// clearing day has ended (23:00 Beijing time): UnionPay undoes a consume only on its own
// clearing day. Refund it instead.
var ErrUndoAfterCutoff = errors.New("unionpay: the payment's clearing day has ended: refund it instead of undoing it")

// Cancel undoes a consume (31/00) on its own clearing day: a new orderId (CancelNo) and
// txnTime (CancelTime), both required; the original is found by a query of OrderNo and
// OrderTime (required too, for its queryId, amount and settleDate). After the original's
// clearing day has ended (23:00 Beijing, Info().DayCutoff) the undo is refused before
// anything is sent, with an error that wraps ErrUndoAfterCutoff: refund instead. A sync
// 00 is Processing (the undo notification or a repeated Cancel gives the final state);
// sending the same CancelNo again returns the undo's state (Reversed once done), so after
// an unknown outcome Cancel can be repeated safely.
func (c *Client) Cancel(ctx context.Context, req *channel.CancelRequest) (*channel.CancelResult, error) {
	const op = "cancel"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := c.number(op, "CancelNo", req.CancelNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "CancelTime", req.CancelTime); err != nil {
		return nil, err
	}
	if req.OrderNo == "" {
		return nil, invalid(op, "OrderNo", "is empty: the undo needs the payment's OrderNo and OrderTime to check its clearing day")
	}
	if err := c.needTime(op, "OrderTime", req.OrderTime); err != nil {
		return nil, err
	}
	backURL := req.NotifyURL
	if backURL == "" {
		backURL = c.notifyURL
	}
	if backURL == "" {
		return nil, invalid(op, "NotifyURL", "is empty and Config.NotifyURL is not set: UnionPay needs a backUrl")
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	ov, err := c.original(ctx, op, req.OrderNo, req.OrderTime)
	if err != nil {
		return nil, err
	}
	if req.ChannelTxnID != "" && req.ChannelTxnID != ov.get("queryId") {
		return nil, invalid(op, "ChannelTxnID", "%s is not the queryId of order %s", req.ChannelTxnID, req.OrderNo)
	}
	amount := amountOf(ov, "txnAmt")
	if !req.Amount.IsZero() && req.Amount != amount {
		return nil, invalid(op, "Amount", "%s: an undo is for the full amount %s", req.Amount, amount)
	}
	ok, err := undoAllowed(ov.get("settleDate"), c.clk.Now(), c.Info().DayCutoff)
	if err != nil {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Retryable: true, Message: "the original's settleDate cannot be read", Err: err}
	}
	if !ok {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: "UNDO_AFTER_CUTOFF", Err: ErrUndoAfterCutoff,
			Message: "order " + req.OrderNo + " was cleared on " + c.settlement(ov).String() + ", today's clearing day is " +
				clock.AccountingDay(c.clk.Now(), c.Info().DayCutoff).String() + ": UnionPay undoes a consume only on its own clearing day (until 23:00 Beijing time); Refund it instead"}
	}
	amt, err := fen(op, "Amount", amount)
	if err != nil {
		return nil, err
	}
	v, rule, _, err := c.sendFollowUp(ctx, followUp{op: op, txnType: "31", sub: "00", no: req.CancelNo, at: req.CancelTime,
		origQryID: ov.get("queryId"), origOrderNo: req.OrderNo, amount: amt, backURL: backURL, amountWanted: amount, wantOrigQryID: ov.get("queryId")})
	if err != nil {
		return nil, err
	}
	r := c.cancelResult(v, rule)
	r.OrderNo, r.CancelNo, r.CancelTime, r.ChannelTxnID = req.OrderNo, req.CancelNo, req.CancelTime, ov.get("queryId")
	return r, nil
}

func (c *Client) cancelResult(v *verified, rule codeRule) *channel.CancelResult {
	st := v.get("origRespCode")
	if st == "" {
		st = v.get("respCode")
	}
	r := &channel.CancelResult{ChannelStatus: st, OrderNo: origOrder(v), ChannelTxnID: v.get("origQryId"),
		CancelNo: v.get("orderId"), ChannelCancelID: v.get("queryId"), Amount: amountOf(v, "txnAmt")}
	switch s := statusOf(rule); s {
	case channel.StatusSucceeded:
		r.Status, r.CompletedAt = channel.StatusReversed, c.completedAt(v)
	default:
		r.Status = s
	}
	return r
}
