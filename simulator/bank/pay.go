package bank

import (
	"net/url"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// refundWindow: refunds within 365 days of the payment (§6).
const refundWindow = 365 * 24 * time.Hour

// newTxn creates a transaction of kind with a fresh bankSerial. Caller holds s.mu.
func (s *Server) newTxn(x *exchange, kind, no string, amount money.Amount) *txn {
	s.st.seq++
	t := &txn{kind: kind, no: no, amount: amount, fee: money.Fen(0), refunded: money.Fen(0), status: StatusProcessing,
		reqTime: x.reqAt, seq: s.st.seq, bankSerial: "B" + x.wireTime(x.now) + s.eng.Rand().Digits(7)}
	x.m.txns = append(x.m.txns, t)
	return t
}

// finish moves t to a final state at time at.
func (s *Server) finish(t *txn, status string, at time.Time) {
	t.status, t.finish = status, at
	t.settle = s.settleDay(at)
}

// txnData is the data of PAY/REFUND/PAYOUT answers, queries and notifications (§6).
func txnData(t *txn) map[string]any {
	d := map[string]any{"bankSerial": t.bankSerial, "status": t.status, "amount": fen(t.amount.Minor())}
	switch t.kind {
	case "PAY":
		d["orderNo"] = t.no
	case "REFUND":
		d["refundNo"], d["orderNo"] = t.no, t.origNo
	case "PAYOUT":
		d["payoutNo"] = t.no
	}
	if !t.finish.IsZero() {
		d["finishTime"] = t.finish.In(beijing()).Format(timeCompact)
		d["settleDate"] = t.settle.Compact()
	}
	if t.failCode != "" {
		d["failCode"], d["failMsg"] = t.failCode, t.failMsg
	}
	if !t.returned.IsZero() {
		d["returnTime"] = t.returned.In(beijing()).Format(timeCompact)
	}
	return d
}

// txnResult answers a money-moving operation from the transaction's state: 0000 for
// SUCCESS, 0001 for PROCESSING, the fail code for FAIL (§6).
func txnResult(t *txn) result {
	switch t.status {
	case StatusProcessing:
		return withData(codeProcessing, txnData(t))
	case StatusFail:
		r := withData(t.failCode, txnData(t))
		r.msg = t.failMsg
		return r
	}
	return withData(codeOK, txnData(t))
}

func (x *exchange) amount() (money.Amount, *result) {
	v, bad := x.field("amount", true, reAmount, "fen as digits without leading zeros, 1 to 99999999999")
	if bad != nil {
		return money.Amount{}, bad
	}
	n, _ := strconv.ParseInt(v, 10, 64) // at most 11 digits: cannot fail
	return money.Fen(n), nil
}

func (x *exchange) notifyURL(required bool) (string, *result) {
	v, bad := x.field("notifyUrl", required, nil, "")
	if bad != nil || v == "" {
		return "", bad
	}
	u, err := url.Parse(v)
	if len(v) > 256 || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r := malformed("notifyUrl", "want an absolute http(s) URL of at most 256 characters")
		return "", &r
	}
	return v, nil
}

