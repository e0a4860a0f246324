package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/order"
)

// BindCardJSON is the card of POST /v1/bindings. It is sent to the channel (encrypted on
// the wire by the adapter) and kept sealed only while the binding waits for its SMS code;
// answers carry card_masked and mobile_masked only. CVN2 and expiry (credit cards) are
// never stored: a channel that needs them again on confirm gets them from the confirm body.
type BindCardJSON struct {
	Number     string `json:"number"`            // 13–19 digits, Luhn-valid
	HolderName string `json:"holder_name"`       // as the bank has it
	IDType     string `json:"id_type,omitempty"` // "01" (resident ID card, the default)
	IDNumber   string `json:"id_number"`         // 18-character resident ID number
	Mobile     string `json:"mobile"`            // the bank-reserved mobile, 11 digits
	CVN2       string `json:"cvn2,omitempty"`    // credit cards
	Expiry     string `json:"expiry,omitempty"`  // credit cards, YYMM
}

// CreateBindingRequest is the body of POST /v1/bindings.
type CreateBindingRequest struct {
	BindNo  string       `json:"bind_no"`           // the merchant's binding number, unique per merchant: 1–64 of A–Z a–z 0–9 _ -
	UserID  string       `json:"user_id"`           // the merchant's id for the cardholder: 1–64 of A–Z a–z 0–9 _ -
	Account string       `json:"account,omitempty"` // the channel account; may be left out when only one can bind
	Card    BindCardJSON `json:"card"`
}

// ConfirmBindingRequest is the body of POST /v1/bindings/{bind_no}/confirm.
type ConfirmBindingRequest struct {
	SMSCode string `json:"sms_code"`         // the code the cardholder received, 4–8 digits
	CVN2    string `json:"cvn2,omitempty"`   // credit cards on channels that check it again on confirm
	Expiry  string `json:"expiry,omitempty"` // likewise, YYMM
}

// BindingJSON is a binding as the API shows it.
type BindingJSON struct {
	ID      string `json:"id"`
	BindNo  string `json:"bind_no"`
	UserID  string `json:"user_id"`
	Account string `json:"account"`
	Channel string `json:"channel"`
	// ChannelBindNo is the number the gateway sent to the channel for this binding (what
	// the channel's own records show).
	ChannelBindNo string      `json:"channel_bind_no"`
	State         order.State `json:"state"` // created, sms_sent, bound, failed, unbound
	Unresolved    bool        `json:"unresolved"`
	Token         string      `json:"token,omitempty"` // for token payments (method "token"), once bound
	CardMasked    string      `json:"card_masked"`
	CardType      string      `json:"card_type,omitempty"`
	BankCode      string      `json:"bank_code,omitempty"`
	MobileMasked  string      `json:"mobile_masked,omitempty"`
	SMSExpiresAt  string      `json:"sms_expires_at,omitempty"`
	BoundAt       string      `json:"bound_at,omitempty"`
	FailCode      string      `json:"fail_code,omitempty"`
	FailMessage   string      `json:"fail_message,omitempty"`
	CreatedAt     string      `json:"created_at"`
}

func bindingJSON(b *order.Binding) BindingJSON {
	out := BindingJSON{ID: b.ID, BindNo: b.BindNo, UserID: b.UserID, Account: b.Account, Channel: b.Channel, ChannelBindNo: b.ChannelBindNo, State: b.State,
		Unresolved: b.Unresolved, CardMasked: b.CardMasked, CardType: b.CardType, BankCode: b.BankCode, MobileMasked: b.MobileMasked,
		BoundAt: ts(b.BoundAt), FailCode: b.FailCode, FailMessage: b.FailMsg, CreatedAt: ts(b.CreatedAt)}
	if b.State == order.BindSMSSent {
		out.SMSExpiresAt = ts(b.SMSExpiresAt)
	}
	if b.State == order.Bound {
		out.Token = b.Token
	}
	return out
}

func isBinder(c channel.Channel) bool { _, ok := c.(channel.Binder); return ok }

// channelUserID derives the cardholder id sent to the channel from the merchant and its
// user id: two merchants' users never share an id (or an "already bound" answer) on one
// channel account, and the merchant's own ids do not reach the channel.
func channelUserID(merchantID, userID string) string {
	sum := sha256.Sum256([]byte(merchantID + "\x00" + userID))
	return "u" + hex.EncodeToString(sum[:])[:31]
}

