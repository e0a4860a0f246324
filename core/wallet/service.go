package wallet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

// PayFunc starts a payment order through the gateway's payment flow: (*gateway.Gateway).Pay.
type PayFunc func(ctx context.Context, merchantID string, req *gateway.CreatePaymentRequest) (*order.Payment, *channel.PayAction, bool, error)

// OrderStore is what top-ups read: the payment orders and their outbox (core/store's *DB).
type OrderStore interface {
	order.Store
	order.Outbox
}

// Config configures a Service.
type Config struct {
	Store  Store          // required
	Ledger *ledger.Ledger // required: the ledger over the same database
	// LedgerStore reads the chart when the Service adds its codes; default Store when it
	// is a ledger.Store too (core/store's *DB is).
	LedgerStore ledger.Store
	Clock       clock.Clock   // required: limits' days, lock-outs, payout queries
	Keyring     *card.Keyring // required: seals ID numbers, card numbers and mobiles
	// Limits by verification level; default DefaultLimits. Every level must be present.
	Limits map[Level]Limit
	// KDF is the payment-password hashing cost for new passwords; default DefaultKDF.
	KDF KDFParams
	// MaxPasswordTries wrong passwords in a row lock the password for LockOut (virtual
	// clock); defaults 5 and 30 minutes.
	MaxPasswordTries int
	LockOut          time.Duration

	// Top-ups. Pay, Orders and Fees are needed for top-ups; without Pay, TopUp refuses.
	Pay    PayFunc
	Orders OrderStore
	Fees   posting.FeeFunc
	// TopUpMerchant is the merchant id top-up payment orders are made under; default
	// "wallet". Its payments are credited to wallets by this Service, so the ledger poster
	// must leave them alone (posting.Config.SkipMerchants).
	TopUpMerchant string
	// Consumer is the outbox consumer of top-up successes; default "wallet".
	Consumer string

	// Withdrawals. Payouter pays out to cards (the bank); PayoutChannel is its name for the
	// ledger's receivable account (default channel.Channel's Name when it is one, else "bank").
	Payouter      channel.Payouter
	PayoutChannel string
	// ReturnWatch is how long after a payout succeeded the Service keeps asking whether the
	// bank returned it (default 7 days), once every ReturnCheck (default 12 hours).
	ReturnWatch time.Duration
	ReturnCheck time.Duration
	// NotFoundAfter: a payout the bank does not know this long after it was requested never
	// reached the bank, and the withdrawal fails (default 10 minutes). Sooner, it is asked
	// again.
	NotFoundAfter time.Duration
	// RedriveAfter: a transfer or payment still pending this long after it was requested
	// (its process stopped before finishing it) is driven to its end by WorkOnce; default
	// 1 minute.
	RedriveAfter time.Duration

	// Binders verify cards by channel name (channel.Binder), for BindCard.
	Binders map[string]channel.Binder

	Logger *slog.Logger
}

// Limit is what a verification level allows. Amounts are in CNY.
type Limit struct {
	PerTx    money.Amount // the most one top-up, payment, transfer or withdrawal may move
	PerDay   money.Amount // the most payments, transfers and withdrawals may move per Beijing day
	Withdraw bool         // whether withdrawals to cards are allowed
}

// DefaultLimits are the limits of the four levels.
var DefaultLimits = map[Level]Limit{
	LevelNone:  {PerTx: money.New(200_00, money.CNY), PerDay: money.New(500_00, money.CNY)},
	LevelBasic: {PerTx: money.New(2_000_00, money.CNY), PerDay: money.New(5_000_00, money.CNY)},
	LevelCard:  {PerTx: money.New(50_000_00, money.CNY), PerDay: money.New(100_000_00, money.CNY), Withdraw: true},
	LevelFull:  {PerTx: money.New(200_000_00, money.CNY), PerDay: money.New(500_000_00, money.CNY), Withdraw: true},
}

