package posting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/order"
)

// Consumer is the outbox consumer name the Poster claims by default.
const Consumer = "ledger"

// Config configures a Poster.
type Config struct {
	Store  Store          // required
	Ledger *ledger.Ledger // required: the ledger over the same database as Store
	Clock  clock.Clock    // required: claims, leases, retries and Run's timer
	// Fees is the channel's fee on a succeeded payment (RateFees is a simple one). Required.
	Fees FeeFunc
	// FeeRefund is each channel's fee-refund policy by channel name (order.Payment.Channel),
	// e.g. {"wechat": ch.Info().Refund.Fee}. Required; a refund on a channel missing from it
	// is not posted (the delivery is retried) until the configuration names it.
	FeeRefund map[string]channel.FeeRefund
	// Consumer is the outbox consumer to claim; default Consumer ("ledger").
	Consumer string
	// Batch is the most deliveries claimed at once; default 256. The deliveries of one claim
	// belong to distinct payments (the outbox holds back a payment's later events), so they
	// are posted concurrently and the ledger's writer applies them in few transactions.
	Batch int
	// Workers is how many deliveries of a claim are posted at once; default 32.
	Workers int
	// Lease is how long a claimed delivery is hidden from other claimers; default 1 minute.
	// A poster that dies mid-way leaves its deliveries to be claimed again after it.
	Lease time.Duration
	// Interval is how long Run waits after a claim that found less than a full batch;
	// default 1 second.
	Interval time.Duration
	// RetryMin and RetryMax bound the back-off after a failed posting: RetryMin doubled per
	// failed attempt, at most RetryMax. Defaults 1 second and 5 minutes.
	RetryMin, RetryMax time.Duration
	// MaxAttempts, when > 0, dead-letters a delivery after that many failures. The default 0
	// retries for ever: a ledger posting skipped would leave the books short, and a stuck
	// delivery holds back only its own payment and shows in OutboxStats (pending, oldest).
	MaxAttempts int
	// Logger receives one record per failed or conflicting delivery; default discards.
	Logger *slog.Logger
	// SkipMerchants are merchants whose payment and refund events the Poster completes
	// without posting, because another consumer posts them: core/wallet's top-up merchant,
	// whose succeeded payments credit a customer's wallet instead of a merchant payable.
	SkipMerchants []string
}

// Poster posts the money movements of the order outbox to the ledger. It is safe for
// concurrent use, and several Posters (processes) may claim from one database: each delivery
// is leased to one claimer at a time and posted under its event's id, so it is posted once.
type Poster struct {
	cfg  Config
	accs *accounts
	skip map[string]bool
}

// New validates cfg and returns a Poster.
func New(cfg Config) (*Poster, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("posting: Config.Store is required")
	case cfg.Ledger == nil:
		return nil, errors.New("posting: Config.Ledger is required")
	case cfg.Clock == nil:
		return nil, errors.New("posting: Config.Clock is required")
	case cfg.Fees == nil:
		return nil, errors.New("posting: Config.Fees is required")
	case len(cfg.FeeRefund) == 0:
		return nil, errors.New("posting: Config.FeeRefund is required: each channel's fee-refund policy (channel.Info().Refund.Fee)")
	case cfg.Batch < 0, cfg.Workers < 0, cfg.Lease < 0, cfg.Interval < 0, cfg.RetryMin < 0, cfg.RetryMax < 0, cfg.MaxAttempts < 0:
		return nil, errors.New("posting: Config: Batch, Workers, Lease, Interval, RetryMin, RetryMax and MaxAttempts must not be negative")
	}
	pol := make(map[string]channel.FeeRefund, len(cfg.FeeRefund))
	for ch, p := range cfg.FeeRefund {
		switch p {
		case channel.FeeRefundNone, channel.FeeRefundProportional, channel.FeeRefundFull:
		default:
			return nil, fmt.Errorf("posting: Config.FeeRefund[%q] is %q: want none, proportional or full", ch, p)
		}
		if ch == "" {
			return nil, errors.New("posting: Config.FeeRefund has an empty channel name")
		}
		pol[ch] = p
	}
	cfg.FeeRefund = pol
	if cfg.Consumer == "" {
		cfg.Consumer = Consumer
	}
	if cfg.Batch == 0 {
		cfg.Batch = 256
	}
	if cfg.Workers == 0 {
		cfg.Workers = 32
	}
	if cfg.Lease == 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.RetryMin == 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 5 * time.Minute
	}
	if cfg.RetryMax < cfg.RetryMin {
		return nil, fmt.Errorf("posting: Config.RetryMax %v is below RetryMin %v", cfg.RetryMax, cfg.RetryMin)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	skip := map[string]bool{}
	for _, m := range cfg.SkipMerchants {
		skip[m] = true
	}
	return &Poster{cfg: cfg, accs: &accounts{l: cfg.Ledger, st: cfg.Store}, skip: skip}, nil
}

