package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/tongdao/tongdao/core/order"
)

// Releaser is an optional capability of an order.Outbox (core/store's *DB has it): give a
// claimed delivery back, due at next, without counting an attempt. Without it, a delivery
// claimed for a host at its limit comes back when its lease runs out.
type Releaser interface {
	ReleaseDelivery(ctx context.Context, consumer string, seq int64, next time.Time) error
}

// Notifier delivers merchant webhooks from the outbox: it claims "webhook" deliveries, builds
// each event's payload from the order store, signs it and POSTs it to the merchant. A 2xx
// answer within Timeout completes the delivery; anything else is retried on Schedule and
// dead-lettered after the last try. Delivery is at least once: a merchant de-duplicates by
// the event id (the Tongdao-Event-Id header and the body's id). Events of one payment go out
// in order: the outbox hands out a payment's next event only when the previous one is done
// or dead. Several Notifiers (in one process or several, on one PostgreSQL) share the work
// and never send one delivery concurrently: claims are leased.
//
// A merchant without a webhook URL (and with no NotifyURL on the payment), an unknown
// merchant, and event types not in Config.Types: those deliveries complete without sending.
type Notifier struct {
	cfg       Config
	releaser  Releaser
	completer *completer

	mu    sync.Mutex
	busy  int            // requests in flight
	hosts map[string]int // requests in flight per host

	finished chan struct{} // a try finished (buffered 1; Run's wake-up)
	wg       sync.WaitGroup

	delivered, failed, dead, skipped atomic.Uint64
}

// New returns a Notifier for cfg after checking it.
func New(cfg Config) (*Notifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Notifier{cfg: cfg, hosts: map[string]int{}, finished: make(chan struct{}, 1)}
	n.releaser, _ = cfg.Outbox.(Releaser)
	n.completer = &completer{consumer: cfg.Consumer, one: func(ctx context.Context, seq int64) error {
		return cfg.Outbox.CompleteDelivery(ctx, cfg.Consumer, seq)
	}}
	n.completer.ob, _ = cfg.Outbox.(BatchCompleter)
	return n, nil
}

// Run delivers until ctx is done, then waits for the tries in flight to finish (each is
// bounded by Timeout) and returns ctx.Err(). It looks for due deliveries whenever a try
// finishes and every Poll otherwise; errors of the store are logged and retried.
func (n *Notifier) Run(ctx context.Context) error {
	defer n.wg.Wait()
	for {
		if _, err := n.dispatch(ctx, nil); err != nil && ctx.Err() == nil {
			n.cfg.Logger.Error("webhook: claim deliveries", "err", err)
		}
		t := n.cfg.Clock.NewTimer(n.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-n.finished:
			t.Stop()
		case <-t.C():
		}
	}
}

// RunOnce claims what is due now (up to the free workers, repeatedly while there are free
// workers and due deliveries), waits for those tries to finish and returns how many were
// delivered (2xx). Tests and one-shot tools use it; Run is the long-running loop.
func (n *Notifier) RunOnce(ctx context.Context) (int, error) {
	var delivered atomic.Int64
	var wg sync.WaitGroup
	_, err := n.dispatch(ctx, func(ok bool) {
		if ok {
			delivered.Add(1)
		}
	}, &wg)
	wg.Wait()
	return int(delivered.Load()), err
}

// job is one claimed delivery ready to send.
type job struct {
	d      order.Delivery
	url    string
	host   string
	secret string
	body   []byte
}

// dispatch claims due deliveries while workers are free and starts their tries. Each
// started try calls done (if not nil) with whether it was delivered; wgs, when given, are
// added to for each try.
func (n *Notifier) dispatch(ctx context.Context, done func(bool), wgs ...*sync.WaitGroup) (started int, err error) {
	for {
		free := n.free()
		if free == 0 || ctx.Err() != nil {
			return started, ctx.Err()
		}
		now := n.cfg.Clock.Now()
		ds, err := n.cfg.Outbox.ClaimDeliveries(ctx, n.cfg.Consumer, now, free, n.cfg.Lease)
		if err != nil {
			return started, fmt.Errorf("notify: claim: %w", err)
		}
		if len(ds) == 0 {
			return started, nil
		}
		// Claimed deliveries are settled even if ctx ends now, rather than left to their lease.
		sctx := context.WithoutCancel(ctx)
		var skipped []order.Delivery
		for _, d := range ds {
			j, ok := n.prepare(sctx, d, &skipped)
			if !ok {
				continue
			}
			if !n.acquire(j.host) {
				n.putBack(sctx, d, now)
				continue
			}
			started++
			n.wg.Add(1)
			for _, wg := range wgs {
				wg.Add(1)
			}
			go func() {
				defer n.wg.Done()
				ok := n.try(ctx, j)
				n.release(j.host)
				if done != nil {
					done(ok)
				}
				for _, wg := range wgs {
					wg.Done()
				}
				select {
				case n.finished <- struct{}{}:
				default:
				}
			}()
		}
		// Before the next claim, so a payment's next event is claimable.
		n.completeSkipped(sctx, skipped)
	}
}

