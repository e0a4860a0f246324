package wallet

import (
	"context"
	"errors"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// FreezeRequest freezes a whole account (Amount 0) or an amount of it.
type FreezeRequest struct {
	RequestNo string
	AccountID string
	Amount    int64 // minor units; 0 freezes the whole account (no debits at all)
	Reason    string
	Operator  string
}

func (r *FreezeRequest) check() error {
	if err := numberRule.Check(r.RequestNo); err != nil {
		return fail(ErrInvalid, "request_no", "%v", err)
	}
	if r.Reason == "" || len(r.Reason) > 256 {
		return fail(ErrInvalid, "reason", "required, at most 256 bytes")
	}
	if r.Operator == "" || len(r.Operator) > 64 {
		return fail(ErrInvalid, "operator", "required, at most 64 bytes")
	}
	if r.Amount < 0 {
		return fail(ErrInvalid, "amount", "must not be negative")
	}
	return nil
}

// Freeze freezes an account or an amount of it, with a reason and an operator, idempotent by
// RequestNo.
//
// An amount is moved in one ledger entry from the account's available funds to its frozen
// funds (Dr 2241.0x account, Cr 2241.09 frozen; voucher wallet_freeze/<op>), so it can be
// neither spent nor withdrawn and both figures stay ledger balances. More than the available
// balance is refused by the ledger. A whole account is frozen by the ledger's Frozen flag on
// its available-funds account: every debit is refused from then on; credits still arrive.
func (s *Service) Freeze(ctx context.Context, merchantID string, req FreezeRequest) (*Op, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	a, c, err := s.account(ctx, merchantID, req.AccountID)
	if err != nil {
		return nil, err
	}
	if req.Amount == 0 {
		return s.setFrozen(ctx, merchantID, a, c, req, true)
	}
	amt := money.New(req.Amount, a.Currency)
	o, drive, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: OpFreeze, RequestNo: req.RequestNo, CustomerID: c.ID, AccountID: a.ID,
		Amount: amt, Reason: req.Reason, Operator: req.Operator, Fingerprint: fingerprint(a.ID, amt.String(), req.Reason, req.Operator)}, nil)
	if err != nil || !drive {
		return o, err
	}
	e, err := s.post(ctx, "wallet/"+o.ID+"/freeze", o, ledger.Voucher{Kind: VoucherFreeze, ID: o.ID, Amount: amt}, "freeze "+req.RequestNo+": "+req.Reason,
		[]ledger.Line{{Account: ledger.AccountID(a.LedgerID), Side: ledger.Debit, Amount: amt}, {Account: ledger.AccountID(a.FrozenLedgerID), Side: ledger.Credit, Amount: amt}},
		stmt{a, ledger.Debit})
	if err != nil {
		if refused(err) {
			return nil, s.abandon(ctx, o, mapLedger(err))
		}
		return nil, mapLedger(err)
	}
	o.State, o.HoldSeq, o.EntrySeq = OpDone, e.Seq, e.Seq
	return s.finish(ctx, o)
}

// UnfreezeRequest releases an amount freeze (FreezeRequestNo) or unfreezes a whole account
// (FreezeRequestNo empty).
type UnfreezeRequest struct {
	RequestNo       string
	AccountID       string
	FreezeRequestNo string
	Reason          string
	Operator        string
}

