package unionpay

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// followUp is an operation on an earlier transaction: refund 04, consume undo 31,
// pre-auth undo 32, completion 03, completion undo 33 (unionpay.md §4.2, §4.3, §11). It
// has its own orderId (no) and txnTime (at), names the original by origQryId, and carries
// the original's merchant number in reqReserved so that its notification and query can
// name it. A sync 00 means accepted. A reused orderId (12) is answered by querying the
// operation itself: dup is true and v is the query's answer.
type followUp struct {
	op            string
	txnType, sub  string
	no            string
	at            time.Time
	origQryID     string
	origOrderNo   string
	amount        string
	backURL       string
	amountWanted  money.Amount
	wantOrigQryID string
}

func (c *Client) sendFollowUp(ctx context.Context, f followUp) (v *verified, rule codeRule, dup bool, err error) {
	p := c.base(f.txnType, f.sub, bizGateway, f.no, f.at)
	p = append(p, sign.Param{Key: "origQryId", Value: f.origQryID}, sign.Param{Key: "txnAmt", Value: f.amount},
		sign.Param{Key: "currencyCode", Value: "156"}, sign.Param{Key: "backUrl", Value: f.backURL},
		sign.Param{Key: "reqReserved", Value: f.origOrderNo})
	v, err = c.w.call(ctx, pathBack, f.op, opMoney, p)
	if err == nil {
		return v, codeRule{outcome: outProcessing}, false, nil
	}
	var we *wireError
	if !errors.As(err, &we) || we.code != "12" && we.code != "45" && we.code != "46" {
		return nil, codeRule{}, false, c.fail(f.op, resendSafe, err)
	}
	// The orderId was used before (12), or the original is already undone or refunded
	// (45, 46), perhaps by this very operation sent before: its own state says which.
	qv, rule, qerr := c.query(ctx, f.op, f.no, f.at)
	if qerr != nil {
		if channel.KindOf(qerr) == channel.KindNotFound && we.code != "12" {
			return nil, codeRule{}, false, c.fail(f.op, resendSafe, err)
		}
		if channel.KindOf(qerr) == channel.KindNotFound {
			return nil, codeRule{}, true, &channel.Error{Channel: Name, Op: f.op, Kind: channel.KindAlreadyDone, Code: "12",
				Message: "orderId " + f.no + " was used before by another request"}
		}
		return nil, codeRule{}, true, qerr
	}
	if got := amountOf(qv, "txnAmt"); got.IsPositive() && got != f.amountWanted {
		return nil, codeRule{}, true, invalid(f.op, "Amount", "%s differs from the amount %s already sent under number %s", f.amountWanted, got, f.no)
	}
	if oq := qv.get("origQryId"); oq != "" && f.wantOrigQryID != "" && oq != f.wantOrigQryID {
		return nil, codeRule{}, true, invalid(f.op, "OrigChannelTxnID", "number %s was used for an operation on another transaction", f.no)
	}
	return qv, rule, true, nil
}

// original finds the queryId (and amount and clearing date) of an earlier transaction by
// its number and time, when the caller did not pass its ChannelTxnID.
func (c *Client) original(ctx context.Context, op, orderNo string, at time.Time) (*verified, error) {
	if orderNo == "" {
		return nil, invalid(op, "OrderNo", "is empty and so is ChannelTxnID")
	}
	if err := c.needTime(op, "OrderTime", at); err != nil {
		return nil, err
	}
	v, rule, err := c.query(ctx, op, orderNo, at)
	if err != nil {
		return nil, err
	}
	if rule.outcome != outSucceeded {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: v.get("origRespCode"),
			Message: "the original " + orderNo + " has not succeeded (origRespCode " + v.get("origRespCode") + ")"}
	}
	return v, nil
}

// Refund asks for a refund 04/00: its own orderId (RefundNo) and txnTime (RefundTime,
// required), the original named by ChannelTxnID (origQryId; found by a query of OrderNo
// and OrderTime when empty). Partial refunds up to the paid amount, within about 11
// months. A sync 00 is Processing; the notification or QueryRefund gives the final state.
// Sending the same RefundNo again returns the refund's state (UnionPay refuses the reused
// orderId, so nothing is refunded twice); after an unknown outcome it is safe to resend.
func (c *Client) Refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	const op = "refund"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := c.number(op, "RefundNo", req.RefundNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "RefundTime", req.RefundTime); err != nil {
		return nil, err
	}
	amt, err := fen(op, "Amount", req.Amount)
	if err != nil {
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
	orig := req.ChannelTxnID
	if orig == "" {
		ov, err := c.original(ctx, op, req.OrderNo, req.OrderTime)
		if err != nil {
			return nil, err
		}
		orig = ov.get("queryId")
	}
	v, rule, _, err := c.sendFollowUp(ctx, followUp{op: op, txnType: "04", sub: "00", no: req.RefundNo, at: req.RefundTime,
		origQryID: orig, origOrderNo: req.OrderNo, amount: amt, backURL: backURL, amountWanted: req.Amount, wantOrigQryID: orig})
	if err != nil {
		return nil, err
	}
	r := c.refundResult(v)
	r.Status = statusOf(rule)
	r.RefundNo, r.RefundTime, r.OrderNo, r.Amount = req.RefundNo, req.RefundTime, req.OrderNo, req.Amount
	if r.ChannelTxnID == "" {
		r.ChannelTxnID = orig
	}
	return r, nil
}

// QueryRefund queries the refund by its own orderId (RefundNo) and txnTime (RefundTime,
// required): origRespCode 00 is Succeeded, 03/04/05 Processing, other codes Failed;
// respCode 34 is KindNotFound.
func (c *Client) QueryRefund(ctx context.Context, req *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	const op = "query refund"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if req.RefundNo == "" {
		return nil, invalid(op, "RefundNo", "is empty: UnionPay finds a refund by RefundNo and RefundTime")
	}
	if err := c.needTime(op, "RefundTime", req.RefundTime); err != nil {
		return nil, err
	}
	v, rule, err := c.query(ctx, op, req.RefundNo, req.RefundTime)
	if err != nil {
		return nil, err
	}
	r := c.refundResult(v)
	r.Status = statusOf(rule)
	r.RefundNo, r.RefundTime = req.RefundNo, req.RefundTime
	if r.OrderNo == "" {
		r.OrderNo = req.OrderNo
	}
	if r.Status != channel.StatusSucceeded {
		r.CompletedAt = time.Time{}
	}
	return r, nil
}

func (c *Client) refundResult(v *verified) *channel.RefundResult {
	st := v.get("origRespCode")
	if st == "" {
		st = v.get("respCode")
	}
	return &channel.RefundResult{
		ChannelStatus: st, RefundNo: v.get("orderId"), ChannelRefundID: v.get("queryId"),
		OrderNo: origOrder(v), ChannelTxnID: v.get("origQryId"), Amount: amountOf(v, "txnAmt"),
		CompletedAt: c.completedAt(v), MoneyMoved: true,
	}
}

// origOrder is the original's merchant number the adapter put into reqReserved, when the
// answer echoes it.
func origOrder(v *verified) string {
	if s := v.get("reqReserved"); alnum(s) && len(s) >= 8 && len(s) <= 32 {
		return s
	}
	return ""
}
