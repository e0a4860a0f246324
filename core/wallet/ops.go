package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// Voucher kinds of the wallet's entries (a top-up's is the payment order: "order").
const (
	VoucherTransfer   ledger.VoucherKind = "wallet_transfer"
	VoucherPayment    ledger.VoucherKind = "wallet_payment"
	VoucherFreeze     ledger.VoucherKind = "wallet_freeze"
	VoucherWithdrawal ledger.VoucherKind = "wallet_withdrawal"
)

// fingerprint digests the fields that make a request what it is.
func fingerprint(fields ...string) string {
	h := sha256.Sum256([]byte(strings.Join(fields, "\x00")))
	return hex.EncodeToString(h[:16])
}

// amountOf checks a request amount in minor units.
func amountOf(minor int64, cur money.Currency, field string) (money.Amount, error) {
	if cur == "" {
		cur = money.CNY
	}
	if !cur.Valid() {
		return money.Amount{}, fail(ErrInvalid, "currency", "%q", cur)
	}
	if minor <= 0 {
		return money.Amount{}, fail(ErrInvalid, field, "must be greater than zero")
	}
	return money.New(minor, cur), nil
}

// mapLedger turns the ledger's refusals into the wallet's errors.
func mapLedger(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ledger.ErrInsufficientFunds):
		return fail(ErrInsufficientFunds, "amount", "the available balance is too low")
	case errors.Is(err, ledger.ErrAccountFrozen):
		return fail(ErrFrozen, "account_id", "frozen accounts cannot be debited")
	case errors.Is(err, ledger.ErrAccountClosed):
		return fail(ErrClosed, "account_id", "closed accounts take no movement")
	case errors.Is(err, ledger.ErrUnknownOutcome), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
	}
	return err
}

// refused reports whether err is the ledger's definite refusal (nothing was written).
func refused(err error) bool {
	var re *ledger.RequestError
	return errors.As(err, &re)
}

// perTx refuses an amount over the per-transaction limit of the customer's level.
func (s *Service) perTx(c *Customer, amt money.Amount) error {
	lim := s.cfg.Limits[c.Level]
	if amt.Currency() != money.CNY {
		return fail(ErrInvalid, "currency", "limits are set in CNY; only CNY accounts move money")
	}
	if amt.Minor() > lim.PerTx.Minor() {
		return fail(ErrLimit, "amount", "%s is over %s per transaction at verification level %d", amt, lim.PerTx, c.Level)
	}
	return nil
}

// dayLimit is the customer's limit of today (Beijing) for payments, transfers and
// withdrawals together.
func (s *Service) dayLimit(c *Customer) *DayLimit {
	d := clock.AccountingDay(s.cfg.Clock.Now(), clock.NaturalDay)
	return &DayLimit{Day: d.String(), Max: s.cfg.Limits[c.Level].PerDay.Minor()}
}

// begin stores o (or finds it by its request number), counting it in limit's day total
// when limit is not nil. It returns the stored op and whether the caller must drive it
// (false: it is finished, return it as it is).
func (s *Service) begin(ctx context.Context, o *Op, limit *DayLimit) (*Op, bool, error) {
	now := s.cfg.Clock.Now()
	o.ID, o.CreatedAt, o.UpdatedAt = newOpID(now), now, now
	if o.State == "" {
		o.State = OpPending
	}
	if (o.Kind == OpTransfer || o.Kind == OpPayment) && o.NextAt.IsZero() {
		// Due for WorkOnce's re-drive should this process stop before the op is finished.
		o.NextAt = now.Add(s.cfg.RedriveAfter)
	}
	got, created, err := s.cfg.Store.InsertWalletOp(ctx, o, limit)
	if errors.Is(err, ErrLimit) && limit != nil {
		return nil, false, fail(ErrLimit, "amount", "payments, transfers and withdrawals on %s would pass %s per day at this verification level",
			limit.Day, money.New(limit.Max, o.Amount.Currency()))
	}
	if err != nil {
		return nil, false, err
	}
	if !created && got.Fingerprint != o.Fingerprint {
		return nil, false, fail(ErrConflict, "request_no", "%s was used before with other content", o.RequestNo)
	}
	return got, created || got.State == OpPending, nil
}

// abandon removes a pending op refused before any money moved, and returns why.
func (s *Service) abandon(ctx context.Context, o *Op, why error) error {
	if err := s.cfg.Store.DeleteWalletOp(ctx, o.ID); err != nil {
		return errors.Join(why, err)
	}
	return why
}