// pay is PAY (§6): debit the card of a BOUND agreement.
func (s *Server) pay(x *exchange) result {
	orderNo, bad := x.field("orderNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	userID, bad := x.field("userId", true, reUserID, "[A-Za-z0-9_-]{1,64}")
	if bad != nil {
		return *bad
	}
	pno, bad := x.field("protocolNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	amt, bad := x.amount()
	if bad != nil {
		return *bad
	}
	if _, bad := x.field("subject", true, nil, ""); bad != nil {
		return *bad
	}
	nu, bad := x.notifyURL(true)
	if bad != nil {
		return *bad
	}
	m := x.m
	if !x.claim("PAY", orderNo) || m.pays[orderNo] != nil {
		return res(codeNumberReused)
	}
	ag := m.agreements[pno]
	if ag == nil || ag.userID != userID || ag.status != agreementBound {
		return res(codeProtocol)
	}
	t := s.newTxn(x, "PAY", orderNo, amt)
	t.userID, t.protocolNo, t.cardNo, t.notifyURL = userID, pno, ag.cardNo, nu
	t.notifyID = "N" + t.bankSerial
	m.pays[orderNo], m.bySerial[t.bankSerial] = t, t
	card := s.st.cards[ag.cardNo]
	switch {
	case card == nil || card.Status != "":
		t.failCode, t.failMsg = codeBadCard, codeText[codeBadCard]
	case amt.Minor() > s.cfg.SingleLimit:
		t.failCode, t.failMsg = codeLimit, codeText[codeLimit]
	case card.Balance < amt.Minor():
		t.failCode, t.failMsg = codeNoFunds, codeText[codeNoFunds]
	}
	if t.failCode != "" {
		s.finish(t, StatusFail, x.now)
	} else {
		card.Balance -= amt.Minor()
		t.fee = m.cfg.feeOf(amt)
		s.finish(t, StatusSuccess, x.now)
	}
	x.out = append(x.out, s.txnNotice(m, t, NotifyPay))
	return txnResult(t)
}

// payQuery is PAY_QUERY (§6): by orderNo or bankSerial; 4001 when unknown.
func (s *Server) payQuery(x *exchange) result {
	orderNo, bad := x.field("orderNo", false, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	serial, bad := x.field("bankSerial", false, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	if orderNo == "" && serial == "" {
		return malformed("orderNo", "required (or bankSerial)")
	}
	t := x.m.pays[orderNo]
	if orderNo == "" {
		t = x.m.bySerial[serial]
	}
	if t == nil || (serial != "" && t.bankSerial != serial) {
		return res(codeNotFound)
	}
	return withData(codeOK, txnData(t))
}

// refund is REFUND (§6): full or partial, within 365 days; same clearing day succeeds at
// once, later ones after Config.RefundDelay with a notification.
func (s *Server) refund(x *exchange) result {
	refundNo, bad := x.field("refundNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	orderNo, bad := x.field("orderNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	amt, bad := x.amount()
	if bad != nil {
		return *bad
	}
	nu, bad := x.notifyURL(false)
	if bad != nil {
		return *bad
	}
	m := x.m
	if !x.claim("REFUND", refundNo) || m.refunds[refundNo] != nil {
		return res(codeNumberReused)
	}
	p := m.pays[orderNo]
	switch {
	case p == nil:
		return res(codeNotFound, "original payment not found")
	case p.status != StatusSuccess:
		return res(codeOrigNotPaid)
	case x.now.Sub(p.finish) > refundWindow:
		return res(codeRefundPeriod)
	case p.refunded.Minor()+amt.Minor() > p.amount.Minor():
		return res(codeRefundExceeds)
	}
	t := s.newTxn(x, "REFUND", refundNo, amt)
	t.origNo, t.cardNo, t.protocolNo, t.notifyURL, t.userID = orderNo, p.cardNo, p.protocolNo, nu, p.userID
	t.notifyID = "N" + t.bankSerial
	m.refunds[refundNo] = t
	p.refunded = money.Fen(p.refunded.Minor() + amt.Minor())
	if s.settleDay(x.now) == p.settle {
		s.completeRefund(t, x.now)
		x.out = append(x.out, s.txnNotice(m, t, NotifyRefund))
		return txnResult(t)
	}
	mid := m.cfg.MerchantID
	s.eng.AfterFunc(s.cfg.RefundDelay, func() {
		s.mu.Lock()
		ms := s.st.merchants[mid]
		if ms == nil || ms.refunds[refundNo] != t || t.status != StatusProcessing {
			s.mu.Unlock()
			return
		}
		s.completeRefund(t, s.eng.Now())
		n := s.txnNotice(ms, t, NotifyRefund)
		s.mu.Unlock()
		s.flush([]notice{n})
	})
	return txnResult(t)
}

func (s *Server) completeRefund(t *txn, at time.Time) {
	if c := s.st.cards[t.cardNo]; c != nil {
		c.Balance += t.amount.Minor()
	}
	s.finish(t, StatusSuccess, at)
}

// refundQuery is REFUND_QUERY (§6).
func (s *Server) refundQuery(x *exchange) result {
	refundNo, bad := x.field("refundNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	t := x.m.refunds[refundNo]
	if t == nil {
		return res(codeNotFound)
	}
	return withData(codeOK, txnData(t))
}
