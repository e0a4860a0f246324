package wechat

import (
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
)

// prepayTTL is how long a prepay_id / code_url stays valid (§5).
const prepayTTL = 2 * time.Hour

// minExpiry is the shortest time_expire - time_start WeChat accepts: five minutes, one
// for barcode payments (§5, live error text).
const (
	minExpiry         = 5 * time.Minute
	minExpiryMicropay = time.Minute
	msgExpiryTooShort = "time_expire时间过短，刷卡至少1分钟，其他5分钟"
)

var tradeTypes = map[string]bool{"JSAPI": true, "NATIVE": true, "APP": true, "MWEB": true}

// orderInput holds the validated fields common to unified order and micropay.
type orderInput struct {
	total    int64
	expireAt time.Time
}

// validateOrderFields checks the fields unifiedorder and micropay share (§5, §6.1,
// §6.4): out_trade_no, total_fee, spbill_create_ip, lengths, fee_type, time window.
func (rc *reqCtx) validateOrderFields(micropay bool) (orderInput, *bizError) {
	var in orderInput
	if !validOutNo(rc.v("out_trade_no"), 32) {
		return in, protoFail("out_trade_no参数长度有误")
	}
	total, ok := parseFen(rc.v("total_fee"))
	if !ok {
		return in, protoFail("invalid total_fee")
	}
	in.total = total
	if !validIP(rc.v("spbill_create_ip")) {
		return in, protoFail("invalid spbill_create_ip")
	}
	for _, l := range []struct {
		f string
		n int
	}{{"body", 128}, {"attach", 127}, {"device_info", 32}, {"product_id", 32}, {"openid", 128}, {"goods_tag", 32}} {
		if be := checkLen(l.f, rc.v(l.f), l.n); be != nil {
			return in, be
		}
	}
	if ft := rc.v("fee_type"); ft != "" && ft != "CNY" {
		return in, protoFail("fee_type参数格式错误")
	}
	if lp := rc.v("limit_pay"); lp != "" && lp != "no_credit" {
		return in, protoFail("limit_pay参数格式错误")
	}
	start := rc.now
	if ts := rc.v("time_start"); ts != "" {
		t, ok := parseCompactTime(ts)
		if !ok {
			return in, protoFail("time_start参数格式错误")
		}
		start = t
	}
	if te := rc.v("time_expire"); te != "" {
		t, ok := parseCompactTime(te)
		if !ok {
			return in, protoFail("time_expire参数格式错误")
		}
		min := minExpiry
		if micropay {
			min = minExpiryMicropay
		}
		if t.Sub(start) < min || t.Sub(rc.now) < min {
			return in, bizf(codeInvalidRequest, msgExpiryTooShort)
		}
		in.expireAt = t
	}
	return in, nil
}

// refresh applies lazy transitions: an unpaid order past its time_expire is CLOSED
// (§6.2: CLOSED by closeorder or expiry).
func (o *order) refresh(now time.Time) {
	if o.state() == StateNotPay && o.expireAt != 0 && !now.Before(o.expires()) {
		o.setState(StateClosed)
	}
}

// existingOrderError is what a second order request for an existing out_trade_no gets
// when the order is no longer payable (§6.1).
func existingOrderError(o *order) *bizError {
	switch o.state() {
	case StateSuccess, StateRefund:
		return biz(codeOrderPaid)
	case StateClosed:
		return biz(codeOrderClosed)
	case StateRevoked:
		return biz(codeOrderReversed)
	}
	return nil
}

// unifiedOrder serves /pay/unifiedorder (§6.1).
func (s *Server) unifiedOrder(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	if be := rc.require("body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"); be != nil {
		return nil, be, nil
	}
	tt := rc.v("trade_type")
	if !tradeTypes[tt] {
		return nil, protoFail("invalid trade_type"), nil
	}
	if tt == "JSAPI" && rc.v("openid") == "" {
		return nil, protoFail("JSAPI支付必须传openid"), nil
	}
	if !s.st.validNotifyURL(rc.v("notify_url")) {
		return nil, protoFail("notify_url参数格式错误"), nil
	}
	in, be := rc.validateOrderFields(false)
	if be != nil {
		return nil, be, nil
	}
	o := s.st.findOrder(rc.realm, rc.m.MchID, "", rc.v("out_trade_no"))
	if o != nil {
		o.refresh(rc.now)
		if be := existingOrderError(o); be != nil {
			return nil, be, nil
		}
		// §6.1: same out_trade_no with identical key parameters returns a usable
		// prepay_id; a change of amount, body, openid or trade type is 201.
		if o.tradeType != tt || o.totalFee.Minor() != in.total || o.body != rc.v("body") ||
			o.openID() != rc.v("openid") || o.appID != rc.appID {
			return nil, errOutTradeNoUsed(), nil
		}
		if rc.now.Sub(o.prepaid()) >= prepayTTL {
			s.newPrepay(o, rc.now)
		}
		s.st.withNotifyURL(o, rc.v("notify_url"))
		return prepayFields(o, rc), nil, nil
	}
	// detail, product_id, scene_info and spbill_create_ip are validated but not kept:
	// no answer, notification or bill shows them.
	no := order{
		orderProfile: s.st.profile(orderProfile{realm: rc.realm, mchID: rc.m.MchID, appID: rc.appID,
			tradeType: tt, feeType: "CNY", notifyURL: rc.v("notify_url"), signType: rc.signType}),
		outTradeNo: rc.v("out_trade_no"), body: s.st.body(rc.v("body")),
		totalFee: money.Fen(in.total), createdAt: rc.now.UnixNano(), expireAt: unixNano(in.expireAt),
	}
	no.setExtra(rc.v("attach"), rc.v("device_info"), rc.v("openid"), "")
	s.newPrepay(&no, rc.now)
	o = s.st.addOrder(no)
	return prepayFields(o, rc), nil, nil
}

