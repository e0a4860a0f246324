package alipay

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// Name is the channel name of this protocol in the simulator: "alipay".
const Name = "alipay"

// DefaultNotifySchedule is the gap before each retry of an unacknowledged notification
// (alipay.md §10.1, mainland docs): 8 deliveries over about 25 hours.
var DefaultNotifySchedule = []time.Duration{
	4 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour,
	2 * time.Hour, 6 * time.Hour, 15 * time.Hour,
}

// Config configures the Alipay server side. The zero value is usable: the demo app
// (DemoAppID, key and certificate mode), the mainland retry schedule, no timestamp check,
// bills available from 09:00 Beijing time the next day, a 0.6% service fee.
type Config struct {
	// Merchants are registered at start, after the demo app.
	Merchants []Merchant
	// NoDemoMerchant leaves the demo app out.
	NoDemoMerchant bool
	// NotifySchedule is the gap before each notification retry; nil means
	// DefaultNotifySchedule. It is copied, never modified.
	NotifySchedule []time.Duration
	// TimestampTolerance is how far a request's timestamp may be from the simulator clock
	// before 40002 isv.invalid-timestamp (§3: the real window is undocumented). Zero
	// disables the check (the default: SDKs stamp requests with the wall clock, and a
	// container in UTC is 8 h off, while the simulator usually runs on a virtual clock).
	TimestampTolerance time.Duration
	// BillReadyAfter is how long after the Beijing midnight ending day D the bill of D is
	// available; zero means 9h (§9.11).
	BillReadyAfter time.Duration
	// BillURLValidity is how long a bill_download_url works, on the simulator clock; zero
	// means 30 s (§9.11).
	BillURLValidity time.Duration
	// PasswordThreshold is the amount in fen from which a barcode payment answers 10003
	// and waits for the payer (§9.5); zero means 100000 (1000 yuan). Negative disables it.
	PasswordThreshold int64
	// RotatedCert makes certificate-mode answers signed by the second Alipay certificate
	// from the start (see Server.RotateCert).
	RotatedCert bool
}

// Server is the Alipay open-platform server side (/gateway.do). It is safe for
// concurrent use: all state is behind one mutex, and notifications are handed to the
// engine after it is released.
type Server struct {
	cfg      Config
	schedule []time.Duration
	keys     *keyring

	mu      sync.Mutex
	st      *store
	eng     *simulator.Engine
	rotated atomic.Bool // certificate-mode answers signed by the second certificate (read under s.mu too)
}

// New validates cfg and returns a server with the configured merchants. It serves once
// registered with an engine (simulator.New calls Register).
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, st: newStore()}
	s.rotated.Store(cfg.RotatedCert)
	if cfg.NotifySchedule == nil {
		s.schedule = append([]time.Duration(nil), DefaultNotifySchedule...)
	} else {
		for i, d := range cfg.NotifySchedule {
			if d <= 0 {
				return nil, fmt.Errorf("alipay config: field NotifySchedule[%d] = %v: must be positive", i, d)
			}
		}
		s.schedule = append([]time.Duration(nil), cfg.NotifySchedule...)
	}
	if cfg.TimestampTolerance < 0 || cfg.BillReadyAfter < 0 || cfg.BillURLValidity < 0 {
		return nil, errors.New("alipay config: TimestampTolerance, BillReadyAfter and BillURLValidity must not be negative")
	}
	if s.cfg.BillReadyAfter == 0 {
		s.cfg.BillReadyAfter = 9 * time.Hour
	}
	if s.cfg.BillURLValidity == 0 {
		s.cfg.BillURLValidity = 30 * time.Second
	}
	if s.cfg.PasswordThreshold == 0 {
		s.cfg.PasswordThreshold = 100000
	}
	k, err := loadKeyring()
	if err != nil {
		return nil, err
	}
	s.keys = k
	if err := s.loadMerchants(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) loadMerchants() error {
	if !s.cfg.NoDemoMerchant {
		if err := s.addMerchant(DemoMerchant()); err != nil {
			return err
		}
	}
	for _, m := range s.cfg.Merchants {
		if err := s.addMerchant(m); err != nil {
			return err
		}
	}
	return nil
}

// RotateCert switches the key that signs certificate-mode answers to the second Alipay
// certificate (on = true) or back to the first. Clients then see a new alipay_cert_sn and
// fetch the certificate with alipay.open.app.alipaycert.download (§5). Key mode is not
// affected.
func (s *Server) RotateCert(on bool) {
	s.rotated.Store(on)
}

// signer returns the key and SN that sign an answer in the given mode ("" SN in key mode).
func (s *Server) signer(certMode bool) (*rsa.PrivateKey, string) {
	if !certMode {
		return s.keys.platform, ""
	}
	if s.rotated.Load() {
		return s.keys.platform2, s.keys.platform2SN
	}
	return s.keys.platform, s.keys.platformSN
}
