// Package natspub publishes order events from the outbox to a NATS JetStream stream, for
// other services that consume payment events. It is optional: a gateway enables it by
// queueing events for the "nats" consumer (core/store's DB.SetOutboxConsumers) and running
// a Publisher.
//
// Each event goes to subject <prefix>.<merchant id>.<event type> (tongdao.M1.payment.succeeded)
// with the event id as its JetStream message id (the Nats-Msg-Id header), so the stream
// drops a copy published again within its duplicate window (a retry after a lost
// acknowledgement, a redelivery). The message body is the webhook's JSON envelope
// (notify.Envelope); headers Tongdao-Event-Id and Tongdao-Event-Type repeat the id and type.
// Events of one payment are published in order, like the webhooks.
package natspub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
)

// Consumer is the outbox consumer name of the NATS publication.
const Consumer = "nats"

// Defaults of Config.
const (
	DefaultStream          = "TONGDAO_EVENTS"
	DefaultSubjectPrefix   = "tongdao"
	DefaultTimeout         = 5 * time.Second
	DefaultBatch           = 64
	DefaultDuplicateWindow = 2 * time.Minute
)

// DefaultSchedule is the wait after each failed publish: 1 s, 5 s, 30 s, 2 min, 10 min, 1 h,
// 6 h; the delivery is dead-lettered after the eighth failure (about 7 h of NATS outage).
var DefaultSchedule = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute,
	10 * time.Minute, time.Hour, 6 * time.Hour}

// Config configures a Publisher. Outbox, Orders and Conn are required.
type Config struct {
	Outbox order.Outbox
	Orders notify.Orders
	Conn   *nats.Conn // a connected client; the Publisher does not close it
	// Stream is the JetStream stream, created (file storage, subjects "<prefix>.>") if it does
	// not exist; default TONGDAO_EVENTS. An existing stream must capture "<prefix>.>".
	Stream string
	// SubjectPrefix is the first subject token; default "tongdao".
	SubjectPrefix string
	// DuplicateWindow is the new stream's de-duplication window; default 2 min.
	DuplicateWindow time.Duration
	Clock           clock.Clock  // default clock.Real()
	Logger          *slog.Logger // default: discard
	Consumer        string       // default "nats"
	// Types are the event types published; nil publishes every type.
	Types    []string
	Timeout  time.Duration   // per publish (waiting for the stream's ack); default 5 s
	Schedule []time.Duration // default DefaultSchedule
	Batch    int             // deliveries claimed at once; default 64
	// Lease hides claimed deliveries from other publishers; it must exceed Batch×Timeout
	// (default Batch×Timeout + 1 min).
	Lease time.Duration
	Poll  time.Duration // how often Run looks when idle; default 1 s
}

// Publisher claims "nats" deliveries and publishes them. Safe to run in several processes
// on one database (leased claims); at least once, de-duplicated by the stream.
type Publisher struct {
	cfg Config
	js  jetstream.JetStream

	published, duplicates, failed, dead, skipped atomic.Uint64
}