// Run claims and posts until ctx ends, waiting Interval on the Clock whenever a claim came
// back short of a full batch. It returns ctx's error; failures of single rounds are logged
// and retried.
func (p *Poster) Run(ctx context.Context) error {
	t := p.cfg.Clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C():
		}
		claimed, _, err := p.round(ctx)
		if err != nil && ctx.Err() == nil {
			p.cfg.Logger.Warn("posting: round failed", "err", err)
		}
		wait := p.cfg.Interval
		if err == nil && claimed == p.cfg.Batch {
			wait = 0 // more may be waiting
		}
		t.Reset(wait)
	}
}

// RunOnce claims one batch of due deliveries and handles each: it posts the money movements,
// completes every delivery it handled and schedules a retry for those that failed. posted
// counts the deliveries that carried a money movement and are now in the ledger (including
// one found already posted by an earlier attempt). err joins the failures.
func (p *Poster) RunOnce(ctx context.Context) (posted int, err error) {
	_, posted, err = p.round(ctx)
	return posted, err
}

func (p *Poster) round(ctx context.Context) (claimed, posted int, err error) {
	now := p.cfg.Clock.Now()
	ds, err := p.cfg.Store.ClaimDeliveries(ctx, p.cfg.Consumer, now, p.cfg.Batch, p.cfg.Lease)
	if err != nil {
		return 0, 0, fmt.Errorf("posting: claim: %w", err)
	}
	// Post concurrently (the ledger's writer batches the entries), then settle every delivery
	// with the outbox from this goroutine: the outbox's writes do not compete with each other.
	type outcome struct {
		moved bool
		err   error
	}
	out := make([]outcome, len(ds))
	pre := p.prefetch(ctx, ds)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(p.cfg.Workers, len(ds)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i].moved, out[i].err = p.post1(ctx, ds[i].Event, pre[ds[i].Event.OrderID])
			}
		}()
	}
	for i := range ds {
		next <- i
	}
	close(next)
	wg.Wait()

	var errs []error
	var done []int64
	for i, d := range ds {
		if out[i].err != nil {
			errs = append(errs, p.failed(ctx, d, out[i].err))
			continue
		}
		done = append(done, d.Event.Seq)
		if out[i].moved {
			posted++
		}
	}
	// Posted but not marked done (a failure here, a crash): the lease runs out and the next
	// claim finds each event posted under its key.
	if bc, ok := p.cfg.Store.(BatchCompleter); ok {
		if err := bc.CompleteDeliveries(ctx, p.cfg.Consumer, done); err != nil {
			errs = append(errs, fmt.Errorf("posting: complete %d deliveries: %w", len(done), err))
		}
	} else {
		for _, seq := range done {
			if err := p.cfg.Store.CompleteDelivery(ctx, p.cfg.Consumer, seq); err != nil {
				errs = append(errs, fmt.Errorf("posting: complete event %d: %w", seq, err))
			}
		}
	}
	return len(ds), posted, errors.Join(errs...)
}

