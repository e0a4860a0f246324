package router

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/internal/yamlcheck"
)

// File is the "routing:" section of the gateway's YAML config (docs/ROUTING.md). Amounts
// are decimal strings in Currency ("5000.00"); rates are decimal fractions or percents
// ("0.006", "0.6%"); durations are Go durations ("30s"); times of day are Beijing time
// "HH:MM-HH:MM".
type File struct {
	Currency string `yaml:"currency"` // default CNY
	// Redis is the host:port of a Redis keeping per-day and per-month limits shared by
	// several gateway processes (RedisLimits); empty counts in each process.
	Redis           string            `yaml:"redis"`
	MerchantClasses map[string]string `yaml:"merchant_classes"`
	Health          HealthFile        `yaml:"health"`
	Accounts        []AccountFile     `yaml:"accounts"`
	Rules           []RuleFile        `yaml:"rules"`
	pos             yamlcheck.Pos
}

// HealthFile configures Health.
type HealthFile struct {
	Window            string `yaml:"window"`
	Buckets           int    `yaml:"buckets"`
	MinRequests       int    `yaml:"min_requests"`
	FailurePercent    int    `yaml:"failure_percent"`
	ConsecutiveFaults int    `yaml:"consecutive_faults"`
	OpenFor           string `yaml:"open_for"`
	Probes            int    `yaml:"probes"`
	SlowLatency       string `yaml:"slow_latency"`
	pos               yamlcheck.Pos
}

// AccountFile is the routing settings of one gateway account (by its id).
type AccountFile struct {
	ID          string       `yaml:"id"`
	Priority    int          `yaml:"priority"`
	Weight      int          `yaml:"weight"`
	PerTxn      string       `yaml:"per_txn"`
	PerDay      string       `yaml:"per_day"`
	PerMonth    string       `yaml:"per_month"`
	FeeRate     string       `yaml:"fee_rate"`
	FeeFixed    string       `yaml:"fee_fixed"`
	Maintenance []WindowFile `yaml:"maintenance"`
	pos         yamlcheck.Pos
}

// WindowFile is a maintenance window: daily "HH:MM-HH:MM", or from/to RFC 3339 instants.
type WindowFile struct {
	Daily string `yaml:"daily"`
	From  string `yaml:"from"`
	To    string `yaml:"to"`
	pos   yamlcheck.Pos
}

// RuleFile is one Rule.
type RuleFile struct {
	Name            string   `yaml:"name"`
	Methods         []string `yaml:"methods"`
	CardTypes       []string `yaml:"card_types"` // debit, credit
	Issuers         []string `yaml:"issuers"`
	MinAmount       string   `yaml:"min_amount"`
	MaxAmount       string   `yaml:"max_amount"`
	Merchants       []string `yaml:"merchants"`
	MerchantClasses []string `yaml:"merchant_classes"`
	Hours           string   `yaml:"hours"`
	Requires        []string `yaml:"requires"`
	Accounts        []string `yaml:"accounts"`
	Choose          string   `yaml:"choose"`
	pos             yamlcheck.Pos
}