// New checks cfg and makes sure the stream exists.
func New(ctx context.Context, cfg Config) (*Publisher, error) {
	var errs []error
	if cfg.Outbox == nil {
		errs = append(errs, errors.New("Outbox is required"))
	}
	if cfg.Orders == nil {
		errs = append(errs, errors.New("Orders is required"))
	}
	if cfg.Conn == nil {
		errs = append(errs, errors.New("Conn is required"))
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if strings.ContainsAny(cfg.Stream, ".*> \t") {
		errs = append(errs, fmt.Errorf("Stream %q must not contain '.', '*', '>' or spaces", cfg.Stream))
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	for _, tok := range strings.Split(cfg.SubjectPrefix, ".") {
		if !validToken(tok) {
			errs = append(errs, fmt.Errorf("SubjectPrefix %q is not a valid subject prefix", cfg.SubjectPrefix))
			break
		}
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Consumer == "" {
		cfg.Consumer = Consumer
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule
	}
	for i, d := range cfg.Schedule {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("Schedule[%d] = %s is not positive", i, d))
		}
	}
	if cfg.Batch == 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Timeout < 0 || cfg.Batch < 0 || cfg.Lease < 0 || cfg.Poll < 0 || cfg.DuplicateWindow < 0 {
		errs = append(errs, errors.New("Timeout, Batch, Lease, Poll and DuplicateWindow must not be negative"))
	}
	if cfg.Lease == 0 {
		cfg.Lease = time.Duration(cfg.Batch)*cfg.Timeout + time.Minute
	}
	if cfg.Lease <= time.Duration(cfg.Batch)*cfg.Timeout {
		errs = append(errs, fmt.Errorf("Lease %s must exceed Batch×Timeout (%s)", cfg.Lease, time.Duration(cfg.Batch)*cfg.Timeout))
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("natspub: config: %w", errors.Join(errs...))
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("natspub: jetstream: %w", err)
	}
	p := &Publisher{cfg: cfg, js: js}
	if err := p.ensureStream(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Publisher) ensureStream(ctx context.Context) error {
	want := p.cfg.SubjectPrefix + ".>"
	s, err := p.js.Stream(ctx, p.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = p.js.CreateStream(ctx, jetstream.StreamConfig{Name: p.cfg.Stream, Subjects: []string{want},
			Storage: jetstream.FileStorage, Duplicates: p.cfg.DuplicateWindow,
			Description: "tongdao order events (payment.*, refund.*) from the outbox"})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another process created it first
			s, err = p.js.Stream(ctx, p.cfg.Stream)
		}
	}
	if err != nil {
		return fmt.Errorf("natspub: stream %s: %w", p.cfg.Stream, err)
	}
	if subs := s.CachedInfo().Config.Subjects; !slices.Contains(subs, want) {
		return fmt.Errorf("natspub: stream %s exists with subjects %v, not %q: events would not be stored", p.cfg.Stream, subs, want)
	}
	return nil
}

// Subject returns the subject of an event: <prefix>.<merchant>.<type>.
func (p *Publisher) Subject(ev *order.Event) (string, error) {
	if !validToken(ev.MerchantID) {
		return "", fmt.Errorf("merchant id %q cannot be a subject token (empty, or has '.', '*', '>' or white space)", ev.MerchantID)
	}
	for _, tok := range strings.Split(ev.Type, ".") {
		if !validToken(tok) {
			return "", fmt.Errorf("event type %q cannot be subject tokens", ev.Type)
		}
	}
	return p.cfg.SubjectPrefix + "." + ev.MerchantID + "." + ev.Type, nil
}

func validToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}

