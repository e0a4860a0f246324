package unionpay

import (
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// newTxn registers a transaction under its (merId, orderId): a reused orderId is "12"
// (unionpay.md §12). Caller holds s.mu.
func (s *Server) newTxn(x *exchange, amount int64) (*txn, bool) {
	r := x.r
	ok2 := [2]string{x.m.MerID, r.str("orderId")}
	if s.st.orders[ok2] != nil {
		return nil, false
	}
	t := &txn{
		key: orderKey{x.m.MerID, r.str("orderId"), r.str("txnTime")}, seq: len(s.st.seq),
		txnType: r.str("txnType"), txnSubType: r.str("txnSubType"), biz: r.str("bizType"),
		channelType: r.str("channelType"), signMethod: x.method, amount: amount, created: x.now,
		backURL: r.str("backUrl"), frontURL: r.str("frontUrl"), reqReserved: r.str("reqReserved"),
	}
	s.st.orders[ok2] = t
	s.st.txns[t.key] = t
	s.st.seq = append(s.st.seq, t)
	return t, true
}

// assignIDs gives t its queryId (21 digits), traceNo and traceTime. Caller holds s.mu.
func (s *Server) assignIDs(t *txn, at time.Time) {
	bj := at.In(clock.Beijing())
	for {
		id := bj.Format("060102150405") + s.eng.Rand().Digits(9)
		if s.st.byQueryID[id] == nil {
			t.queryID = id
			break
		}
	}
	s.st.byQueryID[t.queryID] = t
	t.traceNo = s.eng.Rand().Digits(6)
	t.trace = bj.Format("0102150405")
}

// succeed completes t at time at: clearing date by the 23:00 rule (§10). Caller holds
// s.mu.
func (s *Server) succeed(t *txn, at time.Time) {
	if t.queryID == "" {
		s.assignIDs(t, at)
	}
	t.state, t.at, t.settle = "00", at, settleDateOf(at)
}

// fail records t as failed with code. Caller holds s.mu.
func (s *Server) fail(t *txn, at time.Time, code string) {
	if t.queryID == "" {
		s.assignIDs(t, at)
	}
	t.state, t.at = code, at
}

// txnFields are the result fields of t in answers, queries and notifications (§3, §8). Caller holds s.mu.
func (s *Server) txnFields(t *txn) sign.Params {
	p := sign.Params{
		{Key: "queryId", Value: t.queryID}, {Key: "traceNo", Value: t.traceNo}, {Key: "traceTime", Value: t.trace},
	}
	if t.state == "00" {
		p = append(p, sign.Param{Key: "settleDate", Value: mmdd(t.settle)},
			sign.Param{Key: "settleCurrencyCode", Value: "156"})
		if t.amount > 0 {
			p = append(p, sign.Param{Key: "settleAmt", Value: strconv.FormatInt(t.amount, 10)})
		}
	}
	if t.card != "" {
		p = append(p, sign.Param{Key: "accNo", Value: mask(t.card)}, sign.Param{Key: "payCardType", Value: t.payCardType})
	}
	if t.orig != nil {
		p = append(p, sign.Param{Key: "origQryId", Value: t.orig.queryID})
	}
	if tk := s.st.tokens[t.token]; tk != nil {
		p = append(p, sign.Param{Key: "tokenPayData", Value: tokenData(tk)})
	}
	return p
}

// followUp serves consume undo (31), refund (04), pre-auth undo (32), completion (03) and
// completion undo (33) (unionpay.md §4.3, §11). A sync 00 means accepted; the result
// comes by notification. Rule breaks are refused before anything changes.
func (s *Server) followUp(x *exchange) *simulator.Reply {
	r := x.r
	amount, bad := amountOf(r)
	if bad != "" {
		return s.answer(x, "13", msgOf("13")+": "+bad, nil)
	}
	oq := r.str("origQryId")
	if oq == "" {
		return s.answer(x, "13", msgOf("13")+": origQryId is required", nil)
	}
	if r.str("backUrl") == "" {
		return s.answer(x, "13", msgOf("13")+": backUrl is required", nil)
	}
	s.mu.Lock()
	o := s.st.byQueryID[oq]
	if o == nil || o.key.merID != x.m.MerID || o.state != "00" {
		s.mu.Unlock()
		return s.answer(x, "35", msgOf("35")+": no successful original with origQryId "+oq, nil)
	}
	if code, msg := s.rule(x, o, amount); code != "" {
		s.mu.Unlock()
		return s.answer(x, code, msg, nil)
	}
	t, ok := s.newTxn(x, amount)
	if !ok {
		s.mu.Unlock()
		return s.answer(x, "12", msgOf("12")+": orderId "+r.str("orderId")+" was used before", nil)
	}
	t.orig, t.card, t.payCardType = o, o.card, o.payCardType
	s.apply(t, o, x.now)
	out := s.notices(t)
	res := s.txnFields(t)
	s.mu.Unlock()
	s.flush(out)
	return s.accepted(x, res)
}

// accepted answers an accepted asynchronous operation, or the business code of a
// business_code fault plan with process=true (the change has happened).
func (s *Server) accepted(x *exchange, res sign.Params) *simulator.Reply {
	if bf, ok := x.c.BusinessFault(); ok {
		code, msg := faultCode(bf)
		return s.answer(x, code, msg, nil)
	}
	return s.answer(x, "00", msgOf("00"), res)
}

// rule checks an undo/refund/pre-auth operation against its original. Caller holds s.mu.
func (s *Server) rule(x *exchange, o *txn, amount int64) (code, msg string) {
	t := x.r.str("txnType")
	today := settleDateOf(x.now)
	within30 := !today.After(o.settle.AddDays(30))
	switch t {
	case ttUndo:
		switch {
		case o.txnType != ttConsume:
			return "35", msgOf("35") + ": consume undo needs a consume (txnType 01)"
		case o.undone || o.refunded > 0:
			return "45", msgOf("45")
		case o.settle != today:
			return "35", msgOf("35") + ": consume undo only on the clearing day of the consume (" + mmdd(o.settle) + ", turning at 23:00); use refund (txnType 04)"
		case amount != o.amount:
			return "36", msgOf("36") + ": consume undo must be for the full amount " + strconv.FormatInt(o.amount, 10)
		}
	case ttRefund:
		switch {
		case o.txnType != ttConsume && o.txnType != ttComplete:
			return "35", msgOf("35") + ": refund needs a consume or a pre-auth completion"
		case o.undone:
			return "45", msgOf("45")
		case o.refunded >= o.amount:
			return "45", msgOf("45")
		case x.now.After(o.at.AddDate(0, 11, 0)):
			return "35", msgOf("35") + ": refund is possible up to 11 months after the consume"
		case amount > o.amount-o.refunded:
			return "36", msgOf("36") + ": refund amount exceeds the remaining " + strconv.FormatInt(o.amount-o.refunded, 10)
		}
	case ttPreAuthUndo:
		switch {
		case o.txnType != ttPreAuth:
			return "35", msgOf("35") + ": pre-auth undo needs a pre-auth (txnType 02)"
		case o.undone:
			return "45", msgOf("45")
		case o.completed != nil && !o.completed.undone:
			return "35", msgOf("35") + ": the pre-auth is completed; undo the completion first"
		case !within30:
			return "35", msgOf("35") + ": pre-auth undo is possible within 30 days of the pre-auth's clearing date"
		case amount != o.amount:
			return "36", msgOf("36") + ": pre-auth undo must be for the full amount " + strconv.FormatInt(o.amount, 10)
		}
	case ttComplete:
		switch {
		case o.txnType != ttPreAuth:
			return "35", msgOf("35") + ": completion needs a pre-auth (txnType 02)"
		case o.undone:
			return "45", msgOf("45")
		case o.completed != nil:
			// A second completion, even after a completion undo, is refused until someone
			// confirms the real gateway allows it (unionpay.md §4.3).
			return "35", msgOf("35") + ": the pre-auth was already completed"
		case !within30:
			return "35", msgOf("35") + ": the pre-auth has lapsed (completion within 30 days)"
		case amount*100 > o.amount*115:
			return "36", msgOf("36") + ": completion amount exceeds 115% of the pre-auth"
		}
		if c := s.st.cards[o.card]; c != nil && amount-o.frozen > c.available {
			return "64", msgOf("64")
		}
	case ttCompleteUndo:
		switch {
		case o.txnType != ttComplete:
			return "35", msgOf("35") + ": completion undo needs a completion (txnType 03)"
		case o.undone || o.refunded > 0:
			return "45", msgOf("45")
		case o.settle != today:
			return "35", msgOf("35") + ": completion undo only on the clearing day of the completion (" + mmdd(o.settle) + ")"
		case amount != o.amount:
			return "36", msgOf("36") + ": completion undo must be for the full amount " + strconv.FormatInt(o.amount, 10)
		}
	}
	return "", ""
}

// apply moves the money of an accepted follow-up t on original o. Caller holds s.mu.
func (s *Server) apply(t, o *txn, now time.Time) {
	c := s.st.cardOf(o.card)
	switch t.txnType {
	case ttUndo:
		o.undone = true
		c.available += t.amount
	case ttRefund:
		o.refunded += t.amount
		c.available += t.amount
	case ttPreAuthUndo:
		o.undone = true
		c.frozen -= o.frozen
		c.available += o.frozen
		o.frozen = 0
	case ttComplete:
		o.completed = t
		c.frozen -= o.frozen
		c.available += o.frozen - t.amount
		o.frozen = 0
	case ttCompleteUndo:
		// The completion's money goes back and the pre-auth's hold is restored.
		o.undone = true
		pre := o.orig
		c.available += t.amount - pre.amount
		c.frozen += pre.amount
		pre.frozen = pre.amount
	}
	s.succeed(t, now)
}

// query answers txnType 00 by orderId + txnTime (unionpay.md §7.2): respCode is the
// query's own result, origRespCode the transaction's. An order still waiting for the
// payer, cancelled or unknown is 34.
func (s *Server) query(x *exchange) *simulator.Reply {
	s.mu.Lock()
	t := s.st.txns[orderKey{x.m.MerID, x.r.str("orderId"), x.r.str("txnTime")}]
	if t == nil || t.state == "" || t.open && t.txnType == ttOpen {
		s.mu.Unlock()
		return s.answer(x, "34", msgOf("34"), nil)
	}
	res := s.txnFields(t)
	res = append(res, sign.Param{Key: "origRespCode", Value: t.state}, sign.Param{Key: "origRespMsg", Value: msgOf(t.state)})
	if t.amount > 0 {
		res = append(res, sign.Param{Key: "txnAmt", Value: strconv.FormatInt(t.amount, 10)}, sign.Param{Key: "currencyCode", Value: "156"})
	}
	s.mu.Unlock()
	return s.answer(x, "00", msgOf("00"), res)
}

// encCert answers the encryption-certificate update query (txnType 95, unionpay.md §6):
// the current encryption certificate for the merchant's signMethod.
func (s *Server) encCert(x *exchange) *simulator.Reply {
	pem := s.keys.rsaEncPEM
	if x.method == sign.UnionPaySignMethodSM2 {
		pem = s.keys.sm2EncPEM
	}
	return s.answer(x, "00", msgOf("00"), sign.Params{{Key: "certType", Value: "01"}, {Key: "encryptPubKeyCert", Value: pem}})
}