func (req *CreateBindingRequest) validate(now time.Time) *apiErr {
	if err := orderNoRule.Check(req.BindNo); err != nil {
		return badParam("bind_no", "bind_no %v", err)
	}
	if err := orderNoRule.Check(req.UserID); err != nil {
		return badParam("user_id", "user_id %v", err)
	}
	c := &req.Card
	if card.CheckPAN(c.Number) != nil {
		return badParam("card.number", "card.number is not a valid card number (13–19 digits with a correct check digit)")
	}
	name, err := card.CleanHolderName(c.HolderName)
	if err != nil {
		return badParam("card.holder_name", "card.holder_name must be 1–30 CJK characters, '·' or upper-case letters")
	}
	c.HolderName = name
	if c.IDType == "" {
		c.IDType = "01"
	}
	if c.IDType != "01" {
		return badParam("card.id_type", "card.id_type must be 01 (resident ID card)")
	}
	if card.CheckIDNo(c.IDNumber, now) != nil {
		return badParam("card.id_number", "card.id_number is not a valid 18-character resident ID number")
	}
	if card.CheckMobile(c.Mobile) != nil {
		return badParam("card.mobile", "card.mobile must be the 11-digit bank-reserved mobile number")
	}
	return checkCredit(c.CVN2, c.Expiry, now, "card.")
}

func checkCredit(cvn2, expiry string, now time.Time, prefix string) *apiErr {
	if (cvn2 == "") != (expiry == "") {
		return badParam(prefix+"cvn2", "%scvn2 and %sexpiry go together (credit cards)", prefix, prefix)
	}
	if cvn2 != "" && card.CheckCVN2(cvn2) != nil {
		return badParam(prefix+"cvn2", "%scvn2 must be 3 digits", prefix)
	}
	if expiry != "" && card.CheckExpiry(expiry, now) != nil {
		return badParam(prefix+"expiry", "%sexpiry must be YYMM and not in the past", prefix)
	}
	return nil
}

func (g *Gateway) bindingsOrError() (order.BindingStore, error) {
	if g.bindings == nil || g.cfg.Keyring == nil {
		return nil, &apiErr{http.StatusNotImplemented, APIError{Code: "unsupported",
			Message: "bindings are not enabled on this gateway (they need a store that keeps bindings and a card keyring)"}}
	}
	return g.bindings, nil
}

// channelFail turns a channel error of a binding call into the API's answer.
func channelFail(err error, what string) *apiErr {
	code, msg := "", ""
	var ce *channel.Error
	if errors.As(err, &ce) {
		code, msg = ce.Code, redact(ce.Message)
	}
	switch channel.KindOf(err) {
	case channel.KindUnknown, channel.KindUnavailable, channel.KindRateLimited:
		return &apiErr{http.StatusServiceUnavailable, APIError{Code: "channel_unavailable",
			Message: fmt.Sprintf("%s: the channel did not answer (%s); retry the same request", what, channel.KindOf(err))}}
	case channel.KindInvalidRequest:
		return &apiErr{http.StatusUnprocessableEntity, APIError{Code: "channel_invalid_request", Message: fmt.Sprintf("%s: the channel refused the request (%s %s)", what, code, msg)}}
	}
	return &apiErr{http.StatusUnprocessableEntity, APIError{Code: "channel_declined", Message: fmt.Sprintf("%s: declined by the channel (%s %s)", what, code, msg)}}
}

func (g *Gateway) createBinding(ctx context.Context, m *Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req CreateBindingRequest
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	b, created, err := g.Bind(ctx, m.ID, &req)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return status, bindingJSON(b), nil
}