// newPrepay gives o a new prepay_id (and code_url or mweb_url) as of now (§6.1).
func (s *Server) newPrepay(o *order, now time.Time) {
	o.prepayRnd, o.prepayAt = s.ids.prepayRnd(), now.UnixNano()
	switch o.tradeType {
	case "NATIVE":
		o.codeRnd, o.hasCode = s.ids.codeRnd(), true
	case "MWEB":
		o.mut().mwebURL = s.ids.mwebURL(o.prepayID())
	}
}

func prepayFields(o *order, rc *reqCtx) sign.Params {
	return sign.Params{
		{Key: "device_info", Value: rc.v("device_info")},
		{Key: "trade_type", Value: o.tradeType},
		{Key: "prepay_id", Value: o.prepayID()},
		{Key: "code_url", Value: o.codeURL()},
		{Key: "mweb_url", Value: o.mwebURL()},
	}
}

// validAuthCode reports whether code looks like a WeChat payment code: 18 digits
// starting with 10–15 (§6.4).
func validAuthCode(code string) bool {
	return len(code) == 18 && allDigits(code) && code[0] == '1' && code[1] >= '0' && code[1] <= '5'
}

// micropay serves /pay/micropay (§6.4). The result is synchronous: paid at once, or
// USERPAYING when the amount is above the password threshold (or a user_paying fault
// asks for it); the payer then pays or cancels through the control API.
func (s *Server) micropay(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	return s.micropayWith(rc, false)
}

func (s *Server) micropayWith(rc *reqCtx, forcePassword bool) (sign.Params, *bizError, []outbound) {
	if be := rc.require("body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"); be != nil {
		return nil, be, nil
	}
	in, be := rc.validateOrderFields(true)
	if be != nil {
		return nil, be, nil
	}
	if !validAuthCode(rc.v("auth_code")) {
		return nil, biz(codeAuthCodeInvalid), nil
	}
	if o := s.st.findOrder(rc.realm, rc.m.MchID, "", rc.v("out_trade_no")); o != nil {
		if o.tradeType != "MICROPAY" || o.totalFee.Minor() != in.total || o.body != rc.v("body") ||
			o.authCode() != rc.v("auth_code") {
			return nil, errOutTradeNoUsed(), nil
		}
		switch o.state() {
		case StateUserPaying:
			return nil, biz(codeUserPaying), nil
		case StatePayError:
			return nil, bizf(codeTradeError, "支付失败，请重新下单支付"), nil
		}
		return nil, existingOrderError(o), nil
	}
	no := order{
		orderProfile: s.st.profile(orderProfile{realm: rc.realm, mchID: rc.m.MchID, appID: rc.appID,
			tradeType: "MICROPAY", feeType: "CNY", signType: rc.signType}),
		outTradeNo: rc.v("out_trade_no"), body: s.st.body(rc.v("body")),
		totalFee: money.Fen(in.total), createdAt: rc.now.UnixNano(), expireAt: unixNano(in.expireAt),
	}
	no.setExtra(rc.v("attach"), rc.v("device_info"), payerOpenID(rc.appID, rc.v("auth_code")), rc.v("auth_code"))
	o := s.st.addOrder(no)
	// §6.4: more than 1000 yuan (or risk control) needs the payer's password.
	if forcePassword || in.total > s.cfg.PasswordThreshold {
		o.setState(StateUserPaying)
		return nil, biz(codeUserPaying), nil
	}
	s.markPaid(o, rc.now, "")
	return paidFields(o), nil, nil
}

// markPaid moves an order to SUCCESS at time at (time_end) and assigns its
// transaction_id and payer. It returns the payment notification for non-barcode orders
// (§6.4: barcode payments are not notified).
func (s *Server) markPaid(o *order, at time.Time, bankType string) []outbound {
	o.setState(StateSuccess)
	o.mut().paidAt = at
	s.st.setTxn(o, s.ids.transactionID(at))
	if o.openID() == "" {
		o.mut().openID = s.ids.openID()
	}
	if bankType == "" {
		bankType = "OTHERS"
	}
	o.mut().bankType = bankType
	if o.tradeType == "MICROPAY" || o.notifyURL == "" {
		return nil
	}
	return []outbound{s.paymentNotification(o)}
}

// paidFields are the payment fields of a paid order, for micropay and orderquery
// (§6.2, §6.4). Every name is one that gopay's response structs carry, so that its
// struct-based VerifySign sees the same field set that was signed.
func paidFields(o *order) sign.Params {
	fee := strconv.FormatInt(o.totalFee.Minor(), 10)
	return sign.Params{
		{Key: "device_info", Value: o.deviceInfo()},
		{Key: "openid", Value: o.openID()},
		{Key: "is_subscribe", Value: "N"},
		{Key: "trade_type", Value: o.tradeType},
		{Key: "bank_type", Value: o.bankType()},
		{Key: "total_fee", Value: fee},
		{Key: "fee_type", Value: o.feeType},
		{Key: "cash_fee", Value: fee},
		{Key: "cash_fee_type", Value: "CNY"},
		{Key: "transaction_id", Value: o.txnID()},
		{Key: "out_trade_no", Value: o.outTradeNo},
		{Key: "attach", Value: o.attach()},
		{Key: "time_end", Value: compactTime(o.paidAt())},
	}
}