// stmt is a movement of a payment account's available balance by an entry.
type stmt struct {
	acct *Account
	side ledger.Side
}

// post applies one ledger entry of op o under key and notes on o the statement lines of the
// payment accounts it moved; finish stores them with o in one transaction. (Until then a
// retry with the same request number finds o pending and posts again under the same key,
// which the ledger answers with the same entry.)
func (s *Service) post(ctx context.Context, key string, o *Op, v ledger.Voucher, memo string, lines []ledger.Line, st ...stmt) (*ledger.Entry, error) {
	e, err := s.cfg.Ledger.Post(ctx, ledger.Posting{Key: key, Voucher: v, Lines: lines, Memo: memo})
	if err != nil {
		return nil, err
	}
	for _, x := range st {
		o.lines = append(o.lines, Line{AccountID: x.acct.ID, EntrySeq: e.Seq, Side: string(x.side), Amount: o.Amount, OpID: o.ID, OpKind: o.Kind,
			VoucherKind: string(e.Voucher.Kind), VoucherID: e.Voucher.ID, Memo: memo, At: e.PostedAt})
	}
	return e, nil
}

// finish records o's final state, re-reading it when a concurrent retry finished it first.
func (s *Service) finish(ctx context.Context, o *Op) (*Op, error) {
	o.UpdatedAt = s.cfg.Clock.Now()
	err := s.cfg.Store.UpdateWalletOp(ctx, o, o.lines)
	if err == nil {
		o.lines = nil
	}
	if errors.Is(err, ErrStale) {
		return s.cfg.Store.WalletOp(ctx, o.ID)
	}
	return o, err
}

// TransferRequest moves money between two payment accounts of the same currency.
type TransferRequest struct {
	RequestNo string // the caller's number: the transfer's idempotency key
	From, To  string // payment account ids
	Amount    int64  // minor units, > 0
	Currency  money.Currency
	Memo      string
}

// Transfer moves Amount from one payment account to another in one ledger entry
// (Dr 2241.0x From, Cr 2241.0x To; voucher wallet_transfer/<op>). It is idempotent by
// RequestNo. The sender's verification level's limits apply before any money moves; a
// frozen or closed sender, a closed receiver or too low a balance is refused by the
// ledger, and nothing is written.
func (s *Service) Transfer(ctx context.Context, merchantID string, req TransferRequest) (*Op, error) {
	amt, err := amountOf(req.Amount, req.Currency, "amount")
	if err != nil {
		return nil, err
	}
	if err := numberRule.Check(req.RequestNo); err != nil {
		return nil, fail(ErrInvalid, "request_no", "%v", err)
	}
	if req.From == req.To {
		return nil, fail(ErrInvalid, "to_account", "is the same account as from_account")
	}
	from, c, err := s.account(ctx, merchantID, req.From)
	if err != nil {
		return nil, err
	}
	to, err := s.owned(ctx, merchantID, req.To)
	if err != nil {
		return nil, fail(ErrNotFound, "to_account", "%s", req.To)
	}
	if from.Currency != amt.Currency() || to.Currency != amt.Currency() {
		return nil, fail(ErrInvalid, "currency", "both accounts must hold %s", amt.Currency())
	}
	if err := s.perTx(c, amt); err != nil {
		return nil, err
	}
	o, drive, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: OpTransfer, RequestNo: req.RequestNo, CustomerID: c.ID,
		AccountID: from.ID, ToAccount: to.ID, Amount: amt, Reason: req.Memo,
		Fingerprint: fingerprint(from.ID, to.ID, amt.String(), string(amt.Currency()), req.Memo)}, s.dayLimit(c))
	if err != nil || !drive {
		return o, err
	}
	return s.complete(ctx, o, false)
}

// PaymentRequest pays a merchant from a payment account (账户支付).
type PaymentRequest struct {
	RequestNo string
	AccountID string
	Payee     string // the merchant paid; "" = the calling merchant
	Amount    int64
	Currency  money.Currency
	Password  string // the customer's payment password
	Subject   string
}