func (n *Notifier) free() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg.Workers - n.busy
}

func (n *Notifier) acquire(host string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.busy >= n.cfg.Workers || n.hosts[host] >= n.cfg.PerHost {
		return false
	}
	n.busy++
	n.hosts[host]++
	return true
}

func (n *Notifier) release(host string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.busy--
	if n.hosts[host]--; n.hosts[host] == 0 {
		delete(n.hosts, host)
	}
}

// putBack returns a delivery whose host is busy, due after HostBusyDelay, counting no attempt.
func (n *Notifier) putBack(ctx context.Context, d order.Delivery, now time.Time) {
	if n.releaser == nil {
		return // comes back when its lease runs out
	}
	if err := n.releaser.ReleaseDelivery(ctx, n.cfg.Consumer, d.Event.Seq, now.Add(n.cfg.HostBusyDelay)); err != nil {
		n.cfg.Logger.Warn("webhook: put back delivery", "event_id", d.Event.ID, "err", err)
	}
}

// prepare decides what to do with a claimed delivery: a job to send (true); or false, having
// settled it (failed before sending) or added it to skipped (not to be sent).
func (n *Notifier) prepare(ctx context.Context, d order.Delivery, skipped *[]order.Delivery) (job, bool) {
	ev := d.Event
	log := n.cfg.Logger.With("event_id", ev.ID, "type", ev.Type, "merchant", ev.MerchantID)
	if !n.cfg.sends(ev.Type) {
		log.Debug("webhook: not sent", "why", "type not selected")
		*skipped = append(*skipped, d)
		return job{}, false
	}
	env, p, err := Build(ctx, n.cfg.Orders, ev)
	if err != nil {
		n.fail(ctx, d, err.Error())
		return job{}, false
	}
	ep, known := n.cfg.Directory.Merchant(ev.MerchantID)
	if !known {
		ep = Endpoint{} // an unknown merchant takes no webhooks, whatever came back with ok=false
	}
	target := ep.URL
	if p.NotifyURL != "" {
		target = p.NotifyURL
	}
	if target == "" {
		log.Debug("webhook: not sent", "why", "merchant has no webhook URL")
		*skipped = append(*skipped, d)
		return job{}, false
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		n.fail(ctx, d, fmt.Sprintf("webhook URL of merchant %s is not an absolute http(s) URL", ev.MerchantID))
		return job{}, false
	}
	if ep.Secret == "" {
		n.fail(ctx, d, fmt.Sprintf("merchant %s has no webhook secret; refusing to send unsigned", ev.MerchantID))
		return job{}, false
	}
	body, err := json.Marshal(env)
	if err != nil {
		n.fail(ctx, d, "encode payload: "+err.Error())
		return job{}, false
	}
	log.Debug("webhook: prepared", "host", u.Host, "attempt", d.Attempts+1)
	return job{d: d, url: target, host: u.Host, secret: ep.Secret, body: body}, true
}

// try sends one job and settles its delivery; it reports whether the merchant took it.
func (n *Notifier) try(ctx context.Context, j job) bool {
	// The try outlives a cancelled Run (graceful shutdown: what was sent is recorded) but
	// not Timeout, measured on the Clock.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var timedOut atomic.Bool
	timer := n.cfg.Clock.AfterFunc(n.cfg.Timeout, func() { timedOut.Store(true); cancel() })
	errMsg := n.send(rctx, j)
	timer.Stop()
	if errMsg == "" {
		sctx := context.WithoutCancel(ctx)
		if err := n.completer.complete(sctx, j.d.Event.Seq); err != nil {
			// The lease runs out and the event is sent again: at least once.
			n.cfg.Logger.Error("webhook: record delivery", "event_id", j.d.Event.ID, "err", err)
		}
		n.delivered.Add(1)
		n.cfg.Logger.Info("webhook: delivered", "event_id", j.d.Event.ID, "type", j.d.Event.Type, "merchant", j.d.Event.MerchantID,
			"host", j.host, "attempt", j.d.Attempts+1)
		return true
	}
	if timedOut.Load() {
		errMsg = fmt.Sprintf("no answer within %s", n.cfg.Timeout)
	}
	n.fail(context.WithoutCancel(ctx), j.d, errMsg)
	return false
}

