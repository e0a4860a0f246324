package alipay

import (
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// defaultFund is the fund channel of a payment when the payer names none.
const defaultFund = "ALIPAYACCOUNT"

// validOutTradeNo: ≤ 64 letters, digits and underscores (§8); '-' is accepted too, as
// real merchants use it.
func validOutTradeNo(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// orderInput is the common part of precreate, pay and page/wap/app pay.
type orderInput struct {
	outTradeNo string
	total      money.Amount
	subject    string
}

func readOrder(r *request) (orderInput, *apiErr) {
	in := orderInput{outTradeNo: r.str("out_trade_no"), subject: r.str("subject")}
	if in.outTradeNo == "" {
		return in, bizErrMsg(subInvalidParameter, "缺少必选参数out_trade_no")
	}
	if !validOutTradeNo(in.outTradeNo) {
		return in, bizErrMsg(subInvalidParameter, "参数无效: out_trade_no")
	}
	a, e := parseAmount(r.str("total_amount"), "total_amount")
	if e != nil {
		return in, e
	}
	in.total = a
	if in.subject == "" {
		return in, bizErrMsg(subInvalidParameter, "缺少必选参数subject")
	}
	if len([]rune(in.subject)) > 256 {
		return in, bizErrMsg(subInvalidParameter, "参数无效: subject")
	}
	return in, nil
}

// existing checks a repeated out_trade_no (§9.3): same amount and subject continue,
// anything else is ACQ.CONTEXT_INCONSISTENT; paid or closed trades are final.
func existing(t *trade, in orderInput, now time.Time) *apiErr {
	t.refresh(now)
	switch {
	case t.total != in.total || t.subject != in.subject:
		return bizErr(subContextInconsist)
	case t.status == StatusTradeSuccess || t.status == StatusTradeFinished:
		return bizErr(subTradeHasSuccess)
	case t.status == StatusTradeClosed:
		return bizErr(subTradeHasClose)
	}
	return nil
}

// expiry reads timeout_express (1m–15d, "1c" = end of today) or time_expire (§8);
// def applies when neither is given.
func expiry(r *request, now time.Time, def time.Duration, keys ...string) time.Time {
	if te := r.str("time_expire"); te != "" {
		if t, err := time.ParseInLocation(layoutTime, te, clock.Beijing()); err == nil {
			return t
		}
	}
	for _, k := range append(keys, "timeout_express") {
		v := r.str(k)
		if len(v) < 2 {
			continue
		}
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil || n <= 0 {
			continue
		}
		switch v[len(v)-1] {
		case 'm':
			return now.Add(time.Duration(n) * time.Minute)
		case 'h':
			return now.Add(time.Duration(n) * time.Hour)
		case 'd':
			return now.Add(time.Duration(n) * 24 * time.Hour)
		case 'c':
			return clock.DateOf(now, clock.Beijing()).AddDays(1).Start(clock.Beijing())
		}
	}
	return now.Add(def)
}

// newTrade records a trade (invisible until the payer acts, except barcode). Caller
// holds s.mu.
func (s *Server) newTrade(x *exchange, product string, in orderInput) *trade {
	r := x.r
	t := &trade{
		seq: len(s.st.seq) + 1, appID: x.ck.m.AppID, outTradeNo: in.outTradeNo, product: product,
		status: StatusWaitBuyerPay, total: in.total, subject: in.subject, body: r.str("body"),
		storeID: r.str("store_id"), operatorID: r.str("operator_id"), terminalID: r.str("terminal_id"),
		passback: r.str("passback_params"), notifyURL: r.get("notify_url"), returnURL: r.get("return_url"),
		quitURL: r.str("quit_url"), certMode: x.ck.certMode, created: x.now,
		refunded: money.Fen(0),
	}
	if t.notifyURL == "" {
		t.notifyURL = x.ck.m.NotifyURL
	}
	s.st.trades[tradeKey{t.appID, t.outTradeNo}] = t
	s.st.seq = append(s.st.seq, t)
	return t
}

// makeVisible gives a trade its trade_no and buyer: the payer scanned the QR code or
// reached the cashier (§9.2). Caller holds s.mu.
func (s *Server) makeVisible(t *trade, at time.Time) {
	if t.visible {
		return
	}
	t.visible = true
	rnd := s.eng.Rand()
	// §8: 28 digits, date prefix and channel digits, like 2016071921001003030200089909.
	t.tradeNo = at.In(clock.Beijing()).Format("20060102") + "22001" + rnd.Digits(15)
	s.st.byTradeNo[t.tradeNo] = t
	t.buyerID = "2088" + rnd.Digits(12)
	t.buyerLogon = "159****" + rnd.Digits(4) // masked as real answers show it (§8)
}

// armExpiry closes a visible unpaid trade when its expiry passes, with a TRADE_CLOSED
// notification when it has a notify URL (§10.3: an unpaid trade timed out). Caller holds
// s.mu; the timer takes it itself.
func (s *Server) armExpiry(t *trade, now time.Time) {
	if t.expire.IsZero() || t.status != StatusWaitBuyerPay {
		return
	}
	s.eng.AfterFunc(t.expire.Sub(now), func() {
		s.mu.Lock()
		var out []notice
		if t.status == StatusWaitBuyerPay {
			t.status, t.closed = StatusTradeClosed, t.expire
			out = s.closeNotice(t, t.notifyURL)
		}
		s.mu.Unlock()
		s.flush(out)
	})
}

// markPaid pays a trade at `at` with fund channel fund and returns its notification.
// Caller holds s.mu.
func (s *Server) markPaid(t *trade, at time.Time, fund string) []notice {
	s.makeVisible(t, at)
	if fund == "" {
		fund = defaultFund
	}
	t.status, t.paid, t.fund = StatusTradeSuccess, at, fund
	return s.paymentNotice(t)
}

// closeUnpaid closes a WAIT_BUYER_PAY trade; a TRADE_CLOSED notification goes to url
// when one applies (§9.7, §10.3). Caller holds s.mu.
func (s *Server) closeUnpaid(t *trade, at time.Time, url string) []notice {
	s.makeVisible(t, at)
	t.status, t.closed = StatusTradeClosed, at
	return s.closeNotice(t, url)
}

func (t *trade) fundBills() []fundBill {
	return []fundBill{{Amount: yuan(t.total), FundChannel: t.fund}}
}

// precreate serves alipay.trade.precreate (§9.3): the trade is only reserved; it
// becomes visible when the payer scans (payer action pay, or pay with scan_only).
func (s *Server) precreate(x *exchange) answer {
	in, e := readOrder(x.r)
	if e != nil {
		return answer{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.trades[tradeKey{x.ck.m.AppID, in.outTradeNo}]
	if t != nil {
		if e := existing(t, in, x.now); e != nil {
			return answer{err: e}
		}
		return answer{fields: fields{"out_trade_no": t.outTradeNo, "qr_code": t.qrCode}}
	}
	t = s.newTrade(x, prodPrecreate, in)
	t.qrCode = "https://qr.alipay.com/bax0" + s.eng.Rand().Hex(20)
	t.expire = expiry(x.r, x.now, 2*time.Hour, "qr_code_timeout_express")
	return answer{fields: fields{"out_trade_no": t.outTradeNo, "qr_code": t.qrCode}}
}

// validAuthCode: real Alipay payment codes are 16–24 digits starting 25–30 (§9.5); the
// simulator checks only for 10–24 digits, so test suites may use any numeric code.
func validAuthCode(s string) bool {
	return len(s) >= 10 && len(s) <= 24 && allDigits(s)
}

// barcodePay serves alipay.trade.pay (§9.5): the trade is created at once and paid,
// or answered 10003 and left WAIT_BUYER_PAY when a USER_PAYING fault applies or the
// amount reaches Config.PasswordThreshold; the payer then pays or cancels.
func (s *Server) barcodePay(x *exchange) answer {
	in, e := readOrder(x.r)
	if e != nil {
		return answer{err: e}
	}
	scene := x.r.str("scene")
	if scene != "bar_code" && scene != "security_code" && scene != "wave_code" {
		return answer{err: bizErrMsg(subInvalidParameter, "参数无效: scene")}
	}
	if !validAuthCode(x.r.str("auth_code")) {
		return answer{err: bizErr(subAuthCodeInvalid)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.trades[tradeKey{x.ck.m.AppID, in.outTradeNo}]
	if t != nil {
		if e := existing(t, in, x.now); e != nil {
			return answer{err: e}
		}
		return answer{code: codeUserPaying, fields: payFields(t)}
	}
	t = s.newTrade(x, prodBarcode, in)
	t.expire = expiry(x.r, x.now, 15*24*time.Hour)
	s.makeVisible(t, x.now)
	paying := x.bf != nil && x.bf.Code == simulator.CodeUserPaying || (s.cfg.PasswordThreshold > 0 && in.total.Minor() >= s.cfg.PasswordThreshold)
	if paying {
		s.armExpiry(t, x.now)
		return answer{code: codeUserPaying, fields: payFields(t)}
	}
	fund, ok := fundChannel(x.r.str("fund_channel")) // a simulator extension of the request
	if !ok {
		fund = defaultFund
	}
	x.out = append(x.out, s.markPaid(t, x.now, fund)...)
	return answer{fields: payFields(t)}
}

// payFields are the members of a pay answer (§9.5): amounts are zero until paid.
func payFields(t *trade) fields {
	f := fields{
		"buyer_logon_id": t.buyerLogon, "buyer_user_id": t.buyerID, "out_trade_no": t.outTradeNo,
		"total_amount": yuan(t.total), "trade_no": t.tradeNo, "point_amount": "0.00",
	}
	paid := "0.00"
	if t.status == StatusTradeSuccess || !t.paid.IsZero() {
		paid = yuan(t.total)
		f["gmt_payment"] = wireTime(t.paid)
		f["fund_bill_list"] = t.fundBills()
	}
	for _, k := range []string{"buyer_pay_amount", "invoice_amount", "receipt_amount"} {
		f[k] = paid
	}
	return f
}

func hasOption(r *request, opt string) bool {
	switch v := r.biz["query_options"].(type) {
	case []any:
		for _, o := range v {
			if s, ok := o.(string); ok && s == opt {
				return true
			}
		}
	case string:
		return strings.Contains(v, opt)
	}
	return false
}
