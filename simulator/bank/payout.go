package bank

import "github.com/tongdao/tongdao/core/money"

// payout is PAYOUT (§6): debit the merchant's payout balance and credit a card; accepted
// as PROCESSING, final after Config.PayoutDelay. Payouts to a card marked ReturnPayouts
// are returned (RETURNED) Config.ReturnAfter after success.
func (s *Server) payout(x *exchange) result {
	payoutNo, bad := x.field("payoutNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
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
	amt, bad := x.amount()
	if bad != nil {
		return *bad
	}
	if _, bad := x.field("purpose", true, nil, ""); bad != nil {
		return *bad
	}
	nu, bad := x.notifyURL(true)
	if bad != nil {
		return *bad
	}
	if _, bad := x.field("bankCode", false, reCode, "2 to 16 upper-case letters or digits"); bad != nil {
		return *bad
	}
	m := x.m
	if !x.claim("PAYOUT", payoutNo) || m.payouts[payoutNo] != nil {
		return res(codeNumberReused)
	}
	if !m.cfg.NoLuhn && !luhn(cardNo) {
		return res(codeBadCard, "invalid card number")
	}
	card := s.st.cards[cardNo]
	if card != nil && card.CardType == "CC" {
		return res(codeCardType, "payouts to credit cards are not supported")
	}
	if m.available.Minor() < amt.Minor() {
		return res(codeBalance)
	}
	t := s.newTxn(x, "PAYOUT", payoutNo, amt)
	t.cardNo, t.holderName, t.notifyURL = cardNo, name, nu
	t.notifyID = "N" + t.bankSerial
	m.payouts[payoutNo] = t
	m.available = money.Fen(m.available.Minor() - amt.Minor())
	m.frozen = money.Fen(m.frozen.Minor() + amt.Minor())
	mid := m.cfg.MerchantID
	s.eng.AfterFunc(s.cfg.PayoutDelay, func() { s.settlePayout(mid, t) })
	return txnResult(t)
}

// settlePayout ends a PROCESSING payout: FAIL (funds back) when the receiving card is
// frozen or lost or its holder name differs, SUCCESS otherwise; then notifies.
func (s *Server) settlePayout(mid string, t *txn) {
	s.mu.Lock()
	m := s.st.merchants[mid]
	if m == nil || m.payouts[t.no] != t || t.status != StatusProcessing {
		s.mu.Unlock()
		return
	}
	now := s.eng.Now()
	card := s.st.cards[t.cardNo]
	m.frozen = money.Fen(m.frozen.Minor() - t.amount.Minor())
	switch {
	case card != nil && card.Status != "":
		t.failCode, t.failMsg = codeBadCard, codeText[codeBadCard]
	case card != nil && card.HolderName != t.holderName:
		t.failCode, t.failMsg = codeElements, "holder name does not match the account"
	}
	if t.failCode != "" {
		m.available = money.Fen(m.available.Minor() + t.amount.Minor())
		s.finish(t, StatusFail, now)
	} else {
		if card != nil {
			card.Balance += t.amount.Minor()
		}
		s.finish(t, StatusSuccess, now)
		if card != nil && card.ReturnPayouts {
			s.eng.AfterFunc(s.cfg.ReturnAfter, func() { _ = s.returnPayout(mid, t.no) })
		}
	}
	n := s.txnNotice(m, t, NotifyPayout)
	s.mu.Unlock()
	s.flush([]notice{n})
}

// returnPayout bounces a SUCCESS payout (退票): RETURNED, funds back to the merchant's
// available balance, a notification, and a RETURN record on the day it happened.
func (s *Server) returnPayout(mid, payoutNo string) error {
	s.mu.Lock()
	m := s.st.merchants[mid]
	var t *txn
	if m != nil {
		t = m.payouts[payoutNo]
	}
	if t == nil {
		s.mu.Unlock()
		return errNotFound("payout " + payoutNo)
	}
	if t.status != StatusSuccess {
		s.mu.Unlock()
		return errConflict("payout " + payoutNo + " is " + t.status + ", only SUCCESS payouts can be returned")
	}
	now := s.eng.Now()
	if card := s.st.cards[t.cardNo]; card != nil {
		card.Balance -= t.amount.Minor()
	}
	m.available = money.Fen(m.available.Minor() + t.amount.Minor())
	t.status, t.returned = StatusReturned, now
	n := s.txnNotice(m, t, NotifyPayout)
	s.mu.Unlock()
	s.flush([]notice{n})
	return nil
}

// payoutQuery is PAYOUT_QUERY (§6); status may be RETURNED.
func (s *Server) payoutQuery(x *exchange) result {
	payoutNo, bad := x.field("payoutNo", true, reNo, "[A-Za-z0-9_-]{1,32}")
	if bad != nil {
		return *bad
	}
	t := x.m.payouts[payoutNo]
	if t == nil {
		return res(codeNotFound)
	}
	return withData(codeOK, txnData(t))
}

// balanceQuery is BALANCE_QUERY (§6): the payout account in fen.
func (s *Server) balanceQuery(x *exchange) result {
	return withData(codeOK, map[string]any{"available": fen(x.m.available.Minor()), "frozen": fen(x.m.frozen.Minor())})
}