// UnmarshalYAML decodes a File and remembers where it was written (for errors).
func (f *File) UnmarshalYAML(n *yaml.Node) error {
	type plain File
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a HealthFile and remembers where it was written (for errors).
func (f *HealthFile) UnmarshalYAML(n *yaml.Node) error {
	type plain HealthFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a AccountFile and remembers where it was written (for errors).
func (f *AccountFile) UnmarshalYAML(n *yaml.Node) error {
	type plain AccountFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a WindowFile and remembers where it was written (for errors).
func (f *WindowFile) UnmarshalYAML(n *yaml.Node) error {
	type plain WindowFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a RuleFile and remembers where it was written (for errors).
func (f *RuleFile) UnmarshalYAML(n *yaml.Node) error {
	type plain RuleFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// ParseFile decodes a YAML document holding a File (the routing section on its own, as
// in tests); file names it in errors.
func ParseFile(file string, data []byte) (*File, error) {
	var f File
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &f, nil
}

// Config checks f strictly and turns it into a Config for the gateway's accounts (id to
// adapter). Every problem is reported, each as "file:line: …".
func (f *File) Config(file string, accounts map[string]channel.Channel) (Config, error) {
	var errs []string
	add := func(e []string) { errs = append(errs, e...) }
	at := func(l int, format string, a ...any) { errs = append(errs, yamlcheck.At(file, l, format, a...)) }
	add(f.pos.Unknown(file, "routing", "currency", "redis", "merchant_classes", "health", "accounts", "rules"))
	cur := money.CNY
	if f.Currency != "" {
		c, err := money.ParseCurrency(f.Currency)
		if err != nil {
			at(f.pos.Line, "routing.currency: %v", err)
		}
		cur = c
	}
	amount := func(l int, field, s string) money.Amount {
		if s == "" {
			return money.Amount{}
		}
		a, err := money.Parse(s, cur)
		if err != nil {
			at(l, "%s %q: %v", field, s, err)
		} else if !a.IsPositive() {
			at(l, "%s %q must be positive", field, s)
		}
		return a
	}
	dur := func(l int, field, s string) time.Duration {
		if s == "" {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			at(l, "%s %q: want a positive Go duration such as 30s or 2m", field, s)
		}
		return d
	}
	cfg := Config{MerchantClasses: f.MerchantClasses}
	h := f.Health
	add(h.pos.Unknown(file, "routing.health", "window", "buckets", "min_requests", "failure_percent", "consecutive_faults", "open_for", "probes", "slow_latency"))
	cfg.Health = Health{Window: dur(h.pos.Line, "health.window", h.Window), Buckets: h.Buckets, MinRequests: h.MinRequests,
		FailurePercent: h.FailurePercent, ConsecutiveFaults: h.ConsecutiveFaults, OpenFor: dur(h.pos.Line, "health.open_for", h.OpenFor),
		Probes: h.Probes, SlowLatency: dur(h.pos.Line, "health.slow_latency", h.SlowLatency)}
	if h.FailurePercent < 0 || h.FailurePercent > 100 {
		at(h.pos.Line, "health.failure_percent %d: want 1–100", h.FailurePercent)
	}
	seen := map[string]bool{}
	for _, a := range f.Accounts {
		l := a.pos.Line
		add(a.pos.Unknown(file, "routing account", "id", "priority", "weight", "per_txn", "per_day", "per_month", "fee_rate", "fee_fixed", "maintenance"))
		ch, ok := accounts[a.ID]
		switch {
		case a.ID == "":
			at(l, "routing account: id is required")
			continue
		case !ok:
			at(l, "routing account %s: no gateway account has this id", a.ID)
			continue
		case seen[a.ID]:
			at(l, "routing account %s is listed twice", a.ID)
			continue
		case a.Weight < 0:
			at(l, "routing account %s: weight %d must be ≥ 0", a.ID, a.Weight)
		}
		seen[a.ID] = true
		ra := Account{ID: a.ID, Channel: ch, Priority: a.Priority, Weight: a.Weight,
			Limits: Limits{PerTxn: amount(l, "per_txn", a.PerTxn), PerDay: amount(l, "per_day", a.PerDay), PerMonth: amount(l, "per_month", a.PerMonth)}}
		if a.FeeRate != "" {
			r, err := money.ParseRate(a.FeeRate)
			if err != nil {
				at(l, "routing account %s: fee_rate %q: %v", a.ID, a.FeeRate, err)
			} else if m := r.Shift(6); !m.IsInteger() {
				at(l, "routing account %s: fee_rate %q has more than 6 decimals of a fraction", a.ID, a.FeeRate)
			} else {
				ra.FeeMicros = m.IntPart()
			}
		}
		if a.FeeFixed != "" {
			if fx, err := money.Parse(a.FeeFixed, cur); err != nil || fx.IsNegative() {
				at(l, "routing account %s: fee_fixed %q must be a non-negative amount", a.ID, a.FeeFixed)
			} else {
				ra.FeeFixed = fx
			}
		}
		for _, w := range a.Maintenance {
			add(w.pos.Unknown(file, "maintenance window", "daily", "from", "to"))
			switch {
			case w.Daily != "" && (w.From != "" || w.To != ""):
				at(w.pos.Line, "maintenance window: daily or from/to, not both")
			case w.Daily != "":
				tr, err := ParseTimeRange(w.Daily)
				if err != nil {
					at(w.pos.Line, "maintenance window: %v", err)
				}
				ra.Maintenance = append(ra.Maintenance, Window{Daily: tr})
			default:
				from, err1 := time.Parse(time.RFC3339, w.From)
				to, err2 := time.Parse(time.RFC3339, w.To)
				if err := errors.Join(err1, err2); err != nil {
					at(w.pos.Line, "maintenance window: from and to must be RFC 3339 instants (2026-12-07T01:00:00+08:00): %v", err)
				} else if !to.After(from) {
					at(w.pos.Line, "maintenance window: to %s is not after from %s", w.To, w.From)
				}
				ra.Maintenance = append(ra.Maintenance, Window{From: from, To: to})
			}
		}
		cfg.Accounts = append(cfg.Accounts, ra)
	}
	for i, r := range f.Rules {
		l := r.pos.Line
		add(r.pos.Unknown(file, "rule", "name", "methods", "card_types", "issuers", "min_amount", "max_amount", "merchants",
			"merchant_classes", "hours", "requires", "accounts", "choose"))
		rr := Rule{Name: r.Name, Issuers: r.Issuers, Merchants: r.Merchants, MerchantClasses: r.MerchantClasses, Requires: r.Requires,
			Accounts: r.Accounts, Choose: Strategy(r.Choose), Source: fmt.Sprintf("%s:%d", file, l),
			MinAmount: amount(l, "min_amount", r.MinAmount), MaxAmount: amount(l, "max_amount", r.MaxAmount)}
		if rr.Name == "" {
			rr.Name = fmt.Sprintf("rule-%d", i+1)
		}
		for _, m := range r.Methods {
			rr.Methods = append(rr.Methods, channel.Method(m))
		}
		for _, c := range r.CardTypes {
			switch strings.ToLower(c) {
			case "debit", "dc":
				rr.CardTypes = append(rr.CardTypes, card.Debit)
			case "credit", "cc":
				rr.CardTypes = append(rr.CardTypes, card.Credit)
			default:
				at(l, "rule %s: card type %q is not debit or credit", rr.Name, c)
			}
		}
		if r.Hours != "" {
			tr, err := ParseTimeRange(r.Hours)
			if err != nil {
				at(l, "rule %s: hours: %v", rr.Name, err)
			}
			rr.Hours = tr
		}
		for _, id := range r.Accounts {
			if _, ok := accounts[id]; !ok {
				at(l, "rule %s: account %q is not a gateway account", rr.Name, id)
			} else if !seen[id] {
				// An account without a routing entry routes with defaults (priority 0, weight 1, no limits).
				seen[id] = true
				cfg.Accounts = append(cfg.Accounts, Account{ID: id, Channel: accounts[id], Weight: 1})
			}
		}
		cfg.Rules = append(cfg.Rules, rr)
	}
	if len(f.Rules) == 0 {
		at(f.pos.Line, "routing: rules are required (no rule, no route)")
	}
	if len(errs) == 0 {
		// What New would refuse, located at the rule it comes from.
		if _, err := (&Router{states: map[string]*acctState{}, wheels: map[string]*swrr{}}).compile(cfg); err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", file, f.pos.Line, err))
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.New(strings.Join(errs, "\n"))
	}
	return cfg, nil
}