// Service is the customers, accounts and wallets of the payment core. It is safe for
// concurrent use; several Services (processes) may share one database.
type Service struct {
	cfg Config
	log *slog.Logger
	kdf chan struct{} // bounds concurrent password hashing (memory)
	// chartMu guards chartOK: the chart codes are added once per Service (a failure is
	// tried again on the next call).
	chartMu sync.Mutex
	chartOK bool
	accs    sync.Map // ledger.AccountSpec key -> ledger.AccountID (ids never change)
	pacc    sync.Map // payment account id -> *Account (never changes once stored)
	owner   sync.Map // customer id -> merchant id (never changes)
	fin     finisher
	crash   string // tests: where to stop as if the process died (export_test.go)
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("wallet: Config.Store is required")
	case cfg.Ledger == nil:
		return nil, errors.New("wallet: Config.Ledger is required")
	case cfg.Clock == nil:
		return nil, errors.New("wallet: Config.Clock is required")
	case cfg.Keyring == nil:
		return nil, errors.New("wallet: Config.Keyring is required (ID and card numbers are sealed at rest)")
	case cfg.MaxPasswordTries < 0 || cfg.LockOut < 0 || cfg.ReturnWatch < 0 || cfg.ReturnCheck < 0 || cfg.NotFoundAfter < 0 || cfg.RedriveAfter < 0:
		return nil, errors.New("wallet: Config: MaxPasswordTries, LockOut, ReturnWatch, ReturnCheck NotFoundAfter and RedriveAfter must not be negative")
	}
	if cfg.LedgerStore == nil {
		if ls, ok := cfg.Store.(ledger.Store); ok {
			cfg.LedgerStore = ls
		}
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits
	}
	for l := LevelNone; l <= LevelFull; l++ {
		lim, ok := cfg.Limits[l]
		if !ok {
			return nil, fmt.Errorf("wallet: Config.Limits has no level %d", l)
		}
		if lim.PerTx.Currency() != money.CNY || lim.PerDay.Currency() != money.CNY || lim.PerTx.Minor() <= 0 || lim.PerDay.Minor() < lim.PerTx.Minor() {
			return nil, fmt.Errorf("wallet: Config.Limits[%d]: want CNY amounts with 0 < PerTx <= PerDay", l)
		}
	}
	if cfg.KDF == (KDFParams{}) {
		cfg.KDF = DefaultKDF
	}
	if err := cfg.KDF.validate(); err != nil {
		return nil, err
	}
	if cfg.MaxPasswordTries == 0 {
		cfg.MaxPasswordTries = 5
	}
	if cfg.LockOut == 0 {
		cfg.LockOut = 30 * time.Minute
	}
	if cfg.TopUpMerchant == "" {
		cfg.TopUpMerchant = "wallet"
	}
	if cfg.Consumer == "" {
		cfg.Consumer = "wallet"
	}
	if cfg.Pay != nil && (cfg.Orders == nil || cfg.Fees == nil) {
		return nil, errors.New("wallet: Config.Pay needs Config.Orders and Config.Fees (top-ups are credited from the order outbox)")
	}
	if cfg.PayoutChannel == "" {
		cfg.PayoutChannel = "bank"
		if ch, ok := cfg.Payouter.(channel.Channel); ok {
			cfg.PayoutChannel = ch.Name()
		}
	}
	if cfg.ReturnWatch == 0 {
		cfg.ReturnWatch = 7 * 24 * time.Hour
	}
	if cfg.ReturnCheck == 0 {
		cfg.ReturnCheck = 12 * time.Hour
	}
	if cfg.NotFoundAfter == 0 {
		cfg.NotFoundAfter = 10 * time.Minute
	}
	if cfg.RedriveAfter == 0 {
		cfg.RedriveAfter = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg, log: cfg.Logger, kdf: make(chan struct{}, 4)}, nil
}

// newID returns prefix + 20 random hex digits (at most 23 characters, within every
// channel's number rules).
func newID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("wallet: crypto/rand: %v", err))
	}
	return prefix + hex.EncodeToString(b[:])
}

// newOpID returns "op_" + 11 hex digits of at's Unix microseconds + 9 random hex digits (23
// characters). Ids that grow with time are appended at the end of the ops' primary-key
// index instead of at random pages of it, which a commit then rewrites fewer of; the 36
// random bits keep ids made in the same microsecond apart.
func newOpID(at time.Time) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("wallet: crypto/rand: %v", err))
	}
	return fmt.Sprintf("op_%011x%s", uint64(at.UnixMicro())&(1<<44-1), hex.EncodeToString(b[:])[:9])
}