// send POSTs the job; "" when the merchant answered 2xx, else why not.
func (n *Notifier) send(ctx context.Context, j job) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		return "build request: " + err.Error()
	}
	now := n.cfg.Clock.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tongdao-webhooks/1")
	req.Header.Set(HeaderEventID, j.d.Event.ID)
	req.Header.Set(HeaderEventType, j.d.Event.Type)
	req.Header.Set(HeaderSignature, SignatureHeader(j.secret, now, j.body))
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL may carry a token in its query; the host is logged apart
		}
		return "request: " + err.Error()
	}
	defer resp.Body.Close()
	head := make([]byte, 128)
	k, _ := io.ReadFull(io.LimitReader(resp.Body, n.cfg.MaxResponse), head)
	// Read (a bounded amount of) the rest so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, n.cfg.MaxResponse-int64(k)))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return ""
	}
	return "HTTP " + strconv.Itoa(resp.StatusCode) + answerSnippet(head[:k])
}

// answerSnippet keeps printable text of the start of an answer, for operators.
func answerSnippet(b []byte) string {
	var out []rune
	for _, r := range string(b) {
		if unicode.IsPrint(r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ": " + string(out)
}

// fail records a failed try: retried after the schedule's next wait, or dead-lettered after
// the last.
func (n *Notifier) fail(ctx context.Context, d order.Delivery, msg string) {
	log := n.cfg.Logger.With("event_id", d.Event.ID, "type", d.Event.Type, "merchant", d.Event.MerchantID, "attempt", d.Attempts+1)
	if d.Attempts >= len(n.cfg.Schedule) {
		if err := n.cfg.Outbox.DeadLetter(ctx, n.cfg.Consumer, d.Event.Seq, msg); err != nil {
			log.Error("webhook: record dead letter", "err", err)
		}
		n.dead.Add(1)
		log.Warn("webhook: dead-lettered", "reason", msg)
		return
	}
	next := n.cfg.Clock.Now().Add(n.cfg.Schedule[d.Attempts])
	if err := n.cfg.Outbox.RetryDelivery(ctx, n.cfg.Consumer, d.Event.Seq, next, msg); err != nil {
		log.Error("webhook: record retry", "err", err)
	}
	n.failed.Add(1)
	log.Warn("webhook: failed, will retry", "reason", msg, "next", next)
}

// BatchCompleter is an optional capability of an order.Outbox (core/store's *DB has it):
// complete many deliveries in one transaction. The Notifier completes the deliveries of a
// claim that are not sent (payment.created, merchants without a URL) with it.
type BatchCompleter interface {
	CompleteDeliveries(ctx context.Context, consumer string, seqs []int64) error
}

// completeSkipped completes deliveries that are not sent: in one transaction when the outbox
// can, else one by one. A failure leaves them to their lease (claimed again later).
func (n *Notifier) completeSkipped(ctx context.Context, ds []order.Delivery) {
	if len(ds) == 0 {
		return
	}
	if bc, ok := n.cfg.Outbox.(BatchCompleter); ok {
		seqs := make([]int64, len(ds))
		for i, d := range ds {
			seqs[i] = d.Event.Seq
		}
		if err := bc.CompleteDeliveries(ctx, n.cfg.Consumer, seqs); err != nil {
			n.cfg.Logger.Error("webhook: record skipped deliveries", "count", len(ds), "err", err)
			return
		}
		n.skipped.Add(uint64(len(ds)))
		return
	}
	for _, d := range ds {
		if err := n.cfg.Outbox.CompleteDelivery(ctx, n.cfg.Consumer, d.Event.Seq); err != nil {
			n.cfg.Logger.Error("webhook: record skipped delivery", "event_id", d.Event.ID, "err", err)
			continue
		}
		n.skipped.Add(1)
	}
}