// Bind starts merchant's binding: the card is checked, its elements sealed, and the channel
// asked to send the SMS code (or it answers that the card is bound already: the binding is
// bound at once). A retry with the same bind_no and card returns the binding, sending the
// SMS again if the first send's outcome was never learnt.
func (g *Gateway) Bind(ctx context.Context, merchantID string, req *CreateBindingRequest) (*order.Binding, bool, error) {
	st, err := g.bindingsOrError()
	if err != nil {
		return nil, false, err
	}
	now := g.clk.Now()
	if aerr := req.validate(now); aerr != nil {
		return nil, false, aerr
	}
	fp := g.cfg.Keyring.Fingerprint(card.FieldPAN, req.Card.Number).String()
	b, err := st.BindingByNo(ctx, merchantID, req.BindNo)
	created := false
	switch {
	case err == nil:
		if b.PANFingerprint != fp || b.UserID != req.UserID || (req.Account != "" && req.Account != b.Account) {
			return nil, false, &apiErr{http.StatusConflict, APIError{Code: "duplicate_binding", Param: "bind_no",
				Message: "bind_no was used before with a different card, user or account"}}
		}
		if b.State != order.Created {
			return b, false, nil
		}
	case errors.Is(err, order.ErrNotFound):
		acct, aerr := g.capableAccount(req.Account, isBinder, "card bindings")
		if aerr != nil {
			return nil, false, aerr
		}
		sealed, err := g.cfg.Keyring.Protect(card.Details{PAN: req.Card.Number, HolderName: req.Card.HolderName, IDType: req.Card.IDType,
			IDNo: req.Card.IDNumber, Phone: req.Card.Mobile}, false)
		if err != nil {
			return nil, false, fmt.Errorf("sealing the card: %w", err)
		}
		id := newID("bnd_")
		b = &order.Binding{ID: id, MerchantID: merchantID, BindNo: req.BindNo, UserID: req.UserID, ChannelUserID: channelUserID(merchantID, req.UserID),
			Channel: acct.Channel.Name(), Account: acct.ID, ChannelBindNo: "TB" + id[4:], ChannelBindTime: now.Truncate(time.Second),
			CardMasked: sealed.PANMasked, CardType: cardType(sealed.Type), BankCode: sealed.BankCode, MobileMasked: card.MaskPhone(req.Card.Mobile),
			PANFingerprint: sealed.PANFingerprint.String(), CreatedAt: now,
			Pending: order.PendingCard{PAN: sealed.PAN.String(), Phone: sealed.Phone.String(), IDNo: sealed.IDNo.String(),
				HolderName: req.Card.HolderName, IDType: req.Card.IDType}}
		if err := st.CreateBinding(ctx, b); errors.Is(err, order.ErrDuplicate) {
			return g.Bind(ctx, merchantID, req) // a concurrent request created it first
		} else if err != nil {
			return nil, false, err
		}
		created = true
	default:
		return nil, false, err
	}
	acct := g.accounts[b.Account]
	if acct == nil {
		return nil, false, fmt.Errorf("binding %s: account %s is not configured", b.ID, b.Account)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	ch, callErr := acct.Channel.(channel.Binder).SendBindSMS(cctx, &channel.BindRequest{BindNo: b.ChannelBindNo, BindTime: b.ChannelBindTime,
		UserID: b.ChannelUserID, Card: requestCard(&req.Card), NotifyURL: g.NotifyURL(acct)})
	at := g.clk.Now()
	var t order.BindingTransition
	switch {
	case callErr != nil && channel.KindOf(callErr) == channel.KindAlreadyDone:
		// The channel has this application already (a retry after a lost answer): the SMS
		// went out; the cardholder confirms or asks for a resend.
		t = order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseChannel, At: at, SMSSent: true}
	case callErr != nil:
		ae := channelFail(callErr, "sending the bind SMS")
		if ae.status == http.StatusServiceUnavailable || ae.Code == "channel_invalid_request" {
			// Nothing known to have happened: the binding stays created; a retry of this
			// request (same bind_no) sends again.
			return nil, false, ae
		}
		var ce *channel.Error
		errors.As(callErr, &ce)
		t = order.BindingTransition{To: order.Failed, Cause: order.CauseChannel, At: at, FailCode: errCode(ce), FailMsg: errMsg(ce, callErr)}
	case ch.AlreadyBound != nil:
		t = boundTransition(ch.AlreadyBound, order.CauseChannel, at)
	default:
		t = order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseChannel, At: at, SMSSent: true, SMSExpiresAt: ch.ExpiresAt, MobileMasked: ch.MobileMasked}
	}
	nb, err := g.transitionBinding(context.WithoutCancel(ctx), b, t)
	return nb, created, err
}

func errCode(ce *channel.Error) string {
	if ce == nil {
		return ""
	}
	return ce.Code
}

func errMsg(ce *channel.Error, err error) string {
	if ce == nil || ce.Message == "" {
		return channel.KindOf(err).String()
	}
	return redact(ce.Message)
}

// redact masks anything that looks like a card number in a channel's text before it is
// stored or answered: a last line of defence, the adapters keep card data out of it.
func redact(s string) string { return string(channel.RedactPANs([]byte(s))) }

func cardType(code string) string {
	switch code {
	case "DC":
		return "debit"
	case "CC":
		return "credit"
	}
	return ""
}

func requestCard(c *BindCardJSON) channel.Card {
	return channel.Card{Number: c.Number, HolderName: c.HolderName, IDType: c.IDType, IDNumber: c.IDNumber, Mobile: c.Mobile, CVN2: c.CVN2, Expiry: c.Expiry}
}

