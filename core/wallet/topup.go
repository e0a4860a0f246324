package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

// TopUpRequest tops a payment account up through a payment order on any channel.
type TopUpRequest struct {
	RequestNo string
	AccountID string
	Amount    int64  // minor units
	Method    string // the payment method (qr, app, jsapi, h5, web, …) the gateway routes
	Subject   string
	ClientIP  string
	PayerID   string
}

// TopUpResult is a top-up with its payment order and, for a pending order, what the payer
// does next (a QR code to scan, a page to open).
type TopUpResult struct {
	Op      *Op
	Payment *order.Payment
	Action  *channel.PayAction
}

// TopUp creates a payment order under Config.TopUpMerchant through the gateway's payment
// flow (routing, risk, channel call, query-back of unknown outcomes) whose order number is
// the top-up's op id. Nothing is credited here: when — and only when — the order succeeds
// (at once, by notification, by query, or late after it was closed), its payment.succeeded
// event reaches this Service through the order outbox and the account is credited once
// (see WorkOnce). Idempotent by RequestNo: a retry returns the same order.
func (s *Service) TopUp(ctx context.Context, merchantID string, req TopUpRequest) (*TopUpResult, error) {
	if s.cfg.Pay == nil {
		return nil, fail(ErrNotAllowed, "", "top-ups are not configured")
	}
	if err := numberRule.Check(req.RequestNo); err != nil {
		return nil, fail(ErrInvalid, "request_no", "%v", err)
	}
	a, c, err := s.account(ctx, merchantID, req.AccountID)
	if err != nil {
		return nil, err
	}
	amt, err := amountOf(req.Amount, a.Currency, "amount")
	if err != nil {
		return nil, err
	}
	if req.Subject == "" {
		req.Subject = "wallet top-up"
	}
	v, err := s.view(ctx, a)
	if err != nil {
		return nil, err
	}
	if v.State == Closed {
		return nil, fail(ErrClosed, "account_id", "%s is closed", a.ID)
	}
	if err := s.perTx(c, amt); err != nil {
		return nil, err
	}
	o, _, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: OpTopUp, RequestNo: req.RequestNo, CustomerID: c.ID, AccountID: a.ID,
		Amount: amt, State: OpAwaiting, Fingerprint: fingerprint(a.ID, amt.String(), req.Method, req.Subject)}, nil)
	if err != nil {
		return nil, err
	}
	p, action, _, err := s.cfg.Pay(ctx, s.cfg.TopUpMerchant, &gateway.CreatePaymentRequest{OrderNo: o.ID, Amount: amt.Minor(),
		Currency: string(amt.Currency()), Method: req.Method, Subject: req.Subject, ClientIP: req.ClientIP, PayerID: req.PayerID})
	if err != nil {
		if o.PaymentID == "" {
			if _, perr := s.cfg.Orders.PaymentByOrderNo(ctx, s.cfg.TopUpMerchant, o.ID); errors.Is(perr, order.ErrNotFound) {
				// No order exists: the top-up never started; its number is free again.
				return nil, s.abandonAwaiting(ctx, o, err)
			}
		}
		return nil, err
	}
	if o.PaymentID == "" {
		o.PaymentID, o.UpdatedAt = p.ID, s.cfg.Clock.Now()
		if err := s.cfg.Store.UpdateWalletOp(ctx, o, nil); err != nil && !errors.Is(err, ErrStale) {
			return nil, err
		}
	}
	if cur, err := s.cfg.Store.WalletOp(ctx, o.ID); err == nil {
		o = cur
	}
	return &TopUpResult{Op: o, Payment: p, Action: action}, nil
}

func (s *Service) abandonAwaiting(ctx context.Context, o *Op, why error) error {
	o.State = OpPending // DeleteWalletOp removes pending ops only
	if err := s.cfg.Store.UpdateWalletOp(ctx, o, nil); err != nil {
		return errors.Join(why, err)
	}
	return s.abandon(ctx, o, why)
}

