package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/posting"
)

// WithdrawRequest withdraws money from a payment account to one of the customer's bound
// cards.
type WithdrawRequest struct {
	RequestNo string
	AccountID string
	CardID    string
	Amount    int64 // minor units
	Password  string
}

// Withdraw pays money out to a bound card through Config.Payouter (the bank), idempotent by
// RequestNo. It needs the payment password, a verification level that allows withdrawals
// and the level's limits, all checked before any money moves. Then, under voucher
// wallet_withdrawal/<op>:
//
//  1. hold: Dr 2241.0x account, Cr 2241.09 frozen — the amount can no longer be spent;
//  2. the payout is sent under the op id as payout number;
//  3. on success, debit: Dr 2241.09 frozen, Cr 1122 应收待清算-<bank>;
//     on failure, release: Dr 2241.09 frozen, Cr 2241.0x account;
//     on an unknown outcome or while processing, nothing: WorkOnce queries the payout (durable,
//     leased, from the op row) until it is final, never guessing;
//  4. when the bank returns a paid payout (days later), the debit is reversed by a correction
//     entry (ledger.Reverse: Dr 1122, Cr 2241.09) and the amount released to the account.
func (s *Service) Withdraw(ctx context.Context, merchantID string, req WithdrawRequest) (*Op, error) {
	if s.cfg.Payouter == nil {
		return nil, fail(ErrNotAllowed, "", "withdrawals are not configured")
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
	if a.Kind == KindStoredValue {
		return nil, fail(ErrNotAllowed, "account_id", "stored-value accounts cannot be withdrawn")
	}
	if !s.cfg.Limits[c.Level].Withdraw {
		return nil, fail(ErrNotAllowed, "account_id", "verification level %d does not allow withdrawals: bind a card in the customer's name or ask an operator", c.Level)
	}
	cd, err := s.cfg.Store.BoundCard(ctx, req.CardID)
	if err != nil || cd.CustomerID != c.ID || cd.State != CardBound {
		return nil, fail(ErrNotFound, "card_id", "no card %s bound to the customer", req.CardID)
	}
	if err := s.CheckPassword(ctx, c.ID, req.Password); err != nil {
		return nil, err
	}
	if err := s.perTx(c, amt); err != nil {
		return nil, err
	}
	o, drive, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: OpWithdraw, RequestNo: req.RequestNo, CustomerID: c.ID, AccountID: a.ID,
		CardID: cd.ID, Amount: amt, Fingerprint: fingerprint(a.ID, cd.ID, amt.String())}, s.dayLimit(c))
	if err != nil || !drive {
		return o, err
	}
	e, err := s.post(ctx, "wallet/"+o.ID+"/hold", o, s.wdVoucher(o), "withdrawal "+o.RequestNo+" held",
		[]ledger.Line{{Account: ledger.AccountID(a.LedgerID), Side: ledger.Debit, Amount: amt}, {Account: ledger.AccountID(a.FrozenLedgerID), Side: ledger.Credit, Amount: amt}},
		stmt{a, ledger.Debit})
	if err != nil {
		if refused(err) {
			return nil, s.abandon(ctx, o, mapLedger(err))
		}
		return nil, mapLedger(err)
	}
	o.State, o.HoldSeq, o.NextAt = OpHeld, e.Seq, s.cfg.Clock.Now().Add(time.Minute)
	if o, err = s.finish(ctx, o); err != nil {
		return nil, err
	}
	res, perr := s.payout(ctx, o, cd)
	return s.apply(ctx, o, res, perr, false)
}

func (s *Service) wdVoucher(o *Op) ledger.Voucher {
	return ledger.Voucher{Kind: VoucherWithdrawal, ID: o.ID, Amount: o.Amount}
}

// payout sends (or re-sends: the bank answers a repeated number with the first payout) the
// payout of o.
func (s *Service) payout(ctx context.Context, o *Op, cd *Card) (*channel.PayoutResult, error) {
	sealed, err := card.ParseSealed(cd.PANSealed)
	if err != nil {
		return nil, err
	}
	pan, err := s.cfg.Keyring.Open(card.FieldPAN, sealed)
	if err != nil {
		return nil, fmt.Errorf("wallet: open card %s: %w", cd.ID, err)
	}
	return s.cfg.Payouter.Payout(ctx, &channel.PayoutRequest{PayoutNo: o.ID, PayoutTime: o.CreatedAt, Card: channel.Card{Number: pan, HolderName: cd.Holder},
		Amount: o.Amount, Purpose: "wallet withdrawal"})
}