// Unfreeze undoes a Freeze, idempotent by RequestNo. An amount freeze is released whole in
// one entry (Dr 2241.09 frozen, Cr 2241.0x account) under the freeze's own voucher; a
// released freeze cannot be released again.
func (s *Service) Unfreeze(ctx context.Context, merchantID string, req UnfreezeRequest) (*Op, error) {
	fr := FreezeRequest{RequestNo: req.RequestNo, AccountID: req.AccountID, Reason: req.Reason, Operator: req.Operator}
	if err := fr.check(); err != nil {
		return nil, err
	}
	a, c, err := s.account(ctx, merchantID, req.AccountID)
	if err != nil {
		return nil, err
	}
	if req.FreezeRequestNo == "" {
		return s.setFrozen(ctx, merchantID, a, c, fr, false)
	}
	f, err := s.cfg.Store.WalletOpByRequest(ctx, merchantID, OpFreeze, req.FreezeRequestNo)
	if err != nil {
		return nil, fail(ErrNotFound, "freeze_request_no", "%s", req.FreezeRequestNo)
	}
	if f.AccountID != a.ID {
		return nil, fail(ErrInvalid, "freeze_request_no", "%s froze another account", req.FreezeRequestNo)
	}
	if f.State != OpDone && f.State != OpReleased {
		return nil, fail(ErrInvalid, "freeze_request_no", "%s is not applied (%s)", req.FreezeRequestNo, f.State)
	}
	o, err := s.cfg.Store.WalletOpByRequest(ctx, merchantID, OpUnfreeze, req.RequestNo)
	retry := err == nil
	if f.State == OpReleased && !retry {
		return nil, fail(ErrInvalid, "freeze_request_no", "%s was released already", req.FreezeRequestNo)
	}
	o, drive, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: OpUnfreeze, RequestNo: req.RequestNo, CustomerID: c.ID, AccountID: a.ID,
		Ref: f.ID, Amount: f.Amount, Reason: req.Reason, Operator: req.Operator, Fingerprint: fingerprint(a.ID, f.ID, req.Reason, req.Operator)}, nil)
	if err != nil || !drive {
		return o, err
	}
	// The release's key is the freeze's: whichever unfreeze gets there, it is released once.
	e, err := s.post(ctx, "wallet/"+f.ID+"/release", o, ledger.Voucher{Kind: VoucherFreeze, ID: f.ID, Amount: f.Amount}, "release freeze "+f.RequestNo,
		[]ledger.Line{{Account: ledger.AccountID(a.FrozenLedgerID), Side: ledger.Debit, Amount: f.Amount}, {Account: ledger.AccountID(a.LedgerID), Side: ledger.Credit, Amount: f.Amount}},
		stmt{a, ledger.Credit})
	if err != nil {
		if refused(err) {
			return nil, s.abandon(ctx, o, mapLedger(err))
		}
		return nil, mapLedger(err)
	}
	if f.State != OpReleased {
		f.State, f.ReverseSeq, f.UpdatedAt = OpReleased, e.Seq, s.cfg.Clock.Now()
		if err := s.cfg.Store.UpdateWalletOp(ctx, f, nil); err != nil && !errors.Is(err, ErrStale) {
			return nil, err
		}
	}
	o.State, o.EntrySeq = OpDone, e.Seq
	return s.finish(ctx, o)
}

// setFrozen sets or clears the ledger's Frozen flag of a's available-funds account and
// records the decision as an op.
func (s *Service) setFrozen(ctx context.Context, merchantID string, a *Account, c *Customer, req FreezeRequest, freeze bool) (*Op, error) {
	kind := OpFreezeAccount
	if !freeze {
		kind = OpUnfreezeAcct
	}
	o, drive, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: kind, RequestNo: req.RequestNo, CustomerID: c.ID, AccountID: a.ID,
		Amount: money.New(0, a.Currency), Reason: req.Reason, Operator: req.Operator, Fingerprint: fingerprint(a.ID, req.Reason, req.Operator)}, nil)
	if err != nil || !drive {
		return o, err
	}
	la, err := s.cfg.Ledger.Account(ctx, ledger.AccountID(a.LedgerID))
	if err != nil {
		return nil, err
	}
	if la.Flags&ledger.Closed != 0 {
		return nil, s.abandon(ctx, o, fail(ErrClosed, "account_id", "%s is closed", a.ID))
	}
	f := la.Flags &^ ledger.Frozen
	if freeze {
		f |= ledger.Frozen
	}
	if err := s.cfg.Ledger.SetFlags(ctx, la.ID, f); err != nil {
		return nil, err
	}
	o.State = OpDone
	return s.finish(ctx, o)
}

// Close closes a payment account whose available and frozen balances are both zero: the
// ledger then refuses every movement of it. A balance that arrives while closing reopens it
// and the close is refused.
func (s *Service) Close(ctx context.Context, merchantID, accountID, operator string) (*AccountView, error) {
	if operator == "" {
		return nil, fail(ErrInvalid, "operator", "required")
	}
	a, _, err := s.account(ctx, merchantID, accountID)
	if err != nil {
		return nil, err
	}
	v, err := s.view(ctx, a)
	if err != nil {
		return nil, err
	}
	if v.State == Closed {
		return v, nil
	}
	empty := func(v *AccountView) bool { return v.Available.IsZero() && v.Frozen.IsZero() }
	if !empty(v) {
		return nil, fail(ErrNotEmpty, "account_id", "available %s, frozen %s", v.Available, v.Frozen)
	}
	la, err := s.cfg.Ledger.Account(ctx, ledger.AccountID(a.LedgerID))
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Ledger.SetFlags(ctx, la.ID, la.Flags|ledger.Closed); err != nil {
		return nil, err
	}
	if err := s.cfg.Ledger.SetFlags(ctx, ledger.AccountID(a.FrozenLedgerID), ledger.Closed); err != nil {
		return nil, err
	}
	if v, err = s.view(ctx, a); err != nil {
		return nil, err
	}
	if !empty(v) {
		// Money arrived between the check and the flag: undo the close.
		err := errors.Join(s.cfg.Ledger.SetFlags(ctx, la.ID, la.Flags), s.cfg.Ledger.SetFlags(ctx, ledger.AccountID(a.FrozenLedgerID), 0))
		return nil, errors.Join(fail(ErrNotEmpty, "account_id", "money arrived while closing"), err)
	}
	return v, nil
}
