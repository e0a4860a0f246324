package bank

import (
	"context"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// Payout pays money to a card (PAYOUT, §6) from the merchant's payout balance:
// req.Card.Number and HolderName, Amount, Purpose and a notify URL (req.NotifyURL or
// Config.NotifyURL) are required; BankCode is optional. The bank answers Processing
// (0001); the final state comes by notification or QueryPayout. A Succeeded payout is not
// final: the receiving bank can return it days later (Reversed, PayoutResult.Final). An
// insufficient payout balance is KindInsufficientFunds (4005, Retryable after a top-up);
// a credit card is KindDeclined (3008).
//
// The reqSerial is derived from PayoutNo: the identical request replays the bank's answer
// and pays out at most once. After an unknown outcome (KindUnknown, not Retryable) use
// QueryPayout with the same number; never pay out again under a new number until the
// first is final.
func (c *Client) Payout(ctx context.Context, req *channel.PayoutRequest) (*channel.PayoutResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opPayout, "PayoutNo", req.PayoutNo); err != nil {
		return nil, err
	}
	name, err := c.checkCard(opPayout, req.Card, false)
	if err != nil {
		return nil, err
	}
	amount, err := fenString(opPayout, "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if req.Purpose == "" {
		return nil, invalid(opPayout, "Purpose", "is empty")
	}
	nu, err := c.notify(opPayout, req.NotifyURL)
	if err != nil {
		return nil, err
	}
	if nu == "" {
		return nil, invalid(opPayout, "NotifyURL", "is empty and Config.NotifyURL is not set; the bank requires one")
	}
	data := map[string]string{"payoutNo": req.PayoutNo, "cardNo": req.Card.Number, "holderName": name,
		"amount": amount, "purpose": req.Purpose, "notifyUrl": nu}
	if req.BankCode != "" {
		if len(req.BankCode) < 2 || len(req.BankCode) > 16 || !alnum(req.BankCode, false) {
			return nil, invalid(opPayout, "BankCode", "must be 2 to 16 letters or digits")
		}
		data["bankCode"] = req.BankCode
	}
	serial, err := c.serials.derive("PAYOUT", req.PayoutNo)
	if err != nil {
		return nil, invalid(opPayout, "PayoutNo", "%v", err)
	}
	payoutTime := req.PayoutTime
	if payoutTime.IsZero() {
		payoutTime = c.clk.Now()
	}
	x, err := c.call(ctx, opPayout, "PAYOUT", serial, data)
	if err != nil {
		return nil, err
	}
	if err := answerErr(opPayout, x); err != nil {
		return nil, err
	}
	res, err := payoutResult(opPayout, x)
	if err != nil {
		return nil, err
	}
	if res.Amount != req.Amount {
		return nil, mismatch(opPayout, "amount", x)
	}
	res.PayoutTime = payoutTime
	return res, nil
}

// payoutResult decodes the data of PAYOUT, PAYOUT_QUERY or PAYOUT_RESULT (§6, §7):
// RETURNED is Reversed, with the return's id in ReturnNo (the data's returnNo where the
// bank sends one, else the payout's bankSerial, as the statement's RETURN line carries).
func payoutResult(op string, x *exchange) (*channel.PayoutResult, error) {
	r := x.resp
	amt, ok := dataFen(r, "amount")
	if !ok || r.str("payoutNo") == "" {
		return nil, mismatch(op, "amount/payoutNo", x)
	}
	res := &channel.PayoutResult{Status: payStatus(r.str("status")), ChannelStatus: r.str("status"), PayoutNo: r.str("payoutNo"),
		ChannelTxnID: r.str("bankSerial"), Amount: amt, FailCode: r.str("failCode"), FailMessage: r.str("failMsg")}
	if r.Code == "0001" && res.Status != channel.StatusProcessing {
		res.Status = channel.StatusProcessing
	}
	switch res.Status {
	case channel.StatusSucceeded:
		res.CompletedAt = dataTime(r, "finishTime")
	case channel.StatusReversed:
		res.CompletedAt = dataTime(r, "returnTime")
		res.ReturnNo = r.str("returnNo")
		if res.ReturnNo == "" {
			res.ReturnNo = res.ChannelTxnID
		}
	}
	return res, nil
}

// QueryPayout returns a payout's state (PAYOUT_QUERY, §6): Processing, Succeeded (not
// final), Failed or Reversed. It changes nothing.
func (c *Client) QueryPayout(ctx context.Context, req *channel.PayoutQuery) (*channel.PayoutResult, error) {
	if req == nil {
		return nil, invalid(opQueryPayout, "request", "is nil")
	}
	if err := numberRule.Validate(Name, opQueryPayout, "PayoutNo", req.PayoutNo); err != nil {
		return nil, err
	}
	x, err := c.call(ctx, opQueryPayout, "PAYOUT_QUERY", c.serials.fresh(), map[string]string{"payoutNo": req.PayoutNo})
	if err != nil {
		return nil, err
	}
	if err := answerErr(opQueryPayout, x); err != nil {
		return nil, err
	}
	res, err := payoutResult(opQueryPayout, x)
	if err != nil {
		return nil, err
	}
	if res.PayoutNo != req.PayoutNo {
		return nil, mismatch(opQueryPayout, "payoutNo", x)
	}
	res.PayoutTime = req.PayoutTime
	return res, nil
}

// QueryBalance returns the merchant's payout account (BALANCE_QUERY, §6). The bank keeps
// one payout account per merchant in CNY: req.Account must be empty or the MerchantID and
// req.Currency empty or CNY.
func (c *Client) QueryBalance(ctx context.Context, req *channel.BalanceRequest) (*channel.Balance, error) {
	if req == nil {
		req = &channel.BalanceRequest{}
	}
	if req.Account != "" && req.Account != c.merchantID {
		return nil, invalid(opBalance, "Account", "must be empty or the merchant id: the bank keeps one payout account per merchant")
	}
	if req.Currency != "" && req.Currency != money.CNY {
		return nil, invalid(opBalance, "Currency", "must be CNY, got %s", req.Currency)
	}
	x, err := c.call(ctx, opBalance, "BALANCE_QUERY", c.serials.fresh(), map[string]string{})
	if err != nil {
		return nil, err
	}
	if err := answerErr(opBalance, x); err != nil {
		return nil, err
	}
	avail, ok1 := dataFen(x.resp, "available")
	frozen, ok2 := dataFen(x.resp, "frozen")
	if !ok1 || !ok2 {
		return nil, mismatch(opBalance, "available/frozen", x)
	}
	asOf := x.resp.Time
	if asOf.IsZero() {
		asOf = x.req.ReqTime
	}
	return &channel.Balance{Account: c.merchantID, Available: avail, Frozen: frozen, AsOf: asOf}, nil
}