// Pay pays Payee from a payment account in one ledger entry: Dr 2241.0x account,
// Cr 2202 应付商户款-<payee> (voucher wallet_payment/<op>). It needs the payment password
// and is idempotent by RequestNo; limits apply before any money moves.
func (s *Service) Pay(ctx context.Context, merchantID string, req PaymentRequest) (*Op, error) {
	amt, err := amountOf(req.Amount, req.Currency, "amount")
	if err != nil {
		return nil, err
	}
	if err := numberRule.Check(req.RequestNo); err != nil {
		return nil, fail(ErrInvalid, "request_no", "%v", err)
	}
	payee := req.Payee
	if payee == "" {
		payee = merchantID
	}
	if err := numberRule.Check(payee); err != nil {
		return nil, fail(ErrInvalid, "payee", "%v", err)
	}
	a, c, err := s.account(ctx, merchantID, req.AccountID)
	if err != nil {
		return nil, err
	}
	if a.Currency != amt.Currency() {
		return nil, fail(ErrInvalid, "currency", "the account holds %s", a.Currency)
	}
	if err := s.CheckPassword(ctx, c.ID, req.Password); err != nil {
		return nil, err
	}
	if _, err := s.ledgerAccount(ctx, posting.PayableSpec(payee, amt.Currency())); err != nil {
		return nil, err
	}
	if err := s.perTx(c, amt); err != nil {
		return nil, err
	}
	o, drive, err := s.begin(ctx, &Op{MerchantID: merchantID, Kind: OpPayment, RequestNo: req.RequestNo, CustomerID: c.ID,
		AccountID: a.ID, Payee: payee, Amount: amt, Reason: req.Subject, Fingerprint: fingerprint(a.ID, payee, amt.String(), string(amt.Currency()), req.Subject)}, s.dayLimit(c))
	if err != nil || !drive {
		return o, err
	}
	return s.complete(ctx, o, false)
}

// move posts the one entry of a transfer or payment op o (again, on a retry or a re-drive:
// the key is the op's, so the ledger answers a retry with the entry it applied first) and
// notes its statement lines on o.
func (s *Service) move(ctx context.Context, o *Op) (*ledger.Entry, error) {
	from, err := s.cachedAccount(ctx, o.AccountID)
	if err != nil {
		return nil, err
	}
	amt := o.Amount
	switch o.Kind {
	case OpTransfer:
		to, err := s.cachedAccount(ctx, o.ToAccount)
		if err != nil {
			return nil, err
		}
		return s.post(ctx, "wallet/"+o.ID+"/move", o, ledger.Voucher{Kind: VoucherTransfer, ID: o.ID, Amount: amt}, "transfer "+o.RequestNo,
			[]ledger.Line{{Account: ledger.AccountID(from.LedgerID), Side: ledger.Debit, Amount: amt}, {Account: ledger.AccountID(to.LedgerID), Side: ledger.Credit, Amount: amt}},
			stmt{from, ledger.Debit}, stmt{to, ledger.Credit})
	case OpPayment:
		payable, err := s.ledgerAccount(ctx, posting.PayableSpec(o.Payee, amt.Currency()))
		if err != nil {
			return nil, err
		}
		return s.post(ctx, "wallet/"+o.ID+"/move", o, ledger.Voucher{Kind: VoucherPayment, ID: o.ID, Amount: amt}, "payment "+o.RequestNo+" to "+o.Payee,
			[]ledger.Line{{Account: ledger.AccountID(from.LedgerID), Side: ledger.Debit, Amount: amt}, {Account: payable, Side: ledger.Credit, Amount: amt}},
			stmt{from, ledger.Debit})
	}
	return nil, fmt.Errorf("wallet: op %s: %s ops are not moved here", o.ID, o.Kind)
}

// complete drives a pending transfer or payment op: its entry, then its final state. A
// refusal by the ledger (nothing written) removes the op. The final state and the
// statement lines are written by the finisher, batched with other ops', after the caller
// has its answer (the entry is durable by then); sync writes them before returning
// (re-drive). Until they are written the op is pending and due for re-drive, which posts
// again under the same key and so finds the same entry: a stop in between loses nothing.
func (s *Service) complete(ctx context.Context, o *Op, sync bool) (*Op, error) {
	if s.crash == "after-begin" {
		return nil, errCrash
	}
	e, err := s.move(ctx, o)
	if err != nil {
		if refused(err) {
			return nil, s.abandon(ctx, o, mapLedger(err))
		}
		return nil, mapLedger(err)
	}
	o.State, o.EntrySeq, o.NextAt = OpDone, e.Seq, time.Time{}
	if sync {
		return s.finish(ctx, o)
	}
	return s.finishLater(o), nil
}
