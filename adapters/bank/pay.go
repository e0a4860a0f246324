package bank

import (
	"context"
	"encoding/json"
	"github.com/tongdao/tongdao/core/clock"

	"github.com/tongdao/tongdao/core/channel"
)

// payStatus maps a transaction status of §6/§7 to the contract's.
func payStatus(s string) channel.Status {
	switch s {
	case "SUCCESS":
		return channel.StatusSucceeded
	case "FAIL":
		return channel.StatusFailed
	case "PROCESSING":
		return channel.StatusProcessing
	case "RETURNED":
		return channel.StatusReversed
	}
	return channel.StatusUnknown
}

// Pay makes an agreement payment (PAY, §6): req.Method must be MethodToken, req.Token the
// protocolNo of a binding and req.PayerID the userId it belongs to; Subject and a notify
// URL (req.NotifyURL or Config.NotifyURL) are required. The answer 0000 is Succeeded,
// 0001 Processing (final by notification or Query); a decline is an error of its Kind.
// A timeout, dropped connection or unverifiable answer is KindUnknown and never
// Retryable: Query with the same OrderNo.
//
// The reqSerial is derived from OrderNo (§9): repeating the identical request replays the
// bank's stored answer (the same result, no second debit); the same OrderNo with other
// content is refused (KindInvalidRequest).
func (c *Client) Pay(ctx context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if req.Method != channel.MethodToken {
		return nil, channel.Unsupported(Name, opPay, req.Method)
	}
	if err := numberRule.Validate(Name, opPay, "OrderNo", req.OrderNo); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opPay, "Token", req.Token); err != nil {
		return nil, err
	}
	if err := userRule.Validate(Name, opPay, "PayerID", req.PayerID); err != nil {
		return nil, err
	}
	amount, err := fenString(opPay, "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if req.Subject == "" {
		return nil, invalid(opPay, "Subject", "is empty")
	}
	nu, err := c.notify(opPay, req.NotifyURL)
	if err != nil {
		return nil, err
	}
	if nu == "" {
		return nil, invalid(opPay, "NotifyURL", "is empty and Config.NotifyURL is not set; the bank requires one")
	}
	data := map[string]string{"orderNo": req.OrderNo, "userId": req.PayerID, "protocolNo": req.Token,
		"amount": amount, "subject": req.Subject, "notifyUrl": nu}
	if req.ClientIP != "" {
		ri, _ := json.Marshal(map[string]string{"clientIp": req.ClientIP})
		data["riskInfo"] = string(ri)
	}
	serial, err := c.serials.derive("PAY", req.OrderNo)
	if err != nil {
		return nil, invalid(opPay, "OrderNo", "%v", err)
	}
	orderTime := req.OrderTime
	if orderTime.IsZero() {
		orderTime = c.clk.Now()
	}
	x, err := c.call(ctx, opPay, "PAY", serial, data)
	if err != nil {
		return nil, err
	}
	if err := answerErr(opPay, x); err != nil {
		return nil, err
	}
	res, err := c.payment(opPay, x)
	if err != nil {
		return nil, err
	}
	if res.Amount != req.Amount {
		return nil, mismatch(opPay, "amount", x)
	}
	res.OrderTime = orderTime.In(clock.Beijing())
	res.PayerID = req.PayerID
	return res, nil
}

// payment decodes the data of a PAY, PAY_QUERY or PAY_RESULT (§6).
func (c *Client) payment(op string, x *exchange) (*channel.PaymentResult, error) {
	r := x.resp
	amt, ok := dataFen(r, "amount")
	if !ok || r.str("orderNo") == "" {
		return nil, mismatch(op, "amount/orderNo", x)
	}
	res := &channel.PaymentResult{
		Status: payStatus(r.str("status")), ChannelStatus: r.str("status"), OrderNo: r.str("orderNo"),
		ChannelTxnID: r.str("bankSerial"), Amount: amt, MerchantID: c.merchantID,
		SettlementDate: dataDate(r, "settleDate"),
	}
	if res.Status == channel.StatusSucceeded {
		res.PaidAmount = amt
		res.PaidAt = dataTime(r, "finishTime")
	}
	// The code decides when the data's status disagrees with it (§8.1): 0001 is never final.
	if r.Code == "0001" && res.Status.Final() {
		res.Status = channel.StatusProcessing
	}
	return res, nil
}