// definite reports whether a payout call's error says for sure that nothing was paid.
func definite(err error) bool {
	var ce *channel.Error
	if !errors.As(err, &ce) {
		return false
	}
	switch ce.Kind {
	case channel.KindInvalidRequest, channel.KindDeclined, channel.KindInsufficientFunds:
		return true
	}
	return false
}

// apply moves withdrawal o on by the bank's answer (res, or the call's error perr). query
// says the answer is a query's (where "not found" can mean the payout never arrived).
func (s *Service) apply(ctx context.Context, o *Op, res *channel.PayoutResult, perr error, query bool) (*Op, error) {
	now := s.cfg.Clock.Now()
	a, err := s.cfg.Store.PaymentAccount(ctx, o.AccountID)
	if err != nil {
		return o, err
	}
	status := channel.StatusUnknown
	if perr == nil && res != nil {
		status = res.Status
		if res.Amount.Currency() != "" && res.Amount != o.Amount {
			s.log.Error("wallet: payout amount differs from the withdrawal; left for a person", "op", o.ID, "bank", res.Amount, "ours", o.Amount)
			status = channel.StatusUnknown
		}
	}
	if perr != nil {
		var ce *channel.Error
		switch {
		case !query && definite(perr):
			status = channel.StatusFailed
		case query && errors.As(perr, &ce) && ce.Kind == channel.KindNotFound && now.Sub(o.CreatedAt) >= s.cfg.NotFoundAfter:
			status = channel.StatusFailed // it never reached the bank, and its number is never sent again
		}
	}
	switch status {
	case channel.StatusSucceeded:
		if o.State == OpHeld {
			if err := s.debit(ctx, o, a); err != nil {
				return o, err
			}
			o.State = OpPaid
		}
		o.NextAt = now.Add(s.cfg.ReturnCheck)
		if now.Sub(o.CreatedAt) > s.cfg.ReturnWatch {
			o.NextAt = time.Time{} // no longer watched for a return
		}
	case channel.StatusFailed:
		if o.State != OpHeld {
			break // a paid payout does not fail; only a return undoes it
		}
		e, err := s.post(ctx, "wallet/"+o.ID+"/release", o, s.wdVoucher(o), "withdrawal "+o.RequestNo+" failed: released",
			[]ledger.Line{{Account: ledger.AccountID(a.FrozenLedgerID), Side: ledger.Debit, Amount: o.Amount}, {Account: ledger.AccountID(a.LedgerID), Side: ledger.Credit, Amount: o.Amount}},
			stmt{a, ledger.Credit})
		if err != nil {
			return o, err
		}
		o.State, o.EntrySeq, o.NextAt = OpFailed, e.Seq, time.Time{}
		if res != nil {
			o.Reason = res.FailCode + " " + res.FailMessage
		} else if perr != nil {
			o.Reason = perr.Error()
		}
	case channel.StatusReversed:
		if o.State == OpHeld {
			if err := s.debit(ctx, o, a); err != nil {
				return o, err
			}
			o.State = OpPaid
		}
		if o.State != OpPaid {
			break
		}
		r, err := s.cfg.Ledger.Reverse(ctx, ledger.ReverseRequest{Key: "wallet/" + o.ID + "/return", Entry: o.EntrySeq, Memo: "withdrawal " + o.RequestNo + " returned by the bank"})
		if err != nil {
			return o, err
		}
		rel, err := s.post(ctx, "wallet/"+o.ID+"/return-release", o, s.wdVoucher(o), "withdrawal "+o.RequestNo+" returned: released",
			[]ledger.Line{{Account: ledger.AccountID(a.FrozenLedgerID), Side: ledger.Debit, Amount: o.Amount}, {Account: ledger.AccountID(a.LedgerID), Side: ledger.Credit, Amount: o.Amount}},
			stmt{a, ledger.Credit})
		if err != nil {
			return o, err
		}
		_ = rel
		o.State, o.ReverseSeq, o.NextAt = OpReturned, r.Seq, time.Time{}
		if res != nil {
			o.Reason = "returned " + res.ReturnNo + " " + res.FailCode + " " + res.FailMessage
		}
	default: // processing, pending, unknown: ask again later
		o.Attempts++
		o.NextAt = now.Add(min(time.Minute<<min(o.Attempts, 10), time.Hour))
		if perr != nil {
			s.log.Warn("wallet: payout outcome unknown; will query", "op", o.ID, "attempts", o.Attempts, "err", perr)
		}
	}
	return s.finish(ctx, o)
}