// failed schedules a retry of a delivery whose posting failed (or dead-letters it after
// MaxAttempts) and returns the failure.
func (p *Poster) failed(ctx context.Context, d order.Delivery, err error) error {
	ev := d.Event
	if ctx.Err() != nil {
		return err // shutting down: the lease runs out and the delivery comes back
	}
	attempts := d.Attempts + 1
	if p.cfg.MaxAttempts > 0 && attempts >= p.cfg.MaxAttempts {
		p.cfg.Logger.Error("posting: dead-lettered", "event", ev.ID, "type", ev.Type, "order", ev.OrderID, "attempts", attempts, "err", err)
		if derr := p.cfg.Store.DeadLetter(ctx, p.cfg.Consumer, ev.Seq, err.Error()); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	wait := p.cfg.RetryMin
	for i := 1; i < attempts && wait < p.cfg.RetryMax; i++ {
		wait *= 2
	}
	wait = min(wait, p.cfg.RetryMax)
	p.cfg.Logger.Warn("posting: will retry", "event", ev.ID, "type", ev.Type, "order", ev.OrderID, "attempts", attempts, "in", wait, "err", err)
	if rerr := p.cfg.Store.RetryDelivery(ctx, p.cfg.Consumer, ev.Seq, p.cfg.Clock.Now().Add(wait), err.Error()); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// Post posts the money movement of one order event, if it has one, and reports whether it
// had. It is idempotent: the event's id is the entry's key, so posting an event again returns
// without a second entry. It does not touch the outbox; RunOnce and Run call it for each
// claimed delivery.
func (p *Poster) Post(ctx context.Context, ev *order.Event) (bool, error) {
	return p.post1(ctx, ev, nil)
}

// prefetch reads the payments of a claim's payment.succeeded events in one query, where the
// store can; a payment it misses is read on its own later.
func (p *Poster) prefetch(ctx context.Context, ds []order.Delivery) map[string]*order.Payment {
	pb, ok := p.cfg.Store.(PaymentBatch)
	if !ok {
		return nil
	}
	var ids []string
	for _, d := range ds {
		if isPayment(d.Event) {
			ids = append(ids, d.Event.OrderID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m, err := pb.PaymentsByID(ctx, ids)
	if err != nil {
		p.cfg.Logger.Warn("posting: batch read of payments failed; reading one by one", "err", err)
		return nil
	}
	return m
}

func isPayment(ev *order.Event) bool {
	return ev.Type == "payment.succeeded" && ev.OrderKind == "payment"
}

// post1 is Post with the event's payment read already (nil: read it).
func (p *Poster) post1(ctx context.Context, ev *order.Event, pay *order.Payment) (bool, error) {
	if p.skip[ev.MerchantID] {
		return false, nil
	}
	switch {
	case isPayment(ev):
		return true, p.postPayment(ctx, ev, pay)
	case ev.Type == "refund.succeeded" && ev.OrderKind == "refund":
		return true, p.postRefund(ctx, ev)
	case ev.Type == "payout.succeeded" && ev.OrderKind == "payout":
		return true, p.postPayout(ctx, ev)
	case ev.Type == "payout.returned" && ev.OrderKind == "payout":
		return p.reversePayout(ctx, ev)
	}
	return false, nil
}

// post submits an entry. An idempotency conflict means an earlier attempt of this very event
// posted it with other figures (the fee configuration changed in between): the movement is in
// the ledger once, as first posted, and stays so.
func (p *Poster) post(ctx context.Context, ev *order.Event, pst ledger.Posting) error {
	_, err := p.cfg.Ledger.Post(ctx, pst)
	if errors.Is(err, ledger.ErrIdempotencyConflict) {
		p.cfg.Logger.Warn("posting: event already posted with other figures; the first posting stands", "event", ev.ID, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("posting: %s %s (event %s): %w", ev.Type, ev.OrderID, ev.ID, err)
	}
	return nil
}

// EventTypes are the only event types the Poster posts; every other event's delivery is
// completed without a posting. A store that can filter its outbox by type
// (core/store's DB.SetOutboxTypes) need not queue the others for the ledger at all.
var EventTypes = []string{"payment.succeeded", "refund.succeeded", "payout.succeeded", "payout.returned"}
