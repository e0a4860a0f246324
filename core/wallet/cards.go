package wallet

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
)

// CardRequest binds a card to a customer with the 4 elements the bank verifies.
type CardRequest struct {
	Channel string // a Config.Binders name (the bank)
	Number  string // the card number (PAN)
	Holder  string // the holder's name: must be the customer's name
	IDNo    string // the holder's ID number: must be the customer's
	Mobile  string // the bank-reserved mobile
}

// BindCard starts binding a card to a customer: the holder's name and ID number must be the
// customer's own (cards belong to the customer), the channel verifies the 4 elements and
// sends an SMS code to the reserved mobile; ConfirmCard completes it. The card number and the
// mobile are stored sealed; nothing of the card is logged. A card already bound for the
// customer at the bank is bound at once.
func (s *Service) BindCard(ctx context.Context, merchantID, customerID string, req CardRequest) (*Card, error) {
	b := s.cfg.Binders[req.Channel]
	if b == nil {
		return nil, fail(ErrInvalid, "channel", "%q binds no cards here", req.Channel)
	}
	c, err := s.Customer(ctx, merchantID, customerID)
	if err != nil {
		return nil, err
	}
	if err := card.CheckPAN(req.Number); err != nil {
		return nil, fail(ErrInvalid, "card_no", "%v", err)
	}
	holder, err := card.CleanHolderName(req.Holder)
	if err != nil {
		return nil, fail(ErrInvalid, "holder", "%v", err)
	}
	if err := card.CheckMobile(req.Mobile); err != nil {
		return nil, fail(ErrInvalid, "mobile", "%v", err)
	}
	if holder != c.Name || !s.cfg.Keyring.Fingerprint(card.FieldIDNo, req.IDNo).Equal(mustFP(c.IDNoFP)) {
		return nil, fail(ErrInvalid, "holder", "the card's holder name and ID number must be the customer's")
	}
	pan, err := s.cfg.Keyring.Seal(card.FieldPAN, req.Number)
	if err != nil {
		return nil, err
	}
	phone, err := s.cfg.Keyring.Seal(card.FieldPhone, req.Mobile)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	cd := &Card{ID: newID("card_"), CustomerID: c.ID, Channel: req.Channel, State: CardPending, PANSealed: pan.String(),
		PANFP: s.cfg.Keyring.Fingerprint(card.FieldPAN, req.Number).String(), Masked: card.Mask(req.Number), PhoneSealed: phone.String(),
		Holder: holder, CreatedAt: now, UpdatedAt: now}
	ch, err := b.SendBindSMS(ctx, &channel.BindRequest{BindNo: cd.ID, BindTime: now, UserID: c.ID,
		Card: channel.Card{Number: req.Number, HolderName: holder, IDType: "01", IDNumber: req.IDNo, Mobile: req.Mobile}})
	if err != nil {
		return nil, fail(ErrInvalid, "card_no", "the bank refused the card: %v", err)
	}
	if ch.AlreadyBound != nil {
		return s.bound(ctx, c, cd, ch.AlreadyBound)
	}
	if err := s.cfg.Store.PutBoundCard(ctx, cd); err != nil {
		return nil, err
	}
	return cd, nil
}

func mustFP(hexFP string) card.Fingerprint {
	var f card.Fingerprint
	_ = f.UnmarshalText([]byte(hexFP))
	return f
}

// ConfirmCard completes a binding with the SMS code. The bound card raises the customer to
// LevelCard (4 elements verified by the bank), if it was lower.
func (s *Service) ConfirmCard(ctx context.Context, merchantID, cardID, smsCode string) (*Card, error) {
	cd, err := s.cfg.Store.BoundCard(ctx, cardID)
	if err != nil {
		return nil, err
	}
	c, err := s.Customer(ctx, merchantID, cd.CustomerID)
	if err != nil {
		return nil, err
	}
	if cd.State == CardBound {
		return cd, nil
	}
	if smsCode == "" || len(smsCode) > 12 {
		return nil, fail(ErrInvalid, "sms_code", "required")
	}
	b := s.cfg.Binders[cd.Channel]
	if b == nil {
		return nil, fail(ErrInvalid, "channel", "%q binds no cards here", cd.Channel)
	}
	sealed, err := card.ParseSealed(cd.PANSealed)
	if err != nil {
		return nil, err
	}
	pan, err := s.cfg.Keyring.Open(card.FieldPAN, sealed)
	if err != nil {
		return nil, err
	}
	bd, err := b.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: cd.ID, BindTime: cd.CreatedAt, UserID: c.ID, SMSCode: smsCode,
		Card: channel.Card{Number: pan, HolderName: cd.Holder}})
	if err != nil {
		return nil, fail(ErrInvalid, "sms_code", "the bank did not confirm the binding: %v", err)
	}
	return s.bound(ctx, c, cd, bd)
}

func (s *Service) bound(ctx context.Context, c *Customer, cd *Card, bd *channel.Binding) (*Card, error) {
	if bd.Status != channel.StatusSucceeded {
		return nil, fail(ErrInvalid, "card_no", "binding is %s at the bank", bd.Status)
	}
	cd.State, cd.Token, cd.BankCode, cd.CardType, cd.UpdatedAt = CardBound, bd.Token, bd.BankCode, bd.CardType, s.cfg.Clock.Now()
	if err := s.cfg.Store.PutBoundCard(ctx, cd); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RaiseCustomerLevel(ctx, c.ID, LevelCard, fmt.Sprintf("4 elements verified by %s binding %s", cd.Channel, cd.ID), cd.UpdatedAt); err != nil {
		return nil, err
	}
	return cd, nil
}
