package unionpay

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// authOps maps the pre-authorisation family's txnType to its operation (unionpay.md §4.3).
var authOps = map[string]channel.AuthOp{"02": channel.AuthPreAuth, "32": channel.AuthUndo, "03": channel.AuthCapture, "33": channel.AuthCaptureUndo}

// PreAuth freezes req.Amount: pre-auth 02/01 with bizType 000201, by MethodWeb/MethodH5
// (frontTransReq form) or MethodApp (appTransReq tn). The contract's AuthResult has no
// place for the payer's action: use PreAuthAction to get it. The result is Pending until
// the payer acts; QueryAuth or the notification gives the frozen amount.
func (c *Client) PreAuth(ctx context.Context, req *channel.PayRequest) (*channel.AuthResult, error) {
	r, _, err := c.PreAuthAction(ctx, req)
	return r, err
}

// PreAuthAction is PreAuth that also returns what the payer must do: the form for Web/H5
// or the tn for App.
func (c *Client) PreAuthAction(ctx context.Context, req *channel.PayRequest) (*channel.AuthResult, *channel.PayAction, error) {
	const op = "preauth"
	if err := req.Validate(Name); err != nil {
		return nil, nil, err
	}
	if req.Method != channel.MethodApp && req.Method != channel.MethodWeb && req.Method != channel.MethodH5 {
		return nil, nil, channel.Unsupported(Name, op, req.Method)
	}
	if err := c.number(op, "OrderNo", req.OrderNo); err != nil {
		return nil, nil, err
	}
	if err := c.needTime(op, "OrderTime", req.OrderTime); err != nil {
		return nil, nil, err
	}
	amt, err := fen(op, "Amount", req.Amount)
	if err != nil {
		return nil, nil, err
	}
	backURL := req.NotifyURL
	if backURL == "" {
		backURL = c.notifyURL
	}
	if backURL == "" {
		return nil, nil, invalid(op, "NotifyURL", "is empty and Config.NotifyURL is not set: UnionPay needs a backUrl")
	}
	if err := c.before(ctx, op); err != nil {
		return nil, nil, err
	}
	res := &channel.AuthResult{Op: channel.AuthPreAuth, Status: channel.StatusPending, OpNo: req.OrderNo, OpTime: req.OrderTime, Amount: req.Amount}
	if req.Method == channel.MethodApp {
		content := appContent(req, "preauth")
		c.mu.Lock()
		a, seen := c.actions[req.OrderNo]
		c.mu.Unlock()
		if seen {
			if a.content != content {
				return nil, nil, invalid(op, "OrderNo", "%s was sent before with other content", req.OrderNo)
			}
			return res, &channel.PayAction{Kind: channel.ActionAppParams, TN: a.tn, Params: map[string]string{"tn": a.tn}, ExpiresAt: a.expires}, nil
		}
		v, err := c.w.call(ctx, pathApp, op, opSync, c.frontFields(req, "02", "01", amt, backURL, "08"))
		if err != nil {
			var we *wireError
			if errors.As(err, &we) && we.code == "12" {
				return nil, nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindAlreadyDone, Code: "12", Message: "orderId " + req.OrderNo + " was used before: QueryAuth it"}
			}
			return nil, nil, c.fail(op, resendUnsafe, err)
		}
		a = appAction{content: content, tn: v.get("tn"), expires: c.expiry(req)}
		c.remember(req.OrderNo, a)
		return res, &channel.PayAction{Kind: channel.ActionAppParams, TN: a.tn, Params: map[string]string{"tn": a.tn}, ExpiresAt: a.expires}, nil
	}
	front := req.ReturnURL
	if front == "" {
		front = c.frontURL
	}
	if front == "" {
		return nil, nil, invalid(op, "ReturnURL", "is empty and Config.FrontURL is not set")
	}
	ct := "07"
	if req.Method == channel.MethodH5 {
		ct = "08"
	}
	p := c.frontFields(req, "02", "01", amt, backURL, ct)
	p.Set("frontUrl", front)
	action, err := c.form(p, c.expiry(req))
	if err != nil {
		return nil, nil, c.fail(op, resendUnsafe, err)
	}
	return res, action, nil
}

