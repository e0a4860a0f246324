package bank

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Name is the channel name of this protocol in the simulator: "bank".
const Name = "bank"

// Paths served (§3).
const (
	GatewayPath = "/bdc/gateway"
	FilesPrefix = "/bdc/files/"
)

// DefaultNotifySchedule is the gap before each resend of an unacknowledged notification
// (§10): +15 s, +1 min, +5 min, +15 min, +30 min, +1 h, +2 h, +6 h — 9 attempts in all.
var DefaultNotifySchedule = []time.Duration{
	15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour,
}

// Config configures the bank. The zero value is usable: the demo merchant and cards, the
// demo bank keys, the §10 resend schedule, payouts that succeed 5 s after acceptance.
type Config struct {
	// Merchants are registered at start, after the demo merchant.
	Merchants []Merchant
	// NoDemoMerchant leaves the demo merchant M0000001 out.
	NoDemoMerchant bool
	// Cards are issuer records added at start, after DemoCards (same number replaces).
	Cards []Card
	// NoDemoCards leaves DemoCards out.
	NoDemoCards bool
	// SignKey and EncKey are the bank's SM2 private keys (PKCS#8 PEM or hex); empty means
	// the demo keys (demo.BankSignPrivate, demo.BankEncPrivate).
	SignKey, EncKey []byte
	// NotifySchedule replaces DefaultNotifySchedule.
	NotifySchedule []time.Duration
	// PayoutDelay is how long a payout stays PROCESSING; zero means 5 s (§14).
	PayoutDelay time.Duration
	// ReturnAfter is how long after success a payout to a card marked ReturnPayouts is
	// returned; zero means 24 h.
	ReturnAfter time.Duration
	// RefundDelay is how long a refund of an earlier clearing day stays PROCESSING; zero
	// means 1 min. Refunds within the payment's clearing day succeed at once (§6).
	RefundDelay time.Duration
	// Cutoff is the time of day at which the clearing day turns (§11.1); zero is the
	// natural day (00:00), 23h mimics banks that close early.
	Cutoff time.Duration
	// StatementReadyAfter is when, after 00:00 of day D+1, the statement of D becomes
	// available; zero means 6 h (§11.1).
	StatementReadyAfter time.Duration
	// SingleLimit is the largest single payment in fen (2003 above); zero means
	// 5,000,000 (50,000.00 yuan).
	SingleLimit int64
}

// Server is the bank's server side. It is safe for concurrent use: state is behind one
// mutex, and notifications are handed to the engine after it is released.
type Server struct {
	cfg      Config
	schedule []time.Duration
	signKey  *sign.SM2PrivateKey
	encKey   *sign.SM2PrivateKey
	forgeKey *sign.SM2PrivateKey // signs forged notifications

	mu  sync.Mutex
	st  *store
	eng *simulator.Engine
}

// New validates cfg and returns the bank with its merchants and cards.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg}
	if cfg.NotifySchedule == nil {
		s.schedule = append([]time.Duration(nil), DefaultNotifySchedule...)
	} else {
		for i, d := range cfg.NotifySchedule {
			if d <= 0 {
				return nil, fmt.Errorf("bank config: field NotifySchedule[%d] = %v: must be positive", i, d)
			}
		}
		s.schedule = append([]time.Duration(nil), cfg.NotifySchedule...)
	}
	if cfg.PayoutDelay < 0 || cfg.ReturnAfter < 0 || cfg.RefundDelay < 0 || cfg.Cutoff < 0 || cfg.Cutoff >= 24*time.Hour ||
		cfg.StatementReadyAfter < 0 || cfg.SingleLimit < 0 {
		return nil, errors.New("bank config: PayoutDelay, ReturnAfter, RefundDelay, StatementReadyAfter and SingleLimit must not be negative; Cutoff must be in [0, 24h)")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&s.cfg.PayoutDelay, 5*time.Second)
	def(&s.cfg.ReturnAfter, 24*time.Hour)
	def(&s.cfg.RefundDelay, time.Minute)
	def(&s.cfg.StatementReadyAfter, 6*time.Hour)
	if s.cfg.SingleLimit == 0 {
		s.cfg.SingleLimit = 5_000_000
	}
	var err error
	if s.signKey, err = loadKey(cfg.SignKey, demo.BankSignPrivate, "SignKey"); err != nil {
		return nil, err
	}
	if s.encKey, err = loadKey(cfg.EncKey, demo.BankEncPrivate, "EncKey"); err != nil {
		return nil, err
	}
	// A fixed wrong key for forged notifications: deterministic, and not the bank's.
	fk := sign.SM3([]byte("tongdao simulator bank forged notification key"))
	if s.forgeKey, err = sign.NewSM2PrivateKey(fk[:]); err != nil {
		return nil, err
	}
	s.st = newStore()
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

