package simulator

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Errors protocols wrap so the control API can pick a status.
var (
	// ErrInvalid marks bad input (control API: 400).
	ErrInvalid = errors.New("simulator: invalid input")
	// ErrNotFound marks an unknown order, merchant, channel or fault plan (404).
	ErrNotFound = errors.New("simulator: not found")
	// ErrConflict marks an action the current state does not allow (409).
	ErrConflict = errors.New("simulator: conflict with the current state")
	// ErrNotVirtual is returned when moving a wall clock.
	ErrNotVirtual = errors.New("simulator: the clock is not virtual")
)

// ClientCertMode says how routes marked Route.ClientCert treat TLS client certificates.
type ClientCertMode string

const (
	// ClientCertRequire drops the connection of a call without a client certificate issued
	// by the simulator's CA, as the real channel fails the TLS handshake (wechat-v2.md §1).
	ClientCertRequire ClientCertMode = "require"
	// ClientCertRequest asks for a certificate and records whether one came, but serves
	// the call either way (the default).
	ClientCertRequest ClientCertMode = "request"
	// ClientCertOff never asks.
	ClientCertOff ClientCertMode = "off"
)

// DefaultStart is where a new virtual clock starts: Monday 3 June 2024, 10:00 Beijing time.
var DefaultStart = time.Date(2024, 6, 3, 10, 0, 0, 0, clock.Beijing())

// MinTime and MaxTime bound the simulator's clock. Times are kept as int64 nanoseconds
// since the Unix epoch in places (order state, the retry queue), which overflow after
// 2262-04-11; MaxTime leaves decades of room below that for every schedule (callback
// retries, statements, expiries) that starts before it. Setting or advancing the clock past
// MaxTime, or starting it outside the range, is refused.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkTime reports whether t is within [MinTime, MaxTime].
func checkTime(t time.Time) error {
	if t.Before(MinTime) || t.After(MaxTime) {
		return fmt.Errorf("%s is outside the simulator's clock range %s .. %s",
			t.Format(time.RFC3339), MinTime.Format(time.RFC3339), MaxTime.Format(time.RFC3339))
	}
	return nil
}

// Config configures a Server. The zero value plus Protocols is a working deterministic
// simulator on a virtual clock.
type Config struct {
	// Protocols are the channels to serve. Names must be unique.
	Protocols []Protocol
	// Seed seeds the random source protocols draw ids and nonces from, and fault plans'
	// probabilities. Same seed + same sequential scenario = same transcript.
	Seed uint64
	// Clock is the simulator's clock. nil = a new *clock.Virtual at Start. Pass
	// clock.Real() for wall-clock mode.
	Clock clock.Clock
	// Start is the virtual clock's start when Clock is nil; zero = DefaultStart.
	Start time.Time
	// CallbackTransport carries callbacks to merchants' notify URLs. nil = a plain
	// http.Transport (real HTTP). Tests pass an in-process transport (HandlerTransport).
	CallbackTransport http.RoundTripper
	// CallbackTimeout is the default wall-clock wait for a merchant's answer; 0 = 5 s.
	CallbackTimeout time.Duration
	// CallbackWorkers caps the callback attempts in flight at once; 0 = 256.
	CallbackWorkers int
	// CallbackHostLimit caps the attempts in flight to one host (host:port of the notify
	// URL), so a dead endpoint holds at most this many workers; 0 = 32.
	CallbackHostLimit int
	// Logger receives operational logs; nil = discard.
	Logger *slog.Logger
	// MaxBody caps request bodies in bytes; 0 = 1 MiB. Bodies are read incrementally, so
	// a slow client holds only what it has sent; over the cap the protocol answers in its
	// own error format (Call.BodyTooLarge).
	MaxBody int64
	// MaxRecords bounds the transcript kept in memory (oldest dropped first); 0 = 20,000:
	// about 32 MiB of ordinary WeChat traffic (~1.7 KB a record), about 164 MiB when
	// every record carries two bodies at the MaxRecordBody cap (measured by
	// BenchmarkRecordHeap).
	// Negative = unbounded.
	MaxRecords int
	// MaxRecordBody caps each body a record keeps (a call's request and answer, a
	// callback's message and the merchant's answer), in bytes: a longer body is kept as
	// its first MaxRecordBody bytes, with its full length in RequestLen/ResponseLen.
	// 0 = 4 KiB, which every ordinary WeChat and Alipay message fits; negative = no cap.
	MaxRecordBody int
	// ClientCert is the policy for Route.ClientCert paths when serving TLS; "" = request.
	ClientCert ClientCertMode
	// HoldMax caps (in wall time) how long a fault plan with Hold keeps a connection open
	// when the client never gives up; 0 = 2 minutes.
	HoldMax time.Duration
}

func (c *Config) withDefaults() {
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 5 * time.Second
	}
	if c.CallbackWorkers <= 0 {
		c.CallbackWorkers = 256
	}
	if c.CallbackHostLimit <= 0 {
		c.CallbackHostLimit = 32
	}
	c.CallbackHostLimit = min(c.CallbackHostLimit, c.CallbackWorkers)
	if c.MaxBody <= 0 {
		c.MaxBody = 1 << 20
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = 20_000
	}
	if c.MaxRecordBody == 0 {
		c.MaxRecordBody = 4 << 10
	}
	if c.ClientCert == "" {
		c.ClientCert = ClientCertRequest
	}
	if c.HoldMax <= 0 {
		c.HoldMax = 2 * time.Minute
	}
}
