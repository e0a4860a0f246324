package alipay

import (
	"net/url"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// tradeResponse is the union of the trade fields in precreate, pay and query answers
// (alipay.md §9.3, §9.5, §9.6). Amounts are yuan strings.
type tradeResponse struct {
	header
	TradeNo        string     `json:"trade_no"`
	OutTradeNo     string     `json:"out_trade_no"`
	TradeStatus    string     `json:"trade_status"`
	TotalAmount    string     `json:"total_amount"`
	ReceiptAmount  string     `json:"receipt_amount"`
	BuyerPayAmount string     `json:"buyer_pay_amount"`
	RefundFee      string     `json:"refund_fee"`
	SendPayDate    string     `json:"send_pay_date"`
	GmtPayment     string     `json:"gmt_payment"`
	BuyerUserID    string     `json:"buyer_user_id"`
	BuyerOpenID    string     `json:"buyer_open_id"`
	FundBillList   []fundBill `json:"fund_bill_list"`
	QRCode         string     `json:"qr_code"`
	PassbackParams string     `json:"passback_params"`
}

// result converts the answer. status is forced when the method implies it (barcode
// pay has no trade_status); zero means "derive from trade_status".
func (t *tradeResponse) result(op string, forced channel.Status) (*channel.PaymentResult, error) {
	r := &channel.PaymentResult{
		ChannelStatus: t.TradeStatus,
		OrderNo:       t.OutTradeNo,
		ChannelTxnID:  t.TradeNo,
		PayerID:       t.BuyerUserID,
		BankType:      fundChannels(t.FundBillList),
		Attach:        unescapePassback(t.PassbackParams),
	}
	if r.PayerID == "" {
		r.PayerID = t.BuyerOpenID
	}
	var err error
	if r.Amount, err = parseYuan("total_amount", t.TotalAmount); err != nil {
		return nil, decodeErr(op, err)
	}
	if r.PaidAmount, err = parseYuan("buyer_pay_amount", t.BuyerPayAmount); err != nil {
		return nil, decodeErr(op, err)
	}
	if r.RefundedAmount, err = parseYuan("refund_fee", t.RefundFee); err != nil {
		return nil, decodeErr(op, err)
	}
	paidAt := t.SendPayDate
	if paidAt == "" {
		paidAt = t.GmtPayment
	}
	if r.PaidAt, err = parseTime("send_pay_date", paidAt); err != nil {
		return nil, decodeErr(op, err)
	}
	r.Status = forced
	if forced == channel.StatusUnknown {
		r.Status = tradeStatus(t.TradeStatus, !r.PaidAt.IsZero(), r.RefundedAmount.IsPositive())
	}
	if !r.Status.Paid() {
		r.PaidAt = time.Time{}
	}
	return r, nil
}

// unescapePassback undoes the URL-encoding Pay applies to passback_params (Alipay
// requires it encoded, and echoes it as sent); text that is not valid encoding is
// returned as is.
func unescapePassback(s string) string {
	if s == "" {
		return ""
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