func loadKey(pem []byte, demoName, field string) (*sign.SM2PrivateKey, error) {
	if len(pem) == 0 {
		pem = demo.MustFile(demoName)
	}
	k, err := sign.ParseSM2PrivateKey(pem, nil)
	if err != nil {
		return nil, fmt.Errorf("bank config: field %s: %v", field, err)
	}
	return k, nil
}

// load (re)creates the configured merchants and cards in s.st.
func (s *Server) load() error {
	var ms []Merchant
	if !s.cfg.NoDemoMerchant {
		ms = append(ms, DemoMerchant())
	}
	ms = append(ms, s.cfg.Merchants...)
	for _, m := range ms {
		if err := s.addMerchant(m); err != nil {
			return err
		}
	}
	var cs []Card
	if !s.cfg.NoDemoCards {
		cs = append(cs, DemoCards()...)
	}
	cs = append(cs, s.cfg.Cards...)
	for _, c := range cs {
		if err := s.addCard(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) addMerchant(m Merchant) error {
	c, err := m.compile()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.merchants[m.MerchantID]; !dup {
		s.st.merchantIDs = append(s.st.merchantIDs, m.MerchantID)
	}
	s.st.merchants[m.MerchantID] = newMState(c)
	return nil
}

func (s *Server) addCard(c Card) error {
	if err := c.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.cards[c.CardNo]; !dup {
		s.st.cardOrder = append(s.st.cardOrder, c.CardNo)
	}
	s.st.cards[c.CardNo] = &c
	return nil
}

// Interface checks.
var (
	_ simulator.Protocol          = (*Server)(nil)
	_ simulator.StatementSource   = (*Server)(nil)
	_ simulator.StatementRenderer = (*Server)(nil)
	_ simulator.Controller        = (*Server)(nil)
)

// Name returns "bank".
func (s *Server) Name() string { return Name }

// Register serves POST /bdc/gateway and GET /bdc/files/{fileId} (§3).
func (s *Server) Register(e *simulator.Engine) error {
	s.mu.Lock()
	s.eng = e
	s.mu.Unlock()
	if err := e.Handle(simulator.Route{Method: http.MethodPost, Path: GatewayPath, MaxBody: 1 << 20}, s.serveGateway); err != nil {
		return fmt.Errorf("bank: register %s: %w", GatewayPath, err)
	}
	if err := e.Handle(simulator.Route{Method: http.MethodGet, Path: FilesPrefix, Prefix: true, Op: "file_download"}, s.serveFile); err != nil {
		return fmt.Errorf("bank: register %s: %w", FilesPrefix, err)
	}
	return nil
}

// Reset forgets everything since start and restores the configured merchants and cards.
func (s *Server) Reset() {
	s.mu.Lock()
	s.st = newStore()
	s.mu.Unlock()
	_ = s.load() // validated in New
}

// AddMerchant registers a merchant from the control API's JSON (a Merchant; "channel"
// ignored) and returns its merchant_id. Errors wrap simulator.ErrInvalid.
func (s *Server) AddMerchant(raw json.RawMessage) (string, error) {
	m, err := parseMerchant(raw)
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	if err := s.addMerchant(m); err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	return m.MerchantID, nil
}

// merchantView is what GET /_sim/merchants shows of a merchant: its configuration (test
// keys only), the bank's cert serial and public keys it needs, and its payout balance.
type merchantView struct {
	Merchant
	BankCertSerial string `json:"bank_cert_serial"`
	BankSignPublic string `json:"bank_sign_public_key"`
	BankEncPublic  string `json:"bank_enc_public_key"`
	Available      int64  `json:"payout_available"`
	Frozen         int64  `json:"payout_frozen"`
}

// Merchants lists the merchants in registration order.
func (s *Server) Merchants() []any {
	sp, _ := s.signKey.Public().MarshalPEM()
	ep, _ := s.encKey.Public().MarshalPEM()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, 0, len(s.st.merchantIDs))
	for _, id := range s.st.merchantIDs {
		m := s.st.merchants[id]
		out = append(out, merchantView{Merchant: m.cfg.Merchant, BankCertSerial: BankCertSerial,
			BankSignPublic: string(sp), BankEncPublic: string(ep),
			Available: m.available.Minor(), Frozen: m.frozen.Minor()})
	}
	return out
}

// StatementSpec: the clearing day turns at Config.Cutoff (natural day by default) and
// day D's statement is available Config.StatementReadyAfter (6 h) after 00:00 of D+1
// (§11.1).
func (s *Server) StatementSpec() simulator.StatementSpec {
	return simulator.StatementSpec{Cutoff: s.cfg.Cutoff, ReadyAfter: s.cfg.StatementReadyAfter}
}

// settleDay is the clearing day of t (§11.1).
func (s *Server) settleDay(t time.Time) clock.Date { return clock.AccountingDay(t, s.cfg.Cutoff) }