// Query returns a payment's state (PAY_QUERY, §6) by OrderNo (or ChannelTxnID, the
// bankSerial). It changes nothing; failures after sending are KindUnknown and Retryable.
// KindNotFound shortly after a Pay whose outcome was unknown may mean "not seen yet"
// (§9.3): treat it as unknown until a minute has passed and a resend of the identical Pay
// did not create it either.
func (c *Client) Query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	data := map[string]string{}
	if req.OrderNo != "" {
		if err := numberRule.Validate(Name, opQuery, "OrderNo", req.OrderNo); err != nil {
			return nil, err
		}
		data["orderNo"] = req.OrderNo
	} else {
		if err := numberRule.Validate(Name, opQuery, "ChannelTxnID", req.ChannelTxnID); err != nil {
			return nil, err
		}
		data["bankSerial"] = req.ChannelTxnID
	}
	x, err := c.call(ctx, opQuery, "PAY_QUERY", c.serials.fresh(), data)
	if err != nil {
		return nil, err
	}
	if err := answerErr(opQuery, x); err != nil {
		return nil, err
	}
	res, err := c.payment(opQuery, x)
	if err != nil {
		return nil, err
	}
	if req.OrderNo != "" && res.OrderNo != req.OrderNo {
		return nil, mismatch(opQuery, "orderNo", x)
	}
	res.OrderTime = req.OrderTime
	return res, nil
}

// Refund refunds part or all of a paid order (REFUND, §6): req.OrderNo names it (the
// bank has no refund by bankSerial alone). Same clearing day: usually Succeeded at once;
// later: Processing, final by notification or QueryRefund. The reqSerial is derived from
// RefundNo, so after an unknown outcome (KindUnknown, Retryable) the identical request may
// be sent again: the bank replays its stored answer and refunds at most once.
func (c *Client) Refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opRefund, "RefundNo", req.RefundNo); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opRefund, "OrderNo", req.OrderNo); err != nil {
		return nil, err
	}
	amount, err := fenString(opRefund, "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	nu, err := c.notify(opRefund, req.NotifyURL)
	if err != nil {
		return nil, err
	}
	data := map[string]string{"refundNo": req.RefundNo, "orderNo": req.OrderNo, "amount": amount}
	if nu != "" {
		data["notifyUrl"] = nu
	}
	if req.Reason != "" {
		data["reason"] = req.Reason
	}
	serial, err := c.serials.derive("REFUND", req.RefundNo)
	if err != nil {
		return nil, invalid(opRefund, "RefundNo", "%v", err)
	}
	refundTime := req.RefundTime
	if refundTime.IsZero() {
		refundTime = c.clk.Now()
	}
	x, err := c.call(ctx, opRefund, "REFUND", serial, data)
	if err != nil {
		return nil, err
	}
	if err := answerErr(opRefund, x); err != nil {
		return nil, err
	}
	res, err := refundResult(opRefund, x)
	if err != nil {
		return nil, err
	}
	if res.Amount != req.Amount {
		return nil, mismatch(opRefund, "amount", x)
	}
	res.RefundTime = refundTime
	return res, nil
}

// refundResult decodes the data of REFUND, REFUND_QUERY or REFUND_RESULT (§6).
func refundResult(op string, x *exchange) (*channel.RefundResult, error) {
	r := x.resp
	amt, ok := dataFen(r, "amount")
	if !ok || r.str("refundNo") == "" {
		return nil, mismatch(op, "amount/refundNo", x)
	}
	res := &channel.RefundResult{
		Status: payStatus(r.str("status")), ChannelStatus: r.str("status"), RefundNo: r.str("refundNo"),
		ChannelRefundID: r.str("bankSerial"), OrderNo: r.str("orderNo"), Amount: amt,
	}
	if r.Code == "0001" && res.Status.Final() {
		res.Status = channel.StatusProcessing
	}
	if res.Status == channel.StatusSucceeded {
		res.CompletedAt = dataTime(r, "finishTime")
		res.MoneyMoved = true
	}
	return res, nil
}

// QueryRefund returns a refund's state (REFUND_QUERY, §6) by RefundNo. It changes
// nothing.
func (c *Client) QueryRefund(ctx context.Context, req *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opQueryRefund, "RefundNo", req.RefundNo); err != nil {
		return nil, err
	}
	x, err := c.call(ctx, opQueryRefund, "REFUND_QUERY", c.serials.fresh(), map[string]string{"refundNo": req.RefundNo})
	if err != nil {
		return nil, err
	}
	if err := answerErr(opQueryRefund, x); err != nil {
		return nil, err
	}
	res, err := refundResult(opQueryRefund, x)
	if err != nil {
		return nil, err
	}
	if res.RefundNo != req.RefundNo {
		return nil, mismatch(opQueryRefund, "refundNo", x)
	}
	res.RefundTime = req.RefundTime
	return res, nil
}
