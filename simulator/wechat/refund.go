package wechat

import (
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
)

// Refund rules (§6.6, §11).
const (
	refundWindow     = 365 * 24 * time.Hour
	maxRefunds       = 50
	refundPageSize   = 10
	refundRecvWallet = "支付用户的零钱"
	accountUnsettled = "REFUND_SOURCE_UNSETTLED_FUNDS"
	accountRecharge  = "REFUND_SOURCE_RECHARGE_FUNDS"
)

// refund serves /secapi/pay/refund (§6.6). A new out_refund_no creates a PROCESSING
// refund and moves the order to REFUND; the same out_refund_no with the same amounts
// returns that refund again and never refunds twice; the sum of refunds never exceeds
// the order total.
func (s *Server) refund(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	return s.refundEnding(rc, "")
}

// refundEnding is refund with the final status of a new refund chosen by a fault plan
// ("" = SUCCESS).
func (s *Server) refundEnding(rc *reqCtx, final RefundStatus) (sign.Params, *bizError, []outbound) {
	if be := rc.require("out_refund_no", "total_fee", "refund_fee"); be != nil {
		return nil, be, nil
	}
	if !validOutNo(rc.v("out_refund_no"), 64) {
		return nil, bizf(codeParamError, "out_refund_no参数格式错误"), nil
	}
	total, ok := parseFen(rc.v("total_fee"))
	if !ok {
		return nil, bizf(codeParamError, "total_fee参数格式错误"), nil
	}
	fee, ok := parseFen(rc.v("refund_fee"))
	if !ok {
		return nil, bizf(codeParamError, "refund_fee参数格式错误"), nil
	}
	acct := rc.v("refund_account")
	switch acct { // the constants, not the request's copy (scanFlatXML)
	case "", accountUnsettled:
		acct = accountUnsettled
	case accountRecharge:
		acct = accountRecharge
	default:
		return nil, bizf(codeParamError, "refund_account参数格式错误"), nil
	}
	if nu := rc.v("notify_url"); nu != "" && !validNotifyURL(nu) {
		return nil, bizf(codeParamError, "notify_url参数格式错误"), nil
	}
	o, be := s.lookup(rc, true)
	if be != nil {
		return nil, be, nil
	}
	if r := s.st.refunds[refundKey{rc.realm, rc.m.MchID, rc.v("out_refund_no")}]; r != nil {
		if r.order != o {
			return nil, bizf(codeInvalidRequest, "商户退款单号已被其他订单使用"), nil
		}
		if r.fee.Minor() != fee || o.totalFee.Minor() != total {
			return nil, errRefundMismatch(), nil
		}
		// §6.6: "同一退款单号多次请求只退一笔".
		return refundFields(r), nil, nil
	}
	switch o.state() {
	case StateSuccess, StateRefund:
	case StateRevoked:
		return nil, bizf(codeError, "订单已撤销"), nil
	default:
		return nil, bizf(codeError, "订单未支付"), nil
	}
	if total != o.totalFee.Minor() {
		return nil, bizf(codeParamError, "total_fee与订单金额不一致"), nil
	}
	if fee > total {
		return nil, bizf(codeParamError, "退款金额大于支付金额"), nil
	}
	if rc.now.Sub(o.paidAt()) > refundWindow {
		return nil, biz(codeTradeOverdue), nil
	}
	done := o.refunded()
	switch {
	case done >= total:
		return nil, errFullyRefunded(), nil
	case done+fee > total:
		return nil, errOverRefund(), nil
	case len(o.refunds()) >= maxRefunds:
		return nil, bizf(codeError, "退款次数超过限制"), nil
	}
	// Copies: request values are slices of the whole request body (scanFlatXML).
	r := &refund{
		order: o, outRefundNo: strings.Clone(rc.v("out_refund_no")), refundID: s.ids.refundID(rc.now),
		fee: money.Fen(fee), status: RefundProcessing, account: acct, desc: strings.Clone(rc.v("refund_desc")),
		notifyURL: strings.Clone(rc.v("notify_url")), createdAt: rc.now, final: final,
	}
	s.st.addRefund(r)
	o.setState(StateRefund)
	var out []outbound
	if s.cfg.RefundDelay == 0 {
		out = s.completeRefund(r, rc.now)
	} else {
		key := refundKey{rc.realm, rc.m.MchID, r.outRefundNo}
		s.clk.AfterFunc(s.cfg.RefundDelay, func() { s.settleRefund(key) })
	}
	return refundFields(r), nil, out
}

// settleRefund completes a PROCESSING refund when its delay has passed (clock timer).
func (s *Server) settleRefund(key refundKey) {
	s.mu.Lock()
	r := s.st.refunds[key]
	var out []outbound
	if r != nil && r.status == RefundProcessing {
		out = s.completeRefund(r, s.clk.Now())
	}
	send := s.send
	s.mu.Unlock()
	for _, o := range out {
		if send != nil {
			send(o)
		}
	}
}

