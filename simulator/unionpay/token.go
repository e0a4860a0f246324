package unionpay

import (
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// tokenLife is how long an issued token is valid (tokenEnd; [inferred], unionpay.md §14).
const tokenLife = 5 * 365 * 24 * time.Hour

// tokenPayData reads the request's tokenPayData `{k=v&...}`.
func tokenPayData(x *exchange) (map[string]string, string, string) {
	v := x.r.str("tokenPayData")
	if v == "" {
		return nil, "13", msgOf("13") + ": tokenPayData is required"
	}
	m, err := parseBraced("tokenPayData", v)
	if err != nil {
		return nil, "10", "报文格式错误: " + err.Error()
	}
	if m["trId"] == "" {
		return nil, "13", msgOf("13") + ": tokenPayData.trId is required"
	}
	return m, "", ""
}

// findToken resolves tokenPayData's token for the merchant: unknown, deleted or of
// another requestor is 89, expired 80 (unionpay.md §7). Caller holds s.mu.
func (s *Server) findToken(x *exchange, tpd map[string]string) (*token, string, string) {
	if tpd["token"] == "" {
		return nil, "13", msgOf("13") + ": tokenPayData.token is required"
	}
	tk := s.st.tokens[tpd["token"]]
	switch {
	case tk == nil || tk.deleted || tk.merID != x.m.MerID || tk.trID != tpd["trId"]:
		return nil, "89", msgOf("89")
	case x.now.After(tk.end):
		return nil, "80", msgOf("80")
	}
	return tk, "", ""
}

// issueToken returns the card's active token for the merchant and requestor, or a new
// one (19 digits). Caller holds s.mu.
func (s *Server) issueToken(merID, trID, cardNo, phone string, now time.Time) *token {
	for _, tk := range s.st.tokens {
		if !tk.deleted && tk.merID == merID && tk.trID == trID && tk.card == cardNo && now.Before(tk.end) {
			if phone != "" {
				tk.phone = phone
			}
			return tk
		}
	}
	var v string
	for {
		v = "62" + s.eng.Rand().Digits(17)
		if s.st.tokens[v] == nil {
			break
		}
	}
	tk := &token{value: v, trID: trID, merID: merID, card: cardNo, phone: phone, begin: now, end: now.Add(tokenLife)}
	s.st.tokens[v] = tk
	return tk
}

func tokenData(tk *token) string {
	return braced("token", tk.value, "trId", tk.trID, "tokenType", "01", "tokenBegin", wireTime(tk.begin), "tokenEnd", wireTime(tk.end))
}

// sendSMS serves txnType 77 (open SMS 00, consume SMS 02, others): a code is "sent" to
// the cardholder and bound to this merId + orderId (unionpay.md §12).
func (s *Server) sendSMS(x *exchange) *simulator.Reply {
	var phone string
	if x.r.str("txnSubType") == "00" {
		no, code, msg := s.accNo(x)
		if code != "" {
			return s.answer(x, code, msg, nil)
		}
		ci, code, msg := s.customerInfo(x)
		if code != "" {
			return s.answer(x, code, msg, nil)
		}
		phone = ci["phoneNo"]
		if phone == "" {
			return s.answer(x, "13", msgOf("13")+": customerInfo.phoneNo is required", nil)
		}
		s.mu.Lock()
		c := s.st.cards[no]
		s.mu.Unlock()
		if c != nil && c.phone != "" && c.phone != phone {
			return s.answer(x, "66", msgOf("66"), nil)
		}
	} else {
		tpd, code, msg := tokenPayData(x)
		if code != "" {
			return s.answer(x, code, msg, nil)
		}
		if _, bad := amountOf(x.r); bad != "" && x.r.str("txnSubType") == "02" {
			return s.answer(x, "13", msgOf("13")+": "+bad, nil)
		}
		s.mu.Lock()
		tk, code, msg := s.findToken(x, tpd)
		if tk != nil {
			phone = tk.phone
		}
		s.mu.Unlock()
		if code != "" {
			return s.answer(x, code, msg, nil)
		}
	}
	smsCode := DemoSMSCode
	if s.cfg.RandomSMS {
		smsCode = s.eng.Rand().Digits(6)
	}
	s.mu.Lock()
	s.st.sms[smsKey{x.m.MerID, x.r.str("orderId")}] = smsCode
	s.mu.Unlock()
	s.eng.Record(simulator.Record{Op: "sms.code", Merchant: x.m.MerID, OutTradeNo: x.r.str("orderId"),
		Note: "SMS code " + smsCode + " sent to " + maskPhone(phone)})
	return s.answer(x, "00", msgOf("00"), nil)
}

func maskPhone(p string) string {
	if len(p) < 7 {
		return "****"
	}
	return p[:3] + "****" + p[len(p)-4:]
}

// smsOK checks a code against the one sent for this merId + orderId; with the fixed demo
// code any request may use it. Caller holds s.mu.
func (s *Server) smsOK(x *exchange, code string) bool {
	if code == "" {
		return false
	}
	if !s.cfg.RandomSMS {
		return code == DemoSMSCode
	}
	want, ok := s.st.sms[smsKey{x.m.MerID, x.r.str("orderId")}]
	return ok && sign.EqualString(want, code)
}

// backOpen serves the back-end token open (79/00, unionpay.md §4.2): the card's details
// are checked against the issuer's, and the token comes back synchronously.
func (s *Server) backOpen(x *exchange) *simulator.Reply {
	tpd, code, msg := tokenPayData(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	no, code, msg := s.accNo(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	ci, code, msg := s.customerInfo(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.cardOf(no)
	if code, msg := cardCheck(c, ci); code != "" {
		return s.answer(x, code, msg, nil)
	}
	if x.m.OpenSMS && !s.smsOK(x, ci["smsCode"]) {
		return s.answer(x, "71", msgOf("71"), nil)
	}
	t, ok := s.newTxn(x, 0)
	if !ok {
		return s.answer(x, "12", msgOf("12")+": orderId "+x.r.str("orderId")+" was used before", nil)
	}
	tk := s.issueToken(x.m.MerID, tpd["trId"], no, ci["phoneNo"], x.now)
	t.open, t.card, t.payCardType, t.token, t.trID = true, no, c.payCardType(), tk.value, tk.trID
	s.succeed(t, x.now)
	return s.answer(x, "00", msgOf("00"), sign.Params{{Key: "tokenPayData", Value: tokenData(tk)},
		{Key: "accNo", Value: mask(no)}, {Key: "payCardType", Value: t.payCardType}})
}

// cardCheck compares the cardholder's data with the issuer's: a credit card needs phone,
// CVN2 and expiry, a debit card the phone (unionpay.md §4.2).
func cardCheck(c *card, ci map[string]string) (string, string) {
	need := []string{"phoneNo"}
	if c.credit {
		need = append(need, "cvn2", "expired")
	}
	for _, f := range need {
		if ci[f] == "" {
			return "13", msgOf("13") + ": customerInfo." + f + " is required"
		}
	}
	if c.phone != "" && ci["phoneNo"] != c.phone {
		return "66", msgOf("66")
	}
	if c.credit && (c.cvn2 != "" && !sign.EqualString(ci["cvn2"], c.cvn2) || c.expired != "" && ci["expired"] != c.expired) {
		return "65", msgOf("65")
	}
	return "", ""
}

// openQuery serves 78/02: the token of the open with this orderId + txnTime.
func (s *Server) openQuery(x *exchange) *simulator.Reply {
	return s.tokenOf(x, func(t *txn) bool { return t.open })
}

// applyToken serves 79/05: the token made by the open-and-consume with this orderId +
// txnTime.
func (s *Server) applyToken(x *exchange) *simulator.Reply {
	return s.tokenOf(x, func(t *txn) bool { return t.txnType == ttConsume && t.token != "" })
}

func (s *Server) tokenOf(x *exchange, want func(*txn) bool) *simulator.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.txns[orderKey{x.m.MerID, x.r.str("orderId"), x.r.str("txnTime")}]
	if t == nil || t.state != "00" || !want(t) {
		return s.answer(x, "34", msgOf("34"), nil)
	}
	tk := s.st.tokens[t.token]
	if tk == nil || tk.deleted {
		return s.answer(x, "89", msgOf("89"), nil)
	}
	return s.answer(x, "00", msgOf("00"), sign.Params{{Key: "tokenPayData", Value: tokenData(tk)},
		{Key: "accNo", Value: mask(tk.card)}})
}

// updateToken serves 79/03: new cardholder data for the token's card.
func (s *Server) updateToken(x *exchange) *simulator.Reply {
	tpd, code, msg := tokenPayData(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	ci, code, msg := s.customerInfo(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tk, code, msg := s.findToken(x, tpd)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	if p := ci["phoneNo"]; p != "" {
		tk.phone = p
	}
	return s.answer(x, "00", msgOf("00"), sign.Params{{Key: "tokenPayData", Value: tokenData(tk)}})
}

// deleteToken serves 74/01: the token is removed; a later open yields a new one.
func (s *Server) deleteToken(x *exchange) *simulator.Reply {
	tpd, code, msg := tokenPayData(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tk, code, msg := s.findToken(x, tpd)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	tk.deleted = true
	return s.answer(x, "00", msgOf("00"), nil)
}

// tokenConsume serves the back consume by token (01/01, unionpay.md §4.2): the SMS code
// when the merchant requires it, the card's balance; a sync 00 means accepted, the
// notification follows.
func (s *Server) tokenConsume(x *exchange) *simulator.Reply {
	amount, bad := amountOf(x.r)
	if bad != "" {
		return s.answer(x, "13", msgOf("13")+": "+bad, nil)
	}
	if x.r.str("backUrl") == "" {
		return s.answer(x, "13", msgOf("13")+": backUrl is required", nil)
	}
	tpd, code, msg := tokenPayData(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	ci, code, msg := s.customerInfo(x)
	if code != "" {
		return s.answer(x, code, msg, nil)
	}
	s.mu.Lock()
	tk, code, msg := s.findToken(x, tpd)
	if code != "" {
		s.mu.Unlock()
		return s.answer(x, code, msg, nil)
	}
	if x.m.ConsumeSMS && !s.smsOK(x, ci["smsCode"]) {
		s.mu.Unlock()
		if ci["smsCode"] == "" {
			return s.answer(x, "13", msgOf("13")+": customerInfo.smsCode is required", nil)
		}
		return s.answer(x, "71", msgOf("71"), nil)
	}
	t, ok := s.newTxn(x, amount)
	if !ok {
		s.mu.Unlock()
		return s.answer(x, "12", msgOf("12")+": orderId "+x.r.str("orderId")+" was used before", nil)
	}
	c := s.st.cardOf(tk.card)
	t.card, t.payCardType, t.token, t.trID = tk.card, c.payCardType(), "", tk.trID
	if c.available < amount {
		s.fail(t, x.now, "64")
		s.mu.Unlock()
		return s.answer(x, "64", msgOf("64"), sign.Params{{Key: "queryId", Value: t.queryID}})
	}
	c.available -= amount
	s.succeed(t, x.now)
	out := s.notices(t)
	res := sign.Params{{Key: "queryId", Value: t.queryID}, {Key: "traceNo", Value: t.traceNo}, {Key: "traceTime", Value: t.trace},
		{Key: "settleDate", Value: mmdd(t.settle)}, {Key: "txnAmt", Value: strconv.FormatInt(amount, 10)}}
	s.mu.Unlock()
	s.flush(out)
	return s.accepted(x, res)
}