// ensureChart adds the wallet's chart codes that are missing, once per Service.
func (s *Service) ensureChart(ctx context.Context) error {
	s.chartMu.Lock()
	defer s.chartMu.Unlock()
	if s.chartOK {
		return nil
	}
	var have []ledger.ChartAccount
	if s.cfg.LedgerStore != nil {
		if err := s.cfg.LedgerStore.Read(ctx, func(tx ledger.ReadTx) error {
			var err error
			have, err = tx.Chart(ctx)
			return err
		}); err != nil {
			return fmt.Errorf("wallet: read the chart: %w", err)
		}
	}
	for _, c := range allCharts() {
		found := false
		for _, h := range have {
			if h.Code == c.Code {
				if h.Type != c.Type || h.Normal != c.Normal {
					return fmt.Errorf("wallet: chart code %s is %s/%s, the wallet needs %s/%s", c.Code, h.Type, h.Normal, c.Type, c.Normal)
				}
				found = true
			}
		}
		if !found {
			if err := s.cfg.Ledger.PutChart(ctx, c); err != nil {
				return fmt.Errorf("wallet: add chart code %s: %w", c.Code, err)
			}
		}
	}
	s.chartOK = true
	return nil
}

// ledgerAccount returns the id of the ledger account of spec, opening it if needed.
func (s *Service) ledgerAccount(ctx context.Context, spec ledger.AccountSpec) (ledger.AccountID, error) {
	k := spec.Code + "|" + string(spec.OwnerKind) + "/" + spec.OwnerID + "|" + string(spec.Currency)
	if id, ok := s.accs.Load(k); ok {
		return id.(ledger.AccountID), nil
	}
	if err := s.ensureChart(ctx); err != nil {
		return 0, err
	}
	a, err := s.cfg.Ledger.FindAccount(ctx, spec.Code, spec.OwnerKind, spec.OwnerID, spec.Currency)
	if errors.Is(err, ledger.ErrNotFound) {
		a, err = s.cfg.Ledger.CreateAccount(ctx, spec)
		if err != nil {
			if found, ferr := s.cfg.Ledger.FindAccount(ctx, spec.Code, spec.OwnerKind, spec.OwnerID, spec.Currency); ferr == nil {
				a, err = found, nil
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("wallet: ledger account %s %s/%s: %w", spec.Code, spec.OwnerKind, spec.OwnerID, err)
	}
	s.accs.Store(k, a.ID)
	return a.ID, nil
}

// CustomerRequest registers a customer.
type CustomerRequest struct {
	CustomerNo string       // the merchant's number for the customer: 1–64 of A–Z a–z 0–9 _ -
	Kind       CustomerKind // individual or enterprise
	Name       string       // the real name (1–64 characters)
	// IDNo is the resident ID number (individual, checked: 18 characters with its check
	// digit) or the unified social credit code (enterprise, 18 characters). Stored sealed.
	IDNo string
}

var numberRule = channel.NumberRule{MaxLen: 64, Symbols: "_-"}

// CreateCustomer registers a customer of merchantID at LevelNone. It is idempotent by
// CustomerNo: the same number with the same name and ID returns the stored customer.
func (s *Service) CreateCustomer(ctx context.Context, merchantID string, req CustomerRequest) (*Customer, error) {
	if err := numberRule.Check(req.CustomerNo); err != nil {
		return nil, fail(ErrInvalid, "customer_no", "%v", err)
	}
	if !req.Kind.Valid() {
		return nil, fail(ErrInvalid, "kind", "%q: want individual or enterprise", req.Kind)
	}
	if n := len([]rune(req.Name)); n < 1 || n > 64 {
		return nil, fail(ErrInvalid, "name", "want 1 to 64 characters")
	}
	now := s.cfg.Clock.Now()
	if req.Kind == Individual {
		if err := card.CheckIDNo(req.IDNo, now); err != nil {
			return nil, fail(ErrInvalid, "id_no", "%v", err)
		}
	} else if len(req.IDNo) != 18 {
		return nil, fail(ErrInvalid, "id_no", "unified social credit code: want 18 characters")
	}
	fp := s.cfg.Keyring.Fingerprint(card.FieldIDNo, req.IDNo).String()
	if c, err := s.cfg.Store.CustomerByNo(ctx, merchantID, req.CustomerNo); err == nil {
		return s.sameCustomer(c, req, fp)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	sealed, err := s.cfg.Keyring.Seal(card.FieldIDNo, req.IDNo)
	if err != nil {
		return nil, fmt.Errorf("wallet: seal the ID number: %w", err)
	}
	c := &Customer{ID: newID("cus_"), MerchantID: merchantID, CustomerNo: req.CustomerNo, Kind: req.Kind, Name: req.Name,
		IDNoSealed: sealed.String(), IDNoFP: fp, Level: LevelNone, LevelNote: "registered", CreatedAt: now, UpdatedAt: now}
	if err := s.cfg.Store.CreateCustomer(ctx, c); errors.Is(err, ErrDuplicate) {
		got, gerr := s.cfg.Store.CustomerByNo(ctx, merchantID, req.CustomerNo)
		if gerr != nil {
			return nil, gerr
		}
		return s.sameCustomer(got, req, fp)
	} else if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) sameCustomer(c *Customer, req CustomerRequest, fp string) (*Customer, error) {
	if c.Kind != req.Kind || c.Name != req.Name || c.IDNoFP != fp {
		return nil, fail(ErrConflict, "customer_no", "customer %s exists with another kind, name or ID number", req.CustomerNo)
	}
	return c, nil
}

// Customer returns merchantID's customer id (ErrNotFound for another merchant's).
func (s *Service) Customer(ctx context.Context, merchantID, id string) (*Customer, error) {
	c, err := s.cfg.Store.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.MerchantID != merchantID {
		return nil, fmt.Errorf("wallet: customer %s: %w", id, ErrNotFound)
	}
	return c, nil
}

// RaiseLevel raises a customer's verification level by an operator's decision (a level
// is never lowered here). operator and note are recorded with it.
func (s *Service) RaiseLevel(ctx context.Context, merchantID, customerID string, l Level, operator, note string) (*Customer, error) {
	if !l.Valid() {
		return nil, fail(ErrInvalid, "level", "%d: want 0 to 3", l)
	}
	if operator == "" {
		return nil, fail(ErrInvalid, "operator", "required")
	}
	if _, err := s.Customer(ctx, merchantID, customerID); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RaiseCustomerLevel(ctx, customerID, l, fmt.Sprintf("operator %s: %s", operator, note), s.cfg.Clock.Now()); err != nil {
		return nil, err
	}
	return s.cfg.Store.Customer(ctx, customerID)
}

// AddUser adds a login identity of a business line to a customer. A login is unique per
// merchant and business line: a taken one is refused with ErrDuplicate.
func (s *Service) AddUser(ctx context.Context, merchantID, customerID, businessLine, login string) (*User, error) {
	if err := numberRule.Check(businessLine); err != nil {
		return nil, fail(ErrInvalid, "business_line", "%v", err)
	}
	if n := len(login); n < 1 || n > 128 {
		return nil, fail(ErrInvalid, "login", "want 1 to 128 bytes")
	}
	if _, err := s.Customer(ctx, merchantID, customerID); err != nil {
		return nil, err
	}
	u := &User{ID: newID("usr_"), CustomerID: customerID,
		MerchantID: merchantID, BusinessLine: businessLine, Login: login, CreatedAt: s.cfg.Clock.Now()}
	err := s.cfg.Store.CreateWalletUser(ctx, u)
	if errors.Is(err, ErrDuplicate) {
		return nil, fail(ErrDuplicate, "login", "login %q of business line %s is taken", login, businessLine)
	}
	return u, err
}

// OpenAccount opens the customer's payment account of kind and currency (one of each),
// with its two ledger accounts. Opening it again returns it.
func (s *Service) OpenAccount(ctx context.Context, merchantID, customerID string, kind AccountKind, cur money.Currency) (*Account, error) {
	if !kind.Valid() {
		return nil, fail(ErrInvalid, "kind", "%q: want wallet, stored_value or settlement", kind)
	}
	if cur == "" {
		cur = money.CNY
	}
	if !cur.Valid() {
		return nil, fail(ErrInvalid, "currency", "%q", cur)
	}
	if _, err := s.Customer(ctx, merchantID, customerID); err != nil {
		return nil, err
	}
	id := customerID + "." + string(kind) + "." + string(cur)
	if a, err := s.cfg.Store.PaymentAccount(ctx, id); err == nil {
		return a, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	avail, err := s.ledgerAccount(ctx, AvailableSpec(id, kind, cur))
	if err != nil {
		return nil, err
	}
	frozen, err := s.ledgerAccount(ctx, FrozenSpec(id, cur))
	if err != nil {
		return nil, err
	}
	a := &Account{ID: id, CustomerID: customerID, Kind: kind, Currency: cur, LedgerID: int64(avail), FrozenLedgerID: int64(frozen), CreatedAt: s.cfg.Clock.Now()}
	if err := s.cfg.Store.CreatePaymentAccount(ctx, a); errors.Is(err, ErrDuplicate) {
		return s.cfg.Store.PaymentAccount(ctx, id)
	} else if err != nil {
		return nil, err
	}
	return a, nil
}

// owned returns merchantID's payment account id without reading its customer (whose
// merchant never changes, so a cached answer stays right).
func (s *Service) owned(ctx context.Context, merchantID, id string) (*Account, error) {
	var a *Account
	if v, ok := s.pacc.Load(id); ok {
		a = v.(*Account)
	} else {
		var err error
		if a, err = s.cfg.Store.PaymentAccount(ctx, id); err != nil {
			return nil, fail(ErrNotFound, "account_id", "%s", id)
		}
		s.pacc.Store(id, a)
	}
	m, ok := s.owner.Load(a.CustomerID)
	if !ok {
		c, err := s.cfg.Store.Customer(ctx, a.CustomerID)
		if err != nil {
			return nil, fail(ErrNotFound, "account_id", "%s", id)
		}
		s.owner.Store(c.ID, c.MerchantID)
		m = c.MerchantID
	}
	if m.(string) != merchantID {
		return nil, fail(ErrNotFound, "account_id", "%s", id)
	}
	return a, nil
}

// account returns merchantID's payment account id with its customer.
func (s *Service) account(ctx context.Context, merchantID, id string) (*Account, *Customer, error) {
	var a *Account
	if v, ok := s.pacc.Load(id); ok {
		a = v.(*Account)
	} else {
		var err error
		if a, err = s.cfg.Store.PaymentAccount(ctx, id); err != nil {
			return nil, nil, fail(ErrNotFound, "account_id", "%s", id)
		}
		s.pacc.Store(id, a)
	}
	c, err := s.Customer(ctx, merchantID, a.CustomerID)
	if err != nil {
		return nil, nil, fail(ErrNotFound, "account_id", "%s", id)
	}
	return a, c, nil
}

// stateOf maps ledger flags to the account's state.
func stateOf(f ledger.Flags) State {
	switch {
	case f&ledger.Closed != 0:
		return Closed
	case f&ledger.Frozen != 0:
		return Frozen
	}
	return Active
}

// AccountView is a payment account with its balances, read from the ledger.
type AccountView struct {
	Account
	State     State
	Available money.Amount // the available ledger account's balance
	Frozen    money.Amount // the frozen ledger account's balance (amount freezes, withdrawals in flight)
}

// View returns merchantID's account id with its state and balances.
func (s *Service) View(ctx context.Context, merchantID, id string) (*AccountView, error) {
	a, _, err := s.account(ctx, merchantID, id)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, a)
}

func (s *Service) view(ctx context.Context, a *Account) (*AccountView, error) {
	la, err := s.cfg.Ledger.Account(ctx, ledger.AccountID(a.LedgerID))
	if err != nil {
		return nil, err
	}
	fb, err := s.cfg.Ledger.Balance(ctx, ledger.AccountID(a.FrozenLedgerID))
	if err != nil {
		return nil, err
	}
	return &AccountView{Account: *a, State: stateOf(la.Flags), Available: ledger.BalanceOf(la).Available, Frozen: fb.Posted}, nil
}