// completeRefund ends r at time at — SUCCESS, or the abnormal end a fault plan chose
// (CHANGE, REFUNDCLOSE) — and returns its notification, if the refund or the merchant
// names a notify URL (§10: sent when a refund succeeds, closes or turns abnormal).
func (s *Server) completeRefund(r *refund, at time.Time) []outbound {
	switch r.final {
	case RefundChange, RefundClose:
		r.status = r.final
	default:
		r.status, r.successAt = RefundSuccess, at
	}
	url := r.notifyURL
	if url == "" {
		url = s.st.merchants[r.order.mchID].RefundNotifyURL
	}
	if url == "" {
		return nil
	}
	return []outbound{s.refundNotification(r, url)}
}

func refundFields(r *refund) sign.Params {
	o := r.order
	total := strconv.FormatInt(o.totalFee.Minor(), 10)
	fee := strconv.FormatInt(r.fee.Minor(), 10)
	return sign.Params{
		{Key: "transaction_id", Value: o.txnID()},
		{Key: "out_trade_no", Value: o.outTradeNo},
		{Key: "out_refund_no", Value: r.outRefundNo},
		{Key: "refund_id", Value: r.refundID},
		{Key: "refund_fee", Value: fee},
		{Key: "coupon_refund_fee", Value: "0"},
		{Key: "total_fee", Value: total},
		{Key: "cash_fee", Value: total},
		{Key: "coupon_refund_count", Value: "0"},
		{Key: "cash_refund_fee", Value: fee},
	}
}

// refundQuery serves /pay/refundquery (§6.7): refund_id > out_refund_no >
// transaction_id > out_trade_no; by order number at most 10 refunds from offset.
func (s *Server) refundQuery(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	var (
		list    []*refund
		o       *order
		byOrder bool
	)
	switch {
	case rc.v("refund_id") != "":
		if r := s.st.byRefundID[idKey{rc.realm, rc.v("refund_id")}]; r != nil && r.order.mchID == rc.m.MchID {
			list = []*refund{r}
		}
	case rc.v("out_refund_no") != "":
		if r := s.st.refunds[refundKey{rc.realm, rc.m.MchID, rc.v("out_refund_no")}]; r != nil {
			list = []*refund{r}
		}
	case rc.v("transaction_id") != "" || rc.v("out_trade_no") != "":
		byOrder = true
		if o = s.st.findOrder(rc.realm, rc.m.MchID, rc.v("transaction_id"), rc.v("out_trade_no")); o != nil {
			list = o.refunds()
		}
	default:
		return nil, bizf(codeLackParams, "缺少参数refund_id、out_refund_no、transaction_id或out_trade_no"), nil
	}
	if len(list) == 0 {
		return nil, biz(codeRefundNotExist), nil
	}
	o = list[0].order
	total := len(list)
	offset := 0
	if v := rc.v("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || !allDigits(v) || n >= total {
			return nil, bizf(codeParamError, "offset参数错误"), nil
		}
		offset = n
	}
	page := list[offset:min(total, offset+refundPageSize)]
	var sum int64
	for _, r := range o.refunds() {
		sum += r.fee.Minor()
	}
	fee := strconv.FormatInt(o.totalFee.Minor(), 10)
	p := sign.Params{
		{Key: "transaction_id", Value: o.txnID()},
		{Key: "out_trade_no", Value: o.outTradeNo},
		{Key: "total_fee", Value: fee},
		{Key: "fee_type", Value: "CNY"},
		{Key: "cash_fee", Value: fee},
		{Key: "refund_fee", Value: strconv.FormatInt(sum, 10)},
		{Key: "refund_count", Value: strconv.Itoa(len(page))},
	}
	if byOrder && rc.v("offset") != "" {
		p = append(p, sign.Param{Key: "total_refund_count", Value: strconv.Itoa(total)})
	}
	for i, r := range page {
		n := "_" + strconv.Itoa(i)
		p = append(p,
			sign.Param{Key: "out_refund_no" + n, Value: r.outRefundNo},
			sign.Param{Key: "refund_id" + n, Value: r.refundID},
			sign.Param{Key: "refund_channel" + n, Value: "ORIGINAL"},
			sign.Param{Key: "refund_fee" + n, Value: strconv.FormatInt(r.fee.Minor(), 10)},
			sign.Param{Key: "refund_status" + n, Value: string(r.status)},
			sign.Param{Key: "refund_account" + n, Value: r.account},
			sign.Param{Key: "refund_recv_accout" + n, Value: refundRecvWallet},
		)
		if !r.successAt.IsZero() {
			p = append(p, sign.Param{Key: "refund_success_time" + n, Value: dashedTime(r.successAt)})
		}
	}
	return p, nil, nil
}