// Run publishes until ctx is done, looking for due deliveries every Poll (at once again when
// a batch was full), and returns ctx.Err().
func (p *Publisher) Run(ctx context.Context) error {
	for {
		n, err := p.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			p.cfg.Logger.Error("nats: publish round", "err", err)
		}
		if n == p.cfg.Batch && err == nil {
			continue
		}
		t := p.cfg.Clock.NewTimer(p.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// RunOnce claims up to Batch due deliveries and publishes them one by one, in event order;
// it returns how many were handled (published, duplicates, failed or skipped).
func (p *Publisher) RunOnce(ctx context.Context) (int, error) {
	ds, err := p.cfg.Outbox.ClaimDeliveries(ctx, p.cfg.Consumer, p.cfg.Clock.Now(), p.cfg.Batch, p.cfg.Lease)
	if err != nil {
		return 0, fmt.Errorf("natspub: claim: %w", err)
	}
	sctx := context.WithoutCancel(ctx) // record what happened even when ctx ends
	var done []order.Delivery
	for _, d := range ds {
		if p.one(ctx, sctx, d) {
			done = append(done, d)
		}
	}
	// Published and skipped deliveries are completed together, before the next claim (so a
	// payment's next event becomes claimable only after this one is recorded).
	p.complete(sctx, done)
	return len(ds), nil
}

// complete records deliveries done: in one transaction where the outbox can. If that fails
// they come back after their lease and are published again; the stream drops the copies.
func (p *Publisher) complete(ctx context.Context, ds []order.Delivery) {
	if len(ds) == 0 {
		return
	}
	if bc, ok := p.cfg.Outbox.(notify.BatchCompleter); ok {
		seqs := make([]int64, len(ds))
		for i, d := range ds {
			seqs[i] = d.Event.Seq
		}
		if err := bc.CompleteDeliveries(ctx, p.cfg.Consumer, seqs); err != nil {
			p.cfg.Logger.Error("nats: record published", "count", len(ds), "err", err)
		}
		return
	}
	for _, d := range ds {
		if err := p.cfg.Outbox.CompleteDelivery(ctx, p.cfg.Consumer, d.Event.Seq); err != nil {
			p.cfg.Logger.Error("nats: record published", "event_id", d.Event.ID, "err", err)
		}
	}
}

// one publishes d, or settles it as failed; it reports whether d is to be completed.
func (p *Publisher) one(ctx, sctx context.Context, d order.Delivery) bool {
	ev := d.Event
	log := p.cfg.Logger.With("event_id", ev.ID, "type", ev.Type, "merchant", ev.MerchantID, "attempt", d.Attempts+1)
	if p.cfg.Types != nil && !slices.Contains(p.cfg.Types, ev.Type) {
		p.skipped.Add(1)
		return true
	}
	subj, err := p.Subject(ev)
	if err != nil {
		// It will never become valid: dead-letter at once, for an operator.
		if err := p.cfg.Outbox.DeadLetter(sctx, p.cfg.Consumer, ev.Seq, err.Error()); err != nil {
			log.Error("nats: record dead letter", "err", err)
		}
		p.dead.Add(1)
		log.Warn("nats: dead-lettered", "reason", err.Error())
		return false
	}
	body, err := notify.Marshal(ctx, p.cfg.Orders, ev)
	if err != nil {
		p.fail(sctx, d, err.Error(), log)
		return false
	}
	msg := &nats.Msg{Subject: subj, Data: body, Header: nats.Header{}}
	msg.Header.Set(notify.HeaderEventID, ev.ID)
	msg.Header.Set(notify.HeaderEventType, ev.Type)
	pctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	ack, err := p.js.PublishMsg(pctx, msg, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(p.cfg.Stream))
	cancel()
	if err != nil {
		p.fail(sctx, d, "publish: "+err.Error(), log)
		return false
	}
	if ack.Duplicate {
		p.duplicates.Add(1)
	} else {
		p.published.Add(1)
	}
	log.Debug("nats: published", "subject", subj, "stream_seq", ack.Sequence, "duplicate", ack.Duplicate)
	return true
}

func (p *Publisher) fail(ctx context.Context, d order.Delivery, msg string, log *slog.Logger) {
	if d.Attempts >= len(p.cfg.Schedule) {
		if err := p.cfg.Outbox.DeadLetter(ctx, p.cfg.Consumer, d.Event.Seq, msg); err != nil {
			log.Error("nats: record dead letter", "err", err)
		}
		p.dead.Add(1)
		log.Warn("nats: dead-lettered", "reason", msg)
		return
	}
	next := p.cfg.Clock.Now().Add(p.cfg.Schedule[d.Attempts])
	if err := p.cfg.Outbox.RetryDelivery(ctx, p.cfg.Consumer, d.Event.Seq, next, msg); err != nil {
		log.Error("nats: record retry", "err", err)
	}
	p.failed.Add(1)
	log.Warn("nats: publish failed, will retry", "reason", msg, "next", next)
}

// Stats are the Publisher's counters (this process) and the outbox's state for "nats".
type Stats struct {
	Published, Duplicates, Failed, DeadLettered, Skipped uint64
	Pending, Dead                                        int64
	Lag                                                  time.Duration // age of the oldest pending event
}

// Stats returns the counters and reads the outbox.
func (p *Publisher) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Published: p.published.Load(), Duplicates: p.duplicates.Load(), Failed: p.failed.Load(),
		DeadLettered: p.dead.Load(), Skipped: p.skipped.Load()}
	os, err := p.cfg.Outbox.OutboxStats(ctx, p.cfg.Consumer)
	if err != nil {
		return s, fmt.Errorf("natspub: stats: %w", err)
	}
	s.Pending, s.Dead = os.Pending, os.Dead
	if !os.OldestPending.IsZero() {
		s.Lag = max(p.cfg.Clock.Since(os.OldestPending), 0)
	}
	return s, nil
}
