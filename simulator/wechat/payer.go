package wechat

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/simulator"
)

// findPayerOrder resolves a payer action's order: production orders first, then
// sandbox ones; a number used by two merchants needs a.Merchant.
func (s *Server) findPayerOrder(a simulator.PayerAction) (*order, error) {
	var found []*order
	for _, realm := range []string{"", "sandbox"} {
		for _, id := range s.st.merchantIDs {
			if a.Merchant != "" && id != a.Merchant {
				continue
			}
			if o := s.st.order(realm, id, a.OutTradeNo); o != nil {
				found = append(found, o)
			}
		}
		if len(found) > 0 {
			break
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("wechat: order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("wechat: order %q exists for several merchants, name one: %w", a.OutTradeNo, simulator.ErrConflict)
}

// payerBankType is the bank_type of a payer's card: a.Card as given when it is a bank
// type code ("CMB_DEBIT"), the bank of a card number through the simulator's BIN table
// (WeChat never shows the number itself), or OTHERS when empty. Anything else is a
// *simulator.FieldError naming "card".
func payerBankType(card string) (string, error) {
	switch {
	case card == "":
		return "OTHERS", nil
	case simulator.IsCardNumber(card):
		return simulator.LookupCard(card).WeChatBankType(), nil
	case simulator.IsCode(card):
		return card, nil
	}
	return "", &simulator.FieldError{Field: "card", Reason: fmt.Sprintf("%q: want a WeChat bank_type such as CMB_DEBIT or OTHERS, or a card number", simulator.MaskCard(card))}
}

// Pay makes the payer pay the order at a.Time with bank_type a.Card (default OTHERS;
// a card number is shown as its bank's bank_type, see payerBankType):
// NOTPAY orders (not expired by then) and barcode orders waiting in USERPAYING become
// SUCCESS with a transaction_id; a non-barcode order's payment notification is sent
// (§8). Options["openid"] sets the payer's openid for non-JSAPI orders. Paying a paid
// order is ErrConflict, so a duplicate action never pays twice.
func (s *Server) Pay(ctx context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	bankType, err := payerBankType(a.Card)
	if err != nil {
		return simulator.PayerResult{}, err
	}
	s.mu.Lock()
	o, err := s.findPayerOrder(a)
	if err != nil {
		s.mu.Unlock()
		return simulator.PayerResult{}, err
	}
	o.refresh(a.Time)
	if o.state() != StateNotPay && o.state() != StateUserPaying {
		st := o.state()
		s.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("wechat: order %q is %s, cannot be paid: %w", a.OutTradeNo, st, simulator.ErrConflict)
	}
	if o.openID() == "" && a.Options["openid"] != "" {
		o.mut().openID = a.Options["openid"]
	}
	out := s.markPaid(o, a.Time, bankType)
	res := payerResult(o)
	send := s.send
	s.mu.Unlock()
	for _, n := range out {
		send(n)
	}
	return res, nil
}

// Cancel makes the payer abandon the order. A barcode order waiting for the password
// becomes PAYERROR; an unpaid order stays NOTPAY (closing the cashier changes nothing on
// WeChat's side: the order can still be paid until it expires or is closed). Paid or
// closed orders are ErrConflict.
func (s *Server) Cancel(ctx context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.findPayerOrder(a)
	if err != nil {
		return simulator.PayerResult{}, err
	}
	o.refresh(a.Time)
	switch o.state() {
	case StateUserPaying:
		o.setState(StatePayError)
	case StateNotPay:
	default:
		return simulator.PayerResult{}, fmt.Errorf("wechat: order %q is %s, cannot be cancelled: %w", a.OutTradeNo, o.state(), simulator.ErrConflict)
	}
	return payerResult(o), nil
}

func payerResult(o *order) simulator.PayerResult {
	amt := o.totalFee
	return simulator.PayerResult{State: string(o.state()), ChannelTxnID: o.txnID(), Amount: &amt}
}
