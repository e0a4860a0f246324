package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// bind completes a binding of card for user through Binder, reading the SMS code from the
// simulator. It returns the binding (the existing one when the card was bound already).
func (s *suite) bind(ctx context.Context, user string, card channel.Card) (*channel.Binding, error) {
	b := s.h.Channel.(channel.Binder)
	bindNo := s.number("K")
	ch, err := b.SendBindSMS(ctx, &channel.BindRequest{BindNo: bindNo, BindTime: s.stamp(bindNo), UserID: user, Card: card, NotifyURL: s.h.NotifyCollector.URL()})
	if err != nil {
		return nil, fmt.Errorf("SendBindSMS(%s): %w", bindNo, err)
	}
	if ch.AlreadyBound != nil {
		return ch.AlreadyBound, nil
	}
	code, err := s.h.Sim.(SMSReader).BindSMSCode(ctx, s.name(), bindNo)
	if err != nil {
		return nil, fmt.Errorf("simulator: SMS code of %s: %w", bindNo, err)
	}
	bd, err := b.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: bindNo, BindTime: s.orderTime(bindNo), UserID: user, SMSCode: code, Card: card})
	if err != nil {
		return nil, fmt.Errorf("ConfirmBind(%s): %w", bindNo, err)
	}
	return bd, nil
}

// bindToken binds Harness.BindCard for the token-mode payments.
func (s *suite) bindToken(ctx context.Context) error {
	user := s.h.PayerID
	if user == "" {
		user = s.number("U")
	}
	b, err := s.bind(ctx, user, s.h.BindCard)
	if err != nil {
		return err
	}
	if b.Token == "" {
		return errors.New("the binding has no Token")
	}
	s.token, s.tokenUser = b.Token, user
	return nil
}

// tokenPay is PayThenPayerPays for MethodToken: Pay executes at once (Succeeded, or
// Processing until the channel finishes it); repeating the identical request moves no
// money twice; the same number with other content is refused.
func (s *suite) tokenPay(t T, ctx context.Context) {
	name := s.name()
	no := s.number("P")
	res, err := s.h.Channel.Pay(ctx, s.payRequest(no, 1234))
	if err != nil {
		t.Fatalf("%s: token Pay(%s) failed: %v; the contract expects SUCCEEDED or PROCESSING", name, no, err)
	}
	if res.Status != channel.StatusSucceeded && res.Status != channel.StatusProcessing {
		t.Errorf("%s: token Pay(%s) gave %v; the contract expects SUCCEEDED or PROCESSING", name, no, res.Status)
	}
	again, err := s.h.Channel.Pay(ctx, s.payRequest(no, 1234))
	switch {
	case err != nil && !errors.Is(err, channel.ErrAlreadyDone):
		t.Errorf("%s: repeating token Pay(%s) with identical content gave %v; the contract expects the same payment again (or AlreadyDone)", name, no, err)
	case err == nil && res.ChannelTxnID != "" && again.ChannelTxnID != res.ChannelTxnID:
		t.Errorf("%s: repeating token Pay(%s) gave transaction %q, the first %q: a second payment", name, no, again.ChannelTxnID, res.ChannelTxnID)
	}
	other := s.payRequest(no, 1235)
	if r, err := s.h.Channel.Pay(ctx, other); !errors.Is(err, channel.ErrInvalidRequest) && !errors.Is(err, channel.ErrAlreadyDone) {
		t.Errorf("%s: token Pay(%s) again with another amount gave %s; the contract expects an InvalidRequest or AlreadyDone error", name, no, describeResult(r, err))
	}
	s.advance(t, ctx, time.Second)
	q := s.query(t, ctx, no)
	if q.Status != channel.StatusSucceeded {
		t.Fatalf("%s: Query(%s) of a token payment gave %v; the contract expects SUCCEEDED", name, no, q.Status)
	}
	if q.Amount != s.amount(1234) || q.ChannelTxnID == "" || q.PaidAt.IsZero() {
		t.Errorf("%s: Query(%s) reports amount %v, transaction %q, paid at %v; want %v, an id and a time", name, no, q.Amount, q.ChannelTxnID, q.PaidAt, s.amount(1234))
	}
}

