package unionpay

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// Name is the channel name of this protocol in the simulator: "unionpay".
const Name = "unionpay"

// DefaultNotifySchedule is the gap before each resend of an unacknowledged back
// notification: 5 sends in all, after 1, 2, 4 and 5 minutes (later gateway/app demos,
// unionpay.md §8).
var DefaultNotifySchedule = []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute}

// LegacyNotifySchedule is the 2015 token-demo schedule (gaps 0, 1, 2, 4 minutes,
// unionpay.md §8 [conflict]): the first resend follows a failed send at once.
var LegacyNotifySchedule = []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute}

// DemoSMSCode is the SMS code of UnionPay's test environment (unionpay.md §4.2); the
// demos add that 123456 and 654321 deliberately fail.
const DemoSMSCode = "111111"

// Config configures the UnionPay server side. The zero value is usable: the demo merchant,
// the default retry schedule, the fixed SMS code 111111, no txnTime check, files of day D
// available from 09:00 Beijing time on D+1.
type Config struct {
	// Merchants are registered at start, after the demo merchant.
	Merchants []Merchant
	// NoDemoMerchant leaves the demo merchant out.
	NoDemoMerchant bool
	// NotifySchedule is the gap before each resend of a back notification; nil means
	// DefaultNotifySchedule (LegacyNotifySchedule is the older variant). Copied.
	NotifySchedule []time.Duration
	// RandomSMS makes every SMS request draw a fresh 6-digit code instead of DemoSMSCode.
	// The code is written to the transcript (GET /_sim/records?channel=unionpay, a record
	// with op "sms.code"), where a test reads it as the cardholder would read the phone.
	RandomSMS bool
	// TxnTimeTolerance is how far txnTime may be from the simulator clock before the
	// request is refused (unionpay.md §2; the real window is not published). Zero disables
	// the check: SDKs stamp the wall clock while the simulator usually runs a virtual one.
	TxnTimeTolerance time.Duration
	// FileReadyAfter is how long after 00:00 Beijing on D+1 the file of clearing day D is
	// available; zero means 9h (unionpay.md §9).
	FileReadyAfter time.Duration
	// RotatedCert makes answers signed by the second UnionPay signing certificate from the
	// start (see Server.RotateCert).
	RotatedCert bool
}

// Server is the UnionPay ACP server side. Safe for concurrent use: all state is behind one
// mutex, and notifications are handed to the engine after it is released.
type Server struct {
	cfg      Config
	schedule []time.Duration
	keys     *keyring

	mu      sync.Mutex
	st      *store
	eng     *simulator.Engine
	rotated atomic.Bool
}

// New validates cfg and returns a server with the configured merchants; it serves once
// registered with an engine (simulator.New calls Register).
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, st: newStore()}
	s.rotated.Store(cfg.RotatedCert)
	if cfg.NotifySchedule == nil {
		s.schedule = append([]time.Duration(nil), DefaultNotifySchedule...)
	} else {
		for i, d := range cfg.NotifySchedule {
			if d < 0 {
				return nil, fmt.Errorf("unionpay config: field NotifySchedule[%d] = %v: must not be negative", i, d)
			}
		}
		s.schedule = append([]time.Duration(nil), cfg.NotifySchedule...)
	}
	if cfg.TxnTimeTolerance < 0 || cfg.FileReadyAfter < 0 {
		return nil, errors.New("unionpay config: TxnTimeTolerance and FileReadyAfter must not be negative")
	}
	if s.cfg.FileReadyAfter == 0 {
		s.cfg.FileReadyAfter = 9 * time.Hour
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

// RotateCert switches the key that signs answers and notifications to UnionPay's second
// signing certificate (on = true; serial 68759663126 for RSA, 73002000004 for SM2) or
// back. A 5.1.0 client notices only through signPubKeyCert, which chains to the same
// root and middle certificates.
func (s *Server) RotateCert(on bool) { s.rotated.Store(on) }

// SignCertIDs returns the certIds of the RSA signing certificates: first and rotated.
func (s *Server) SignCertIDs() (first, rotated string) {
	return s.keys.rsa[0].certID, s.keys.rsa[1].certID
}
