package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
)

// coreWork is the gateway's background work beside its API: the query-back and expiry
// worker, the ledger poster and the webhook notifier, all fed from one store.
type coreWork struct {
	store    *store.DB
	gw       *gateway.Gateway
	ledger   *ledger.Ledger
	poster   *posting.Poster
	notifier *notify.Notifier
	extra    []func(context.Context) error // optional runners (NATS)
}

// newCoreWork builds the ledger, the poster and the notifier over db for the gateway's
// accounts: fees by account rate (fees[account], a decimal fraction), fee-refund policy from
// each channel's Info, webhooks from the merchants' endpoints.
func newCoreWork(db *store.DB, gw *gateway.Gateway, clk clock.Clock, log *slog.Logger, fees map[string]decimal.Decimal,
	hooks notify.Directory, hc *http.Client, skipMerchants ...string) (*coreWork, error) {
	cs, err := rateContracts(gw.Accounts(), fees)
	if err != nil {
		return nil, err
	}
	return newCoreWorkWith(db, gw, clk, log, cs, hooks, hc, skipMerchants...)
}

// newCoreWorkWith is newCoreWork with every account's fee contract (core/clearing): the
// poster books the fee that settlement and reconciliation compute.
func newCoreWorkWith(db *store.DB, gw *gateway.Gateway, clk clock.Clock, log *slog.Logger, cs clearing.Contracts,
	hooks notify.Directory, hc *http.Client, skipMerchants ...string) (*coreWork, error) {
	// Queue for each consumer only the events it acts on (every process of one database
	// runs this same code, so they agree).
	db.SetOutboxTypes("ledger", posting.EventTypes...)
	db.SetOutboxTypes("webhook", webhookTypes...)
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk, Cutoff: clock.NaturalDay})
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	feeRefund := map[string]channel.FeeRefund{}
	for id, ch := range gw.Accounts() {
		feeRefund[ch.Name()] = ch.Info().Refund.Fee
		if _, ok := cs[id]; !ok {
			_ = l.Close()
			return nil, fmt.Errorf("channel account %s has no fee contract (fee_rate or fees): the ledger posts every payment's channel fee, so set it (fee_rate: \"0\" if the channel charges none)", id)
		}
	}
	feeFn := cs.FeeFunc()
	p, err := posting.New(posting.Config{Store: db, Ledger: l, Clock: clk, Fees: feeFn, FeeRefund: feeRefund, Logger: log,
		SkipMerchants: skipMerchants})
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	n, err := notify.New(notify.Config{Outbox: db, Orders: db, Directory: hooks, Clock: clk, Logger: log, Client: hc})
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	return &coreWork{store: db, gw: gw, ledger: l, poster: p, notifier: n}, nil
}

// webhookTypes are the events merchants receive webhooks for: every payment, refund and
// payout event except the ones the merchant caused itself with an API call (created, pending).
var webhookTypes = []string{"payment.succeeded", "payment.failed", "payment.closed", "payment.partially_refunded",
	"payment.refunded", "refund.pending", "refund.succeeded", "refund.failed",
	"payout.succeeded", "payout.failed", "payout.returned"}

// once runs one round of everything: query-back and expiry, then postings and webhooks
// until nothing due is left (tests and the demo, on a virtual clock).
func (w *coreWork) once(ctx context.Context) error {
	if _, err := w.gw.WorkOnce(ctx); err != nil {
		return err
	}
	// A payment's events are claimed one after another (in order), and events that post
	// nothing still take a round: go on until no ledger delivery is left and a round sent
	// no webhook (the rest of those wait for their retry time).
	for i := 0; i < 200; i++ {
		if _, err := w.poster.RunOnce(ctx); err != nil {
			return fmt.Errorf("postings: %w", err)
		}
		sent, err := w.notifier.RunOnce(ctx)
		if err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		st, err := w.store.OutboxStats(ctx, "ledger")
		if err != nil {
			return err
		}
		if st.Pending == 0 && sent == 0 {
			return nil
		}
	}
	return nil
}

// run runs every worker until ctx ends, then waits for them.
func (w *coreWork) run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	var wg sync.WaitGroup
	runs := []func(context.Context) error{
		func(ctx context.Context) error { return w.gw.Work(ctx, interval) },
		w.poster.Run,
		w.notifier.Run,
	}
	runs = append(runs, w.extra...)
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r(ctx); err != nil && ctx.Err() == nil {
				log.Error("background worker stopped", "err", err)
			}
		}()
	}
	wg.Wait()
}

func (w *coreWork) close() error { return w.ledger.Close() }