func (s *suite) needBinder(t T) channel.Binder {
	t.Helper()
	b, ok := s.h.Channel.(channel.Binder)
	if !ok {
		t.Skipf("%s: no Binder", s.name())
	}
	if !s.h.canBind() {
		t.Skipf("%s: a Binder, but no Harness.BindCard or the simulator shows no SMS codes (SMSReader)", s.name())
	}
	return b
}

func (s *suite) binder(t T) {
	b := s.needBinder(t)
	ctx := s.ctx(t)
	name := s.name()
	card := s.h.BindCard
	masked := channel.MaskPAN(card.Number)

	t.Run("BindWithSMS", func(t T) {
		user, bindNo := s.number("U"), s.number("K")
		req := &channel.BindRequest{BindNo: bindNo, BindTime: s.stamp(bindNo), UserID: user, Card: card, NotifyURL: s.h.NotifyCollector.URL()}
		ch, err := b.SendBindSMS(ctx, req)
		if err != nil {
			t.Fatalf("%s: SendBindSMS(%s) failed: %v", name, bindNo, err)
		}
		if ch.AlreadyBound != nil {
			t.Fatalf("%s: SendBindSMS(%s) for a new user says AlreadyBound", name, bindNo)
		}
		if strings.Contains(ch.MobileMasked, card.Mobile) && card.Mobile != "" {
			t.Errorf("%s: the challenge shows the full mobile", name)
		}
		sms := s.h.Sim.(SMSReader)
		code, err := sms.BindSMSCode(ctx, name, bindNo)
		if err != nil {
			t.Fatalf("simulator: SMS code of %s: %v", bindNo, err)
		}
		// The same request again replays: no new code.
		if _, err := b.SendBindSMS(ctx, req); err != nil {
			t.Errorf("%s: repeating SendBindSMS(%s) failed: %v; the contract expects the first answer again", name, bindNo, err)
		} else if again, _ := sms.BindSMSCode(ctx, name, bindNo); again != code {
			t.Errorf("%s: repeating SendBindSMS(%s) sent a new SMS code; it must replay", name, bindNo)
		}
		bd, err := b.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: bindNo, BindTime: s.orderTime(bindNo), UserID: user, SMSCode: code, Card: card})
		if err != nil {
			t.Fatalf("%s: ConfirmBind(%s) failed: %v", name, bindNo, err)
		}
		if bd.Status != channel.StatusSucceeded || bd.Token == "" {
			t.Errorf("%s: ConfirmBind(%s) gave status %v token %q; want SUCCEEDED and a token", name, bindNo, bd.Status, bd.Token)
		}
		if bd.CardMasked != "" && (bd.CardMasked != masked || strings.Contains(bd.CardMasked, card.Number)) {
			t.Errorf("%s: ConfirmBind shows the card as %q; want %q (first 6 + last 4)", name, bd.CardMasked, masked)
		}
		if again, err := b.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: bindNo, BindTime: s.orderTime(bindNo), UserID: user, SMSCode: code, Card: card}); err != nil || again.Token != bd.Token {
			t.Errorf("%s: confirming %s twice gave %v / %v; the contract expects the same binding", name, bindNo, again, err)
		}
		list, err := b.QueryBinding(ctx, &channel.BindingQuery{UserID: user})
		if err != nil {
			t.Fatalf("%s: QueryBinding(%s) failed: %v", name, user, err)
		}
		found := false
		for _, x := range list {
			found = found || (x.Token == bd.Token && x.Status == channel.StatusSucceeded)
		}
		if !found {
			t.Errorf("%s: QueryBinding(%s) = %+v lacks the bound token", name, user, list)
		}
	})

	t.Run("AlreadyBound", func(t T) {
		user := s.number("U")
		first, err := s.bind(ctx, user, card)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bindNo := s.number("K")
		ch, err := b.SendBindSMS(ctx, &channel.BindRequest{BindNo: bindNo, BindTime: s.stamp(bindNo), UserID: user, Card: card})
		if err != nil {
			t.Fatalf("%s: SendBindSMS of a bound card failed: %v; the contract expects a challenge with AlreadyBound", name, err)
		}
		if ch.AlreadyBound == nil || ch.AlreadyBound.Token != first.Token {
			t.Errorf("%s: SendBindSMS of a bound card gave %+v; want AlreadyBound with token %q", name, ch, first.Token)
		}
	})

	t.Run("Resend", func(t T) {
		user, bindNo := s.number("U"), s.number("K")
		if _, err := b.SendBindSMS(ctx, &channel.BindRequest{BindNo: bindNo, BindTime: s.stamp(bindNo), UserID: user, Card: card}); err != nil {
			t.Fatalf("%s: SendBindSMS(%s) failed: %v", name, bindNo, err)
		}
		s.advance(t, ctx, 61*time.Second) // channels limit resends (the bank: one per 60 s)
		smsNo := s.number("M")
		ch, err := b.ResendBindSMS(ctx, &channel.ResendSMSRequest{SMSNo: smsNo, SMSTime: s.stamp(smsNo), BindNo: bindNo, BindTime: s.orderTime(bindNo), UserID: user, Card: card})
		if err != nil {
			t.Fatalf("%s: ResendBindSMS(%s) failed: %v", name, bindNo, err)
		}
		if ch.BindNo != bindNo {
			t.Errorf("%s: ResendBindSMS answered for binding %q, want %q", name, ch.BindNo, bindNo)
		}
		code, err := s.h.Sim.(SMSReader).BindSMSCode(ctx, name, bindNo)
		if err != nil {
			t.Fatalf("simulator: SMS code of %s: %v", bindNo, err)
		}
		if bd, err := b.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: bindNo, BindTime: s.orderTime(bindNo), UserID: user, SMSCode: code, Card: card}); err != nil || bd.Token == "" {
			t.Errorf("%s: ConfirmBind with the resent code gave %v / %v", name, bd, err)
		}
	})

	t.Run("UnbindIdempotent", func(t T) {
		user := s.number("U")
		bd, err := s.bind(ctx, user, card)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 1; i <= 2; i++ {
			unNo := s.number("X")
			u, err := b.Unbind(ctx, &channel.UnbindRequest{UnbindNo: unNo, UnbindTime: s.stamp(unNo), UserID: user, Token: bd.Token})
			if err != nil {
				t.Fatalf("%s: Unbind #%d of %s failed: %v; unbinding is idempotent", name, i, bd.Token, err)
			}
			if u.Status != channel.StatusClosed {
				t.Errorf("%s: Unbind #%d gave status %v; want CLOSED", name, i, u.Status)
			}
		}
		if list, err := b.QueryBinding(ctx, &channel.BindingQuery{UserID: user}); err == nil {
			for _, x := range list {
				if x.Token == bd.Token && x.Status == channel.StatusSucceeded {
					t.Errorf("%s: QueryBinding still lists %s as bound after Unbind", name, bd.Token)
				}
			}
		}
	})
}