// creditTopUps claims the outbox's top-up successes and credits each once. It returns
// how many it credited.
func (s *Service) creditTopUps(ctx context.Context) (int, error) {
	if s.cfg.Orders == nil {
		return 0, nil
	}
	now := s.cfg.Clock.Now()
	ds, err := s.cfg.Orders.ClaimDeliveries(ctx, s.cfg.Consumer, now, 100, time.Minute)
	if err != nil {
		return 0, fmt.Errorf("wallet: claim top-ups: %w", err)
	}
	n := 0
	var errs []error
	for _, d := range ds {
		ev := d.Event
		var err error
		if ev.Type == "payment.succeeded" && ev.OrderKind == "payment" && ev.MerchantID == s.cfg.TopUpMerchant {
			err = s.credit(ctx, ev)
			if err == nil {
				n++
			}
		}
		if err != nil {
			wait := time.Second << min(d.Attempts, 12)
			s.log.Warn("wallet: top-up credit will retry", "event", ev.ID, "payment", ev.OrderID, "attempts", d.Attempts+1, "err", err)
			errs = append(errs, err, s.cfg.Orders.RetryDelivery(ctx, s.cfg.Consumer, ev.Seq, now.Add(wait), err.Error()))
			continue
		}
		errs = append(errs, s.cfg.Orders.CompleteDelivery(ctx, s.cfg.Consumer, ev.Seq))
	}
	return n, errors.Join(errs...)
}

// credit posts a succeeded top-up payment: Dr 1122 应收待清算-<channel> A−F, Dr 6602
// 渠道手续费-<channel> F, Cr 2241.0x account A, under voucher order/<payment id>. Its key
// is the top-up's, so a second success event (none should exist) credits nothing more.
func (s *Service) credit(ctx context.Context, ev *order.Event) error {
	p, err := s.cfg.Orders.Payment(ctx, ev.OrderID)
	if err != nil {
		return err
	}
	o, err := s.cfg.Store.WalletOp(ctx, p.OrderNo)
	if err != nil {
		return fmt.Errorf("wallet: top-up payment %s: op %s: %w", p.ID, p.OrderNo, err)
	}
	if o.Kind != OpTopUp || o.Amount != p.Amount {
		return fmt.Errorf("wallet: payment %s (%s) does not match top-up %s (%s %s)", p.ID, p.Amount, o.ID, o.Kind, o.Amount)
	}
	if o.State == OpDone {
		return nil
	}
	a, err := s.cfg.Store.PaymentAccount(ctx, o.AccountID)
	if err != nil {
		return err
	}
	fee, err := s.cfg.Fees(p)
	if err != nil {
		return fmt.Errorf("wallet: fee of top-up payment %s: %w", p.ID, err)
	}
	recv, err := s.ledgerAccount(ctx, posting.ReceivableSpec(p.Channel, p.Amount.Currency()))
	if err != nil {
		return err
	}
	net, err := p.Amount.Sub(fee)
	if err != nil || net.IsNegative() {
		return fmt.Errorf("wallet: fee %s of top-up payment %s exceeds its amount", fee, p.ID)
	}
	var lines []ledger.Line
	if !net.IsZero() {
		lines = append(lines, ledger.Line{Account: recv, Side: ledger.Debit, Amount: net})
	}
	if !fee.IsZero() {
		fees, err := s.ledgerAccount(ctx, posting.FeesSpec(p.Channel, p.Amount.Currency()))
		if err != nil {
			return err
		}
		lines = append(lines, ledger.Line{Account: fees, Side: ledger.Debit, Amount: fee})
	}
	lines = append(lines, ledger.Line{Account: ledger.AccountID(a.LedgerID), Side: ledger.Credit, Amount: p.Amount})
	e, err := s.post(ctx, "wallet/"+o.ID+"/credit", o, ledger.Voucher{Kind: ledger.VoucherOrder, ID: p.ID, Amount: p.Amount},
		"top-up "+o.RequestNo+" via "+p.Channel, lines, stmt{a, ledger.Credit})
	if err != nil {
		return err
	}
	o.State, o.EntrySeq, o.PaymentID = OpDone, e.Seq, p.ID
	_, err = s.finish(ctx, o)
	return err
}
