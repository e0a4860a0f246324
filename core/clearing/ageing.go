package clearing

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// ApplyAgeLimits sets each channel's age limit (limits: channel name → how long a receivable
// may await clearing, e.g. 48h for a T+1 channel) on its 1122 receivable account in cur,
// opening the account if the poster has not yet. The ledger's ageing check (账龄, check 4 of
// ledger.Verify and `tongdao ledger verify`) reads the limit from the account, first in first
// out: whatever the balance holds beyond the additions of the last limit is overdue. A limit
// of 0 turns the check off for that channel. Each change is recorded in the ledger's change
// log; applying the limits an account has already changes nothing.
func ApplyAgeLimits(ctx context.Context, l *ledger.Ledger, st ledger.Store, limits map[string]time.Duration, cur money.Currency) error {
	accs := &accounts{l: l, st: st}
	chans := make([]string, 0, len(limits))
	for ch := range limits {
		chans = append(chans, ch)
	}
	sort.Strings(chans)
	for _, ch := range chans {
		lim := limits[ch]
		if lim < 0 || lim%time.Second != 0 {
			return fmt.Errorf("clearing: age limit of %s is %v: want whole seconds, 0 or more", ch, lim)
		}
		id, err := accs.id(ctx, posting.ReceivableSpec(ch, cur))
		if err != nil {
			return err
		}
		if err := l.SetAgeLimit(ctx, id, lim); err != nil {
			return fmt.Errorf("clearing: age limit of %s: %w", ch, err)
		}
	}
	return nil
}

// Overdue is a channel's receivable with a part older than its age limit.
type Overdue struct {
	Channel  string           `json:"channel"`
	Currency money.Currency   `json:"currency"`
	Account  ledger.AccountID `json:"account"`
	Limit    time.Duration    `json:"-"`
	Detail   string           `json:"detail"` // the ledger's finding: how much of how much, older than what, as of when
}

// OverdueReceivables runs the ledger's verification as of the end of day (zero: now) and
// returns the channel receivables its ageing check reports, by channel. It reads only.
func OverdueReceivables(ctx context.Context, st ledger.Store, clk clock.Clock, day clock.Date) ([]Overdue, error) {
	rep, err := ledger.Verify(ctx, st, clk, ledger.VerifyOptions{Day: day, MaxFindings: 10000})
	if err != nil {
		return nil, fmt.Errorf("clearing: ageing: %w", err)
	}
	c := rep.Check(ledger.CheckAgeing)
	if len(c.Findings) == 0 {
		return nil, nil
	}
	ids := make([]ledger.AccountID, 0, len(c.Findings))
	for _, f := range c.Findings {
		if n, err := strconv.ParseInt(strings.TrimPrefix(f.Record, "account "), 10, 64); err == nil {
			ids = append(ids, ledger.AccountID(n))
		}
	}
	var accts map[ledger.AccountID]ledger.Account
	if err := st.Read(ctx, func(tx ledger.ReadTx) error {
		accts, err = tx.AccountsByID(ctx, ids)
		return err
	}); err != nil {
		return nil, fmt.Errorf("clearing: ageing: %w", err)
	}
	var out []Overdue
	for _, f := range c.Findings {
		n, _ := strconv.ParseInt(strings.TrimPrefix(f.Record, "account "), 10, 64)
		a, ok := accts[ledger.AccountID(n)]
		if !ok || a.Code != posting.CodeReceivable || a.OwnerKind != ledger.OwnerChannel {
			continue // an aged account that is not a channel receivable: the ledger reports it
		}
		out = append(out, Overdue{Channel: a.OwnerID, Currency: a.Currency, Account: a.ID,
			Limit: time.Duration(a.AgeLimitSeconds) * time.Second, Detail: f.Detail})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out, nil
}

// AgeingCollector exports, for the alert TongdaoReceivableOverdue (docs/alerts.yaml):
//
//	tongdao_clearing_receivable_overdue{channel,currency}   1 while part of the channel's receivable is past its age limit, else 0
//	tongdao_clearing_ageing_errors_total                    ageing checks that failed to run
//
// The check verifies the whole ledger (seconds for millions of entries; see
// docs/BENCHMARKS.md), longer than a scrape may wait: a scrape starts a check in the
// background when the last one is older than Every (default 10 minutes) and reports the last
// finished one. Until the first check has finished the overdue gauge is absent, never a
// reassuring 0.
type AgeingCollector struct {
	Store    ledger.Store
	Clock    clock.Clock
	Channels []string // the channels to report (0 when not overdue); others appear when overdue
	Every    time.Duration
	// Wait makes a scrape wait for the check it starts (tests); gateway serve leaves it false.
	Wait bool

	mu      sync.Mutex
	at      time.Time // when the last check started
	running bool
	done    bool // a check has finished
	last    []Overdue
	errors  float64
}

var (
	overdueDesc = prometheus.NewDesc("tongdao_clearing_receivable_overdue",
		"1 while part of a channel's receivable awaiting clearing (1122) is older than the channel's age limit.", []string{"channel", "currency"}, nil)
	ageingErrDesc = prometheus.NewDesc("tongdao_clearing_ageing_errors_total", "Ageing checks that failed to run.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *AgeingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- overdueDesc
	ch <- ageingErrDesc
}

// check runs one ageing check and records its result.
func (c *AgeingCollector) check() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	od, err := OverdueReceivables(ctx, c.Store, c.Clock, clock.Date{})
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = false
	if err != nil {
		c.errors++
		return
	}
	c.last, c.done = od, true
}

// Collect implements prometheus.Collector.
func (c *AgeingCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	every := c.Every
	if every <= 0 {
		every = 10 * time.Minute
	}
	now := c.Clock.Now()
	if !c.running && (c.at.IsZero() || now.Sub(c.at) >= every) {
		c.running, c.at = true, now
		if c.Wait {
			c.mu.Unlock()
			c.check()
			c.mu.Lock()
		} else {
			go c.check()
		}
	}
	defer c.mu.Unlock()
	if c.done {
		seen := map[string]bool{}
		for _, o := range c.last {
			ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, 1, o.Channel, string(o.Currency))
			seen[o.Channel+"/"+string(o.Currency)] = true
		}
		for _, name := range c.Channels {
			if !seen[name+"/CNY"] {
				ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, 0, name, "CNY")
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(ageingErrDesc, prometheus.CounterValue, c.errors)
}