// debit posts a succeeded payout: Dr 2241.09 frozen, Cr 1122 应收待清算-<payout channel>.
func (s *Service) debit(ctx context.Context, o *Op, a *Account) error {
	recv, err := s.ledgerAccount(ctx, posting.ReceivableSpec(s.cfg.PayoutChannel, o.Amount.Currency()))
	if err != nil {
		return err
	}
	e, err := s.cfg.Ledger.Post(ctx, ledger.Posting{Key: "wallet/" + o.ID + "/payout", Voucher: s.wdVoucher(o), Memo: "withdrawal " + o.RequestNo + " paid out",
		Lines: []ledger.Line{{Account: ledger.AccountID(a.FrozenLedgerID), Side: ledger.Debit, Amount: o.Amount}, {Account: recv, Side: ledger.Credit, Amount: o.Amount}}})
	if err != nil {
		return err
	}
	o.EntrySeq = e.Seq
	return nil
}

// Withdrawal returns merchantID's withdrawal by request number.
func (s *Service) Withdrawal(ctx context.Context, merchantID, requestNo string) (*Op, error) {
	o, err := s.cfg.Store.WalletOpByRequest(ctx, merchantID, OpWithdraw, requestNo)
	if err != nil {
		return nil, fail(ErrNotFound, "request_no", "%s", requestNo)
	}
	return o, nil
}

// queryPayouts asks the bank about every withdrawal that is due: held ones until final,
// paid ones for a return until ReturnWatch after they were requested.
func (s *Service) queryPayouts(ctx context.Context) (int, error) {
	if s.cfg.Payouter == nil {
		return 0, nil
	}
	ops, err := s.cfg.Store.DueWalletOps(ctx, OpWithdraw, []OpState{OpHeld, OpPaid}, s.cfg.Clock.Now(), 100, 5*time.Minute)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, o := range ops {
		res, qerr := s.cfg.Payouter.QueryPayout(ctx, &channel.PayoutQuery{PayoutNo: o.ID, PayoutTime: o.CreatedAt})
		if _, err := s.apply(ctx, o, res, qerr, true); err != nil {
			errs = append(errs, fmt.Errorf("wallet: withdrawal %s: %w", o.ID, err))
		}
	}
	return len(ops), errors.Join(errs...)
}

// WorkReport says what one WorkOnce did.
type WorkReport struct {
	TopUpsCredited int
	PayoutsQueried int
	OpsRedriven    int // transfers and payments left pending by a stopped process, driven to their end
}

// WorkOnce credits the top-ups whose payments succeeded (from the order outbox), queries
// the payouts that are due, and re-drives transfers and payments left pending. Several processes may run it on one database: outbox deliveries
// and due withdrawals are leased.
func (s *Service) WorkOnce(ctx context.Context) (WorkReport, error) {
	var rep WorkReport
	var err1, err2, err3 error
	rep.TopUpsCredited, err1 = s.creditTopUps(ctx)
	rep.PayoutsQueried, err2 = s.queryPayouts(ctx)
	rep.OpsRedriven, err3 = s.redrive(ctx)
	return rep, errors.Join(err1, err2, err3)
}

// Run calls WorkOnce every interval on the Clock until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	t := s.cfg.Clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C():
		}
		if _, err := s.WorkOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("wallet: work round failed", "err", err)
		}
		t.Reset(interval)
	}
}