func boundTransition(bd *channel.Binding, cause order.Cause, at time.Time) order.BindingTransition {
	return order.BindingTransition{To: order.Bound, Cause: cause, At: at, Token: bd.Token, CardType: bd.CardType, BankCode: bd.BankCode,
		BoundAt: bd.BoundAt, TokenExpires: bd.ExpiresAt}
}

// pendingCard opens the sealed elements b keeps while waiting for its SMS code.
func (g *Gateway) pendingCard(b *order.Binding) (channel.Card, error) {
	c := channel.Card{HolderName: b.Pending.HolderName, IDType: b.Pending.IDType}
	for _, f := range []struct {
		field card.Field
		text  string
		dst   *string
	}{{card.FieldPAN, b.Pending.PAN, &c.Number}, {card.FieldPhone, b.Pending.Phone, &c.Mobile}, {card.FieldIDNo, b.Pending.IDNo, &c.IDNumber}} {
		if f.text == "" {
			continue
		}
		s, err := card.ParseSealed(f.text)
		if err != nil {
			return channel.Card{}, fmt.Errorf("binding %s: stored %s: %w", b.ID, f.field, err)
		}
		if *f.dst, err = g.cfg.Keyring.Open(f.field, s); err != nil {
			return channel.Card{}, fmt.Errorf("binding %s: opening %s: %w", b.ID, f.field, err)
		}
	}
	return c, nil
}

func (g *Gateway) ownBinding(ctx context.Context, m *Merchant, r *http.Request) (*order.Binding, error) {
	st, err := g.bindingsOrError()
	if err != nil {
		return nil, err
	}
	b, err := st.BindingByNo(ctx, m.ID, mux.Vars(r)["bind_no"])
	if errors.Is(err, order.ErrNotFound) {
		// Another merchant's binding does not exist for this one.
		return nil, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no binding with this bind_no", Param: "bind_no"}}
	}
	return b, err
}

func (g *Gateway) getBinding(ctx context.Context, m *Merchant, r *http.Request, _ []byte) (int, any, error) {
	b, err := g.ownBinding(ctx, m, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, bindingJSON(b), nil
}

func stateConflict(b *order.Binding, want string) error {
	return &apiErr{http.StatusConflict, APIError{Code: "binding_state", Param: "bind_no",
		Message: fmt.Sprintf("the binding is %s; %s", b.State, want)}}
}

func (g *Gateway) confirmBinding(ctx context.Context, m *Merchant, r *http.Request, body []byte) (int, any, error) {
	var req ConfirmBindingRequest
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	if n := len(req.SMSCode); n < 4 || n > 8 || strings.Trim(req.SMSCode, "0123456789") != "" {
		return 0, nil, badParam("sms_code", "sms_code must be 4–8 digits")
	}
	if aerr := checkCredit(req.CVN2, req.Expiry, g.clk.Now(), ""); aerr != nil {
		return 0, nil, aerr
	}
	b, err := g.ownBinding(ctx, m, r)
	if err != nil {
		return 0, nil, err
	}
	switch b.State {
	case order.Bound:
		return http.StatusOK, bindingJSON(b), nil // confirmed before: idempotent
	case order.BindSMSSent:
	default:
		return 0, nil, stateConflict(b, "only a binding whose SMS code was sent can be confirmed")
	}
	acct := g.accounts[b.Account]
	if acct == nil {
		return 0, nil, fmt.Errorf("binding %s: account %s is not configured", b.ID, b.Account)
	}
	c, err := g.pendingCard(b)
	if err != nil {
		return 0, nil, err
	}
	c.CVN2, c.Expiry = req.CVN2, req.Expiry
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	bd, callErr := acct.Channel.(channel.Binder).ConfirmBind(cctx, &channel.BindConfirmRequest{BindNo: b.ChannelBindNo, BindTime: b.ChannelBindTime,
		UserID: b.ChannelUserID, SMSCode: req.SMSCode, Card: c})
	at := g.clk.Now()
	if callErr != nil {
		if channel.KindOf(callErr) != channel.KindUnknown {
			// Wrong or expired code, an application the channel voided: the binding stays
			// waiting; the merchant may confirm again or ask for a resend.
			return 0, nil, channelFail(callErr, "confirming the binding")
		}
		// Unknown: the card may be bound now. Query; never guess.
		g.stats.ChannelUnknown.Add(1)
		g.log.Warn("bind confirm outcome unknown; querying", "binding", b.ID, "account", acct.ID)
		nb, err := g.transitionBinding(context.WithoutCancel(ctx), b, order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseChannel, At: at, Unresolved: true})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusAccepted, bindingJSON(nb), nil
	}
	nb, err := g.transitionBinding(context.WithoutCancel(ctx), b, boundTransition(bd, order.CauseChannel, at))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, bindingJSON(nb), nil
}

