package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

// clearingFile is the gateway config's `clearing:` block (docs/CLEARING.md):
//
//	clearing:
//	  t: 1                 # settle clearing day D on D+1
//	  bank: icbc-001       # the bank deposit account (1002) channel funds arrive in
//	  ageing:              # how long each channel's receivable may await clearing
//	    wechat: 48h
//	    unionpay: 72h
//	  ageing_every: 10m    # how often gateway serve re-checks ageing for /metrics
type clearingFile struct {
	T           int               `yaml:"t"`
	Bank        string            `yaml:"bank"`
	Ageing      map[string]string `yaml:"ageing"`
	AgeingEvery string            `yaml:"ageing_every"`
}

func (c clearingFile) check(path string) []string {
	var errs []string
	if c.T < 0 || c.T > 30 {
		errs = append(errs, fmt.Sprintf("%s: clearing.t %d: want 0 to 30 (T+n)", path, c.T))
	}
	for ch, v := range c.Ageing {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d%time.Second != 0 {
			errs = append(errs, fmt.Sprintf("%s: clearing.ageing.%s %q: want a duration in whole seconds such as 48h", path, ch, v))
		}
	}
	if c.AgeingEvery != "" {
		if d, err := time.ParseDuration(c.AgeingEvery); err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s: clearing.ageing_every %q: want a positive duration such as 10m", path, c.AgeingEvery))
		}
	}
	sort.Strings(errs)
	return errs
}

// ageLimits returns the ageing limits by channel (checked at load).
func (c clearingFile) ageLimits() map[string]time.Duration {
	out := map[string]time.Duration{}
	for ch, v := range c.Ageing {
		out[ch], _ = time.ParseDuration(v)
	}
	return out
}

func (c clearingFile) ageingEvery() time.Duration {
	d, _ := time.ParseDuration(c.AgeingEvery)
	return d
}

// contracts builds every account's fee contract: its fees block, or its fee_rate as the
// simple form, with the refund-fee policy of its channel (chans: account id → adapter).
func (f *gatewayFile) contracts(chans map[string]channel.Channel) (clearing.Contracts, error) {
	cs := clearing.Contracts{}
	for _, a := range f.Accounts {
		ch, ok := chans[a.ID]
		if !ok {
			continue
		}
		var c *clearing.FeeContract
		var err error
		switch {
		case a.Fees != nil:
			c, err = a.Fees.Contract(a.ID, ch.Name(), ch.Info().Refund.Fee)
		case a.FeeRate != "":
			r := f.feeRates()[a.ID]
			c, err = clearing.RateContract(a.ID, ch.Name(), r, ch.Info().Refund.Fee)
		default:
			return nil, fmt.Errorf("%s:%d: channel account %s has neither fee_rate nor fees: the ledger posts every payment's channel fee, so set one (fee_rate: \"0\" if the channel charges none)", f.path, a.line, a.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: account %s: %w", f.path, a.line, a.ID, err)
		}
		if err := cs.Add(c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// rateContracts is contracts for accounts given only rates (tests and the demo).
func rateContracts(chans map[string]channel.Channel, rates map[string]decimal.Decimal) (clearing.Contracts, error) {
	cs := clearing.Contracts{}
	for id, ch := range chans {
		r, ok := rates[id]
		if !ok {
			return nil, fmt.Errorf("channel account %s has no fee_rate: the ledger posts every payment's channel fee, so set it (\"0\" if the channel charges none)", id)
		}
		c, err := clearing.RateContract(id, ch.Name(), r, ch.Info().Refund.Fee)
		if err != nil {
			return nil, err
		}
		if err := cs.Add(c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// setupAgeing sets the config's receivable age limits on the ledger (the ledger's ageing
// check reads them) and exports the overdue gauge of the TongdaoReceivableOverdue alert.
func setupAgeing(ctx context.Context, f *gatewayFile, l *ledger.Ledger, db *store.DB, chans map[string]channel.Channel, reg prometheus.Registerer) error {
	limits := f.Clearing.ageLimits()
	if len(limits) == 0 {
		return nil
	}
	if err := clearing.ApplyAgeLimits(ctx, l, db, limits, money.CNY); err != nil {
		return err
	}
	names := map[string]bool{}
	for _, ch := range chans {
		names[ch.Name()] = true
	}
	var list []string
	for ch := range limits {
		if !names[ch] {
			return fmt.Errorf("clearing.ageing names channel %q, which no account uses", ch)
		}
		list = append(list, ch)
	}
	sort.Strings(list)
	return reg.Register(&clearing.AgeingCollector{Store: db, Clock: clock.Real(), Channels: list, Every: f.Clearing.ageingEvery()})
}

// voucherSources asks each source in turn and merges what they know: orders and refunds
// (posting.Vouchers), settlement batches, funds arrivals and splits (clearing.Vouchers).
