package bank

import (
	"strconv"
	"time"
)

// Binding timings (§6).
const (
	applicationTTL = 10 * time.Minute
	smsTTL         = 5 * time.Minute
	smsGap         = 60 * time.Second
	maxSMSSends    = 5
	maxWrongCodes  = 5
	// TestSMSCode is always accepted (UnionPay's test convention, §14); WrongSMSCode never.
	TestSMSCode  = "111111"
	WrongSMSCode = "000000"
)

// bindApply is BIND_APPLY (§6): check the elements against the issuer record, then open
// an application and send an SMS code.
func (s *Server) bindApply(x *exchange) result {
	bindNo, bad := x.field("bindNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	userID, bad := x.field("userId", true, reUserID, "[A-Za-z0-9_-]{1,64}")
	if bad != nil {
		return *bad
	}
	cardNo, bad := x.field("cardNo", true, reDigits, "13 to 19 digits")
	if bad != nil {
		return *bad
	}
	if len(cardNo) < 13 || len(cardNo) > 19 {
		return malformed("cardNo", "want 13 to 19 digits")
	}
	nameIn, bad := x.field("holderName", true, nil, "")
	if bad != nil {
		return *bad
	}
	name, ok := cleanName(nameIn)
	if !ok {
		return malformed("holderName", "want 1 to 30 CJK characters, '·' or upper-case letters")
	}
	if _, bad := x.field("idType", true, reIDType, "01"); bad != nil {
		return *bad
	}
	idNo, bad := x.field("idNo", true, nil, "")
	if bad != nil {
		return *bad
	}
	if !validID(idNo) || !birthNotFuture(idNo, x) {
		return malformed("idNo", "want an 18-character resident ID with a valid check character")
	}
	mobile, bad := x.field("mobile", true, reMobile, "11 digits starting 13-19")
	if bad != nil {
		return *bad
	}
	cvn2, bad := x.field("cvn2", false, reCVN2, "3 digits")
	if bad != nil {
		return *bad
	}
	expiry, bad := x.field("expiry", false, nil, "")
	if bad != nil {
		return *bad
	}
	if !x.claim("BIND", bindNo) {
		return res(codeNumberReused)
	}
	m := x.m
	if a := m.apps[bindNo]; a != nil { // bindNo is unique for ever (§6)
		return res(codeNumberReused)
	}
	if !m.cfg.NoLuhn && !luhn(cardNo) {
		return res(codeBadCard, "invalid card number")
	}
	card := s.st.cards[cardNo]
	if card == nil {
		return res(codeBadCard, "invalid card number")
	}
	if card.Status != "" {
		return res(codeBadCard, "card "+card.Status)
	}
	if card.CardType == "CC" {
		if cvn2 == "" || expiry == "" {
			f := "cvn2"
			if cvn2 != "" {
				f = "expiry"
			}
			return malformed(f, "required for credit cards")
		}
		yymm, ok := x.expiryYYMM(expiry)
		if !ok {
			return malformed("expiry", "want "+x.expiryName()+" with month 01-12")
		}
		if yymm < x.now.In(beijing()).Format("0601") {
			return res(codeExpiredCard, "card expired")
		}
		if cvn2 != card.CVN2 || yymm != card.Expiry {
			return res(codeExpiredCard, "wrong CVN2 or expiry")
		}
	}
	if name != card.HolderName || upper(idNo) != card.IDNo || mobile != card.Mobile {
		return res(codeElements)
	}
	if ag := m.byUserCard[userID+"\x00"+cardNo]; ag != nil {
		return withData(codeAlreadyBound, map[string]any{"bindNo": bindNo, "protocolNo": ag.protocolNo,
			"cardNoMasked": maskPAN(cardNo), "cardType": card.CardType, "bankCode": card.BankCode})
	}
	a := &application{bindNo: bindNo, userID: userID, cardNo: cardNo, status: bindApplied,
		created: x.now, expires: x.now.Add(applicationTTL)}
	s.sendSMS(x, a)
	m.apps[bindNo] = a
	return withData(codeOK, map[string]any{"bindNo": bindNo, "cardType": card.CardType, "bankCode": card.BankCode,
		"smsSent": "Y", "smsExpireSeconds": strconv.Itoa(int(smsTTL / time.Second))})
}

// sendSMS draws a fresh code for a (readable at GET /_sim/bank/sms) and records the send.
func (s *Server) sendSMS(x *exchange, a *application) {
	a.code = s.eng.Rand().Digits(6)
	for a.code == WrongSMSCode {
		a.code = s.eng.Rand().Digits(6)
	}
	a.codeExpires, a.lastSent = x.now.Add(smsTTL), x.now
	a.sends++
	a.wrong = 0
	s.eng.Record(simulatorEvent(x.m.cfg.MerchantID, a.bindNo, "SMS code sent to the reserved mobile "+maskMobile(s.st.cards[a.cardNo].Mobile)))
}

// live returns the APPLIED application of bindNo, voiding it when its 10 minutes are
// over.
func (x *exchange) live(bindNo string) *application {
	a := x.m.apps[bindNo]
	if a == nil {
		return nil
	}
	if a.status == bindApplied && !x.now.Before(a.expires) {
		a.status = bindVoid
	}
	return a
}

// bindResend is BIND_SMS_RESEND (§6): one send per 60 s, five per application.
func (s *Server) bindResend(x *exchange) result {
	bindNo, bad := x.field("bindNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	a := x.live(bindNo)
	if a == nil || a.status != bindApplied {
		return res(codeBindUnknown)
	}
	if x.now.Sub(a.lastSent) < smsGap || a.sends >= maxSMSSends {
		return res(codeSMSTooOften)
	}
	s.sendSMS(x, a)
	return withData(codeOK, map[string]any{"bindNo": bindNo, "smsSent": "Y", "smsExpireSeconds": strconv.Itoa(int(smsTTL / time.Second))})
}

// bindConfirm is BIND_CONFIRM (§6): the SMS code turns the application into an
// agreement. A repeated confirm of a confirmed bindNo answers the same protocolNo.
func (s *Server) bindConfirm(x *exchange) result {
	bindNo, bad := x.field("bindNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	code, bad := x.field("smsCode", true, reSMS, "6 digits")
	if bad != nil {
		return *bad
	}
	a := x.live(bindNo)
	if a == nil || a.status == bindVoid {
		return res(codeBindUnknown)
	}
	m := x.m
	card := s.st.cards[a.cardNo]
	if a.status == agreementBound {
		return withData(codeOK, s.agreementData(m.agreements[a.protocolNo], card, bindNo))
	}
	if !x.now.Before(a.codeExpires) {
		return res(codeSMSExpired)
	}
	if code == WrongSMSCode || (code != a.code && code != TestSMSCode) {
		a.wrong++
		if a.wrong >= maxWrongCodes {
			a.status = bindVoid
			return res(codeSMSTooMany)
		}
		return res(codeSMSWrong, "SMS code wrong, "+strconv.Itoa(maxWrongCodes-a.wrong)+" attempts left")
	}
	if ag := m.byUserCard[a.userID+"\x00"+a.cardNo]; ag != nil {
		return withData(codeAlreadyBound, map[string]any{"bindNo": bindNo, "protocolNo": ag.protocolNo,
			"cardNoMasked": maskPAN(a.cardNo), "cardType": card.CardType, "bankCode": card.BankCode})
	}
	ag := &agreement{protocolNo: "P" + x.wireTime(x.now)[:8] + s.eng.Rand().Digits(12), userID: a.userID, cardNo: a.cardNo,
		bindNo: bindNo, status: agreementBound, bound: x.now}
	a.status, a.protocolNo = agreementBound, ag.protocolNo
	m.agreements[ag.protocolNo] = ag
	m.byUserCard[a.userID+"\x00"+a.cardNo] = ag
	return withData(codeOK, s.agreementData(ag, card, bindNo))
}

func (s *Server) agreementData(ag *agreement, card *Card, bindNo string) map[string]any {
	return map[string]any{"bindNo": bindNo, "protocolNo": ag.protocolNo, "cardNoMasked": maskPAN(ag.cardNo),
		"cardType": card.CardType, "bankCode": card.BankCode, "bindTime": ag.bound.In(beijing()).Format(timeCompact)}
}

// unbind is UNBIND (§6), idempotent.
func (s *Server) unbind(x *exchange) result {
	userID, bad := x.field("userId", true, reUserID, "[A-Za-z0-9_-]{1,64}")
	if bad != nil {
		return *bad
	}
	pno, bad := x.field("protocolNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	ag := x.m.agreements[pno]
	if ag == nil || ag.userID != userID {
		return res(codeProtocol)
	}
	if ag.status == agreementBound {
		ag.status = agreementUnbound
		delete(x.m.byUserCard, ag.userID+"\x00"+ag.cardNo)
	}
	return withData(codeOK, map[string]any{"protocolNo": pno, "status": agreementUnbound})
}

// bindQuery is BIND_QUERY (§6): the user's agreements, or one by protocolNo or bindNo.
func (s *Server) bindQuery(x *exchange) result {
	userID, bad := x.field("userId", true, reUserID, "[A-Za-z0-9_-]{1,64}")
	if bad != nil {
		return *bad
	}
	pno, bad := x.field("protocolNo", false, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	bindNo, bad := x.field("bindNo", false, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	list := []map[string]any{}
	for _, ag := range x.m.agreementsInOrder() {
		if ag.userID != userID || (pno != "" && ag.protocolNo != pno) || (bindNo != "" && ag.bindNo != bindNo) {
			continue
		}
		card := s.st.cards[ag.cardNo]
		list = append(list, map[string]any{"protocolNo": ag.protocolNo, "cardNoMasked": maskPAN(ag.cardNo),
			"cardType": card.CardType, "bankCode": card.BankCode, "status": ag.status,
			"bindTime": ag.bound.In(beijing()).Format(timeCompact)})
	}
	if len(list) == 0 && (pno != "" || bindNo != "") {
		return res(codeNotFound)
	}
	return withData(codeOK, map[string]any{"bindings": list})
}
