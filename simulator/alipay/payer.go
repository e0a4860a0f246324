package alipay

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/simulator"
)

// findPayerTrade resolves a payer action's order (reserved or visible); a number used
// by two apps needs a.Merchant. Caller holds s.mu.
func (s *Server) findPayerTrade(a simulator.PayerAction) (*trade, error) {
	var found []*trade
	for _, id := range s.st.merchantIDs {
		if a.Merchant != "" && id != a.Merchant {
			continue
		}
		if t := s.st.trades[tradeKey{id, a.OutTradeNo}]; t != nil {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("alipay: order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("alipay: order %q exists for several apps, name one: %w", a.OutTradeNo, simulator.ErrConflict)
}

// fundChannel is the fund channel of a payer's card: a fund channel code as given, a card
// number as DEBIT_CARD/CREDIT_CARD by the simulator's BIN table (Alipay never shows the
// number), ALIPAYACCOUNT when empty; false for anything else.
func fundChannel(card string) (string, bool) {
	switch {
	case card == "":
		return defaultFund, true
	case simulator.IsCardNumber(card):
		return simulator.LookupCard(card).AlipayFundChannel(), true
	case simulator.IsCode(card):
		return card, true
	}
	return "", false
}

// Pay makes the payer pay at a.Time with fund channel a.Card (default ALIPAYACCOUNT; a
// card number is shown as its kind, see fundChannel):
// a precreated QR code is scanned and paid, a cashier order paid, a barcode trade
// waiting after 10003 confirmed on the phone. The trade becomes TRADE_SUCCESS and its
// notification is sent. With Options["scan_only"] = "true" the payer only scans (or
// opens the cashier): the trade appears as WAIT_BUYER_PAY (§9.2) and stays unpaid.
// Paying a paid or closed trade is ErrConflict.
func (s *Server) Pay(ctx context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	fund, ok := fundChannel(a.Card)
	if !ok {
		return simulator.PayerResult{}, &simulator.FieldError{Field: "card",
			Reason: fmt.Sprintf("%q: want an Alipay fund channel such as ALIPAYACCOUNT or PCREDIT, or a card number", simulator.MaskCard(a.Card))}
	}
	s.mu.Lock()
	t, err := s.waitingTrade(a, "paid")
	if err != nil {
		s.mu.Unlock()
		return simulator.PayerResult{}, err
	}
	var out []notice
	if a.Options["scan_only"] == "true" {
		s.makeVisible(t, a.Time)
		s.armExpiry(t, a.Time)
	} else {
		out = s.markPaid(t, a.Time, fund)
	}
	res := payerResult(t)
	s.mu.Unlock()
	s.flush(out)
	return res, nil
}

// Cancel makes the payer abandon the order: a waiting trade (or a reserved order, which
// then appears) is closed (TRADE_CLOSED, notified when it has a notify URL). Paid or
// closed trades are ErrConflict.
func (s *Server) Cancel(ctx context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	s.mu.Lock()
	t, err := s.waitingTrade(a, "cancelled")
	if err != nil {
		s.mu.Unlock()
		return simulator.PayerResult{}, err
	}
	out := s.closeUnpaid(t, a.Time, t.notifyURL)
	res := payerResult(t)
	s.mu.Unlock()
	s.flush(out)
	return res, nil
}

func payerResult(t *trade) simulator.PayerResult {
	amt := t.total
	return simulator.PayerResult{State: t.status, ChannelTxnID: t.tradeNo, Amount: &amt}
}

// waitingTrade finds the payer's trade and checks it still waits for the buyer; verb
// names the refused action in the ErrConflict error. Caller holds s.mu.
func (s *Server) waitingTrade(a simulator.PayerAction, verb string) (*trade, error) {
	t, err := s.findPayerTrade(a)
	if err != nil {
		return nil, err
	}
	t.refresh(a.Time)
	if t.status != StatusWaitBuyerPay {
		return nil, fmt.Errorf("alipay: trade %q is %s, cannot be %s: %w", a.OutTradeNo, t.status, verb, simulator.ErrConflict)
	}
	return t, nil
}