func (s *suite) payouts(t T) {
	p, ok := s.h.Channel.(channel.Payouter)
	if !ok {
		t.Skipf("%s: no Payouter", s.name())
	}
	card := s.h.PayoutCard
	if card.Number == "" {
		card = s.h.BindCard
	}
	if card.Number == "" {
		t.Skipf("%s: no Harness.PayoutCard or BindCard to pay out to", s.name())
	}
	ctx := s.ctx(t)
	name := s.name()
	payout := func(t T, minor int64) (string, *channel.PayoutResult) {
		t.Helper()
		no := s.number("O")
		req := &channel.PayoutRequest{PayoutNo: no, PayoutTime: s.stamp(no), Card: card, Amount: s.amount(minor), Purpose: "conformance", NotifyURL: s.h.NotifyCollector.URL()}
		res, err := p.Payout(ctx, req)
		if err != nil {
			t.Fatalf("%s: Payout(%s) failed: %v", name, no, err)
		}
		if res.Status != channel.StatusProcessing && res.Status != channel.StatusSucceeded {
			t.Errorf("%s: Payout(%s) gave %v; want PROCESSING or SUCCEEDED", name, no, res.Status)
		}
		if again, err := p.Payout(ctx, req); err != nil && !errors.Is(err, channel.ErrAlreadyDone) {
			t.Errorf("%s: repeating Payout(%s) gave %v; the contract expects the same payout", name, no, err)
		} else if err == nil && res.ChannelTxnID != "" && again.ChannelTxnID != res.ChannelTxnID {
			t.Errorf("%s: repeating Payout(%s) made a second payout (%q, %q)", name, no, res.ChannelTxnID, again.ChannelTxnID)
		}
		return no, res
	}
	settled := func(t T, no string) *channel.PayoutResult {
		t.Helper()
		var last *channel.PayoutResult
		for _, d := range []time.Duration{time.Minute, 30 * time.Minute, 3 * time.Hour} {
			s.advance(t, ctx, d)
			r, err := p.QueryPayout(ctx, &channel.PayoutQuery{PayoutNo: no, PayoutTime: s.orderTime(no)})
			if err != nil {
				t.Fatalf("%s: QueryPayout(%s) failed: %v", name, no, err)
			}
			if last = r; r.Status != channel.StatusProcessing && r.Status != channel.StatusPending {
				return r
			}
		}
		t.Fatalf("%s: payout %s still %v after 3.5 hours", name, no, last.Status)
		return nil
	}

	t.Run("PayoutQuerySucceededIsNotFinal", func(t T) {
		no, res := payout(t, 800)
		if res.Final() {
			t.Errorf("%s: Payout(%s) result is Final with status %v", name, no, res.Status)
		}
		r := settled(t, no)
		if r.Status != channel.StatusSucceeded || r.Amount != s.amount(800) {
			t.Fatalf("%s: payout %s settled as %v %v; want SUCCEEDED %v", name, no, r.Status, r.Amount, s.amount(800))
		}
		if r.Final() {
			t.Errorf("%s: a SUCCEEDED payout reports Final(); the receiving bank can still return it", name)
		}
	})

	t.Run("ReturnedIsReversed", func(t T) {
		ret, ok := s.h.Sim.(PayoutReturner)
		if !ok {
			t.Skipf("simulator cannot return payouts (PayoutReturner)")
		}
		no, _ := payout(t, 900)
		if r := settled(t, no); r.Status != channel.StatusSucceeded {
			t.Fatalf("%s: payout %s settled as %v", name, no, r.Status)
		}
		if err := ret.ReturnPayout(ctx, name, no); err != nil {
			t.Fatalf("simulator: return payout %s: %v", no, err)
		}
		s.advance(t, ctx, time.Second)
		r, err := p.QueryPayout(ctx, &channel.PayoutQuery{PayoutNo: no, PayoutTime: s.orderTime(no)})
		if err != nil {
			t.Fatalf("%s: QueryPayout(%s) failed: %v", name, no, err)
		}
		if r.Status != channel.StatusReversed || !r.Final() {
			t.Errorf("%s: a returned payout %s queries as %v (Final %v); want REVERSED and final", name, no, r.Status, r.Final())
		}
		got, _ := s.h.NotifyCollector.For(no)
		reversed := false
		for _, d := range got {
			if d.Notification.Payout != nil && d.Notification.Payout.Status == channel.StatusReversed {
				reversed = true
				if d.Notification.Payout.ReturnNo == "" {
					t.Errorf("%s: the reversed payout notification for %s has no ReturnNo", name, no)
				}
			}
		}
		if !reversed && s.info.Notify.Types != nil && containsType(s.info.Notify.Types, channel.NotifyPayout) {
			t.Errorf("%s: no REVERSED payout notification for %s parsed (%d parsed)", name, no, len(got))
		}
	})

	t.Run("Balance", func(t T) {
		bq, ok := s.h.Channel.(channel.BalanceQuerier)
		if !ok {
			t.Skipf("%s: no BalanceQuerier", name)
		}
		bal, err := bq.QueryBalance(ctx, &channel.BalanceRequest{})
		if err != nil {
			t.Fatalf("%s: QueryBalance failed: %v", name, err)
		}
		if bal.Available.IsNegative() || bal.Frozen.IsNegative() {
			t.Errorf("%s: QueryBalance gave a negative balance %+v", name, bal)
		}
	})
}

func containsType(ts []channel.NotificationType, x channel.NotificationType) bool {
	for _, t := range ts {
		if t == x {
			return true
		}
	}
	return false
}