func (g *Gateway) resendBinding(ctx context.Context, m *Merchant, r *http.Request, body []byte) (int, any, error) {
	if len(strings.TrimSpace(string(body))) > 0 && strings.TrimSpace(string(body)) != "{}" {
		return 0, nil, badParam("", "resend takes no body (or {})")
	}
	b, err := g.ownBinding(ctx, m, r)
	if err != nil {
		return 0, nil, err
	}
	if b.State != order.BindSMSSent || b.Unresolved {
		return 0, nil, stateConflict(b, "a new SMS code can be sent only while the binding waits for one")
	}
	acct := g.accounts[b.Account]
	if acct == nil {
		return 0, nil, fmt.Errorf("binding %s: account %s is not configured", b.ID, b.Account)
	}
	c, err := g.pendingCard(b)
	if err != nil {
		return 0, nil, err
	}
	now := g.clk.Now()
	smsNo := newID("TS")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	ch, callErr := acct.Channel.(channel.Binder).ResendBindSMS(cctx, &channel.ResendSMSRequest{SMSNo: smsNo, SMSTime: now.Truncate(time.Second),
		BindNo: b.ChannelBindNo, BindTime: b.ChannelBindTime, UserID: b.ChannelUserID, Card: c})
	if callErr != nil {
		return 0, nil, channelFail(callErr, "resending the bind SMS")
	}
	nb, err := g.transitionBinding(context.WithoutCancel(ctx), b, order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseChannel,
		At: g.clk.Now(), SMSSent: true, SMSExpiresAt: ch.ExpiresAt, MobileMasked: ch.MobileMasked})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, bindingJSON(nb), nil
}

func (g *Gateway) unbindBinding(ctx context.Context, m *Merchant, r *http.Request, body []byte) (int, any, error) {
	if len(strings.TrimSpace(string(body))) > 0 && strings.TrimSpace(string(body)) != "{}" {
		return 0, nil, badParam("", "unbind takes no body (or {})")
	}
	b, err := g.ownBinding(ctx, m, r)
	if err != nil {
		return 0, nil, err
	}
	switch b.State {
	case order.Unbound:
		return http.StatusOK, bindingJSON(b), nil
	case order.Bound:
	default:
		return 0, nil, stateConflict(b, "only a bound card can be unbound")
	}
	acct := g.accounts[b.Account]
	if acct == nil {
		return 0, nil, fmt.Errorf("binding %s: account %s is not configured", b.ID, b.Account)
	}
	now := g.clk.Now()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	_, callErr := acct.Channel.(channel.Binder).Unbind(cctx, &channel.UnbindRequest{UnbindNo: newID("TU"), UnbindTime: now.Truncate(time.Second),
		UserID: b.ChannelUserID, Token: b.Token})
	at := g.clk.Now()
	if callErr != nil {
		if channel.KindOf(callErr) != channel.KindUnknown {
			return 0, nil, channelFail(callErr, "unbinding")
		}
		nb, err := g.transitionBinding(context.WithoutCancel(ctx), b, order.BindingTransition{To: order.Bound, Cause: order.CauseChannel, At: at, Unresolved: true})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusAccepted, bindingJSON(nb), nil
	}
	nb, err := g.transitionBinding(context.WithoutCancel(ctx), b, order.BindingTransition{To: order.Unbound, Cause: order.CauseChannel, At: at})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, bindingJSON(nb), nil
}

// transitionBinding applies t to b, re-reading and retrying on a lost compare-and-set.
func (g *Gateway) transitionBinding(ctx context.Context, b *order.Binding, t order.BindingTransition) (*order.Binding, error) {
	for attempt := 0; attempt < 8; attempt++ {
		next := t.At.Add(channel.DefaultQueryBackoff.Next(0))
		if a := g.accounts[b.Account]; a != nil {
			next = t.At.Add(a.info.QueryBackoff.Next(0))
		}
		nb, err := g.bindings.TransitionBinding(ctx, b.ID, b.Version, t, next)
		switch {
		case err == nil:
			if nb.State == order.Bound && b.State != order.Bound {
				g.stats.BindingsBound.Add(1)
			}
			return nb, nil
		case errors.Is(err, order.ErrConflict):
			if b, err = g.bindings.Binding(ctx, b.ID); err != nil {
				return nil, err
			}
		case errors.Is(err, order.ErrTransition):
			g.log.Info("binding transition not applied", "binding", b.ID, "reason", err)
			return g.bindings.Binding(ctx, b.ID)
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("binding %s: too many concurrent changes", b.ID)
}