// authOp is one of undo 32, completion 03, completion undo 33.
func (c *Client) authOp(ctx context.Context, op, txnType string, kind channel.AuthOp, req *channel.AuthRequest) (*channel.AuthResult, error) {
	if err := req.Validate(Name, op); err != nil {
		return nil, err
	}
	if err := c.number(op, "OpNo", req.OpNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "OpTime", req.OpTime); err != nil {
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
	orig := req.OrigChannelTxnID
	if orig == "" {
		ov, err := c.original(ctx, op, req.OrigOrderNo, req.OrigOrderTime)
		if err != nil {
			return nil, err
		}
		orig = ov.get("queryId")
	}
	v, rule, _, err := c.sendFollowUp(ctx, followUp{op: op, txnType: txnType, sub: "00", no: req.OpNo, at: req.OpTime,
		origQryID: orig, origOrderNo: req.OrigOrderNo, amount: amt, backURL: backURL, amountWanted: req.Amount, wantOrigQryID: orig})
	if err != nil {
		return nil, err
	}
	r := c.authResult(v, kind)
	r.Status = statusOf(rule)
	r.OpNo, r.OpTime, r.OrigOrderNo, r.OrigChannelTxnID, r.Amount = req.OpNo, req.OpTime, req.OrigOrderNo, orig, req.Amount
	c.amounts(r)
	return r, nil
}

// UndoPreAuth releases a pre-authorisation in full (32/00, within 30 days).
func (c *Client) UndoPreAuth(ctx context.Context, req *channel.AuthRequest) (*channel.AuthResult, error) {
	return c.authOp(ctx, "preauth undo", "32", channel.AuthUndo, req)
}

// Capture completes a pre-authorisation (03/00) for up to 115 % of the frozen amount,
// once, within 30 days.
func (c *Client) Capture(ctx context.Context, req *channel.AuthRequest) (*channel.AuthResult, error) {
	return c.authOp(ctx, "capture", "03", channel.AuthCapture, req)
}

// UndoCapture cancels a capture on its own clearing day (33/00), in full; the hold comes
// back. OrigOrderNo/OrigChannelTxnID name the capture.
func (c *Client) UndoCapture(ctx context.Context, req *channel.AuthRequest) (*channel.AuthResult, error) {
	return c.authOp(ctx, "capture undo", "33", channel.AuthCaptureUndo, req)
}

// QueryAuth queries one operation by its number and time (OpTime required). UnionPay's
// query does not say which operation a number was: the result's Op is AuthPreAuth when the
// transaction names no original, and empty otherwise (the caller knows what it sent).
func (c *Client) QueryAuth(ctx context.Context, req *channel.AuthQuery) (*channel.AuthResult, error) {
	const op = "query auth"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if req.OpNo == "" {
		return nil, invalid(op, "OpNo", "is empty: UnionPay finds an operation by OpNo and OpTime")
	}
	if err := c.needTime(op, "OpTime", req.OpTime); err != nil {
		return nil, err
	}
	v, rule, err := c.query(ctx, op, req.OpNo, req.OpTime)
	if err != nil {
		return nil, err
	}
	var kind channel.AuthOp
	if v.get("origQryId") == "" {
		kind = channel.AuthPreAuth
	}
	r := c.authResult(v, kind)
	r.Status = statusOf(rule)
	r.OpNo, r.OpTime = req.OpNo, req.OpTime
	if r.Status != channel.StatusSucceeded {
		r.CompletedAt = time.Time{}
	}
	c.amounts(r)
	return r, nil
}

// amounts fills FrozenAmount and CapturedAmount from the operation and its state, where
// the operation says them: a succeeded pre-auth holds its amount, a succeeded capture took
// its amount and released the hold, the undos bring theirs back to zero.
func (c *Client) amounts(r *channel.AuthResult) {
	if r.Status != channel.StatusSucceeded {
		return
	}
	switch r.Op {
	case channel.AuthPreAuth:
		r.FrozenAmount = r.Amount
	case channel.AuthCapture:
		r.CapturedAmount = r.Amount
	}
}

func (c *Client) authResult(v *verified, kind channel.AuthOp) *channel.AuthResult {
	st := v.get("origRespCode")
	if st == "" {
		st = v.get("respCode")
	}
	r := &channel.AuthResult{Op: kind, ChannelStatus: st, OpNo: v.get("orderId"), ChannelTxnID: v.get("queryId"),
		OrigOrderNo: origOrder(v), OrigChannelTxnID: v.get("origQryId"), Amount: amountOf(v, "txnAmt"),
		CompletedAt: c.completedAt(v), SettlementDate: c.settlement(v)}
	if kind == channel.AuthPreAuth {
		r.OrigOrderNo = ""
	}
	return r
}
