package risk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/internal/yamlcheck"
)

// File is the "risk:" section of the gateway's YAML config (docs/RISK.md). Amounts are
// decimal strings in Currency; durations are Go durations ("10m", "24h").
type File struct {
	Currency string `yaml:"currency"`
	// Redis is the host:port of the Redis that keeps velocity windows shared by several
	// gateway processes; empty keeps them in memory (per process).
	Redis string     `yaml:"redis"`
	Lists []ListFile `yaml:"lists"`
	Rules []RuleFile `yaml:"rules"`
	pos   yamlcheck.Pos
}

// ListFile is one List.
type ListFile struct {
	Name   string   `yaml:"name"`
	Kind   string   `yaml:"kind"`
	Values []string `yaml:"values"`
	pos    yamlcheck.Pos
}

// RuleFile is one Rule: if (every condition set), then a verdict.
type RuleFile struct {
	Name   string        `yaml:"name"`
	If     ConditionFile `yaml:"if"`
	Then   string        `yaml:"then"`
	Shadow bool          `yaml:"shadow"`
	pos    yamlcheck.Pos
}

// ConditionFile is one Condition.
type ConditionFile struct {
	InList           string        `yaml:"in_list"`
	AmountOver       string        `yaml:"amount_over"`
	Methods          []string      `yaml:"methods"`
	Merchants        []string      `yaml:"merchants"`
	Velocity         *VelocityFile `yaml:"velocity"`
	CardsPerUserOver int           `yaml:"cards_per_user_over"`
	BindAttemptsOver int           `yaml:"bind_attempts_over"`
	BindWindow       string        `yaml:"bind_window"`
	NewCardWithin    string        `yaml:"new_card_within"`
	pos              yamlcheck.Pos
}

// VelocityFile is one Velocity.
type VelocityFile struct {
	Per        string `yaml:"per"`
	Window     string `yaml:"window"`
	CountOver  int64  `yaml:"count_over"`
	AmountOver string `yaml:"amount_over"`
	pos        yamlcheck.Pos
}

// UnmarshalYAML decodes a File and remembers where it was written (for errors).
func (f *File) UnmarshalYAML(n *yaml.Node) error {
	type plain File
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a ListFile and remembers where it was written (for errors).
func (f *ListFile) UnmarshalYAML(n *yaml.Node) error {
	type plain ListFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a RuleFile and remembers where it was written (for errors).
func (f *RuleFile) UnmarshalYAML(n *yaml.Node) error {
	type plain RuleFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a ConditionFile and remembers where it was written (for errors).
func (f *ConditionFile) UnmarshalYAML(n *yaml.Node) error {
	type plain ConditionFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes a VelocityFile and remembers where it was written (for errors).
func (f *VelocityFile) UnmarshalYAML(n *yaml.Node) error {
	type plain VelocityFile
	f.pos = yamlcheck.Capture(n)
	return n.Decode((*plain)(f))
}

// ParseFile decodes a YAML document holding a File; file names it in errors.
func ParseFile(file string, data []byte) (*File, error) {
	var f File
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &f, nil
}

// Compile checks f strictly and returns its lists and rules; every problem is reported as
// "file:line: …".
func (f *File) Compile(file string) ([]List, []Rule, error) {
	var errs []string
	add := func(e []string) { errs = append(errs, e...) }
	at := func(l int, format string, a ...any) { errs = append(errs, yamlcheck.At(file, l, format, a...)) }
	add(f.pos.Unknown(file, "risk", "currency", "redis", "lists", "rules"))
	cur := money.CNY
	if f.Currency != "" {
		c, err := money.ParseCurrency(f.Currency)
		if err != nil {
			at(f.pos.Line, "risk.currency: %v", err)
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
		if err != nil || d <= 0 {
			at(l, "%s %q: want a positive Go duration such as 10m or 24h", field, s)
		}
		return d
	}
	var lists []List
	for _, l := range f.Lists {
		add(l.pos.Unknown(file, "list", "name", "kind", "values"))
		if l.Name == "" {
			at(l.pos.Line, "list: name is required")
		}
		switch Kind(l.Kind) {
		case User, Card, Device, IP, Merchant:
		default:
			at(l.pos.Line, "list %s: kind %q is not one of user, card, device, ip, merchant", l.Name, l.Kind)
		}
		lists = append(lists, List{Name: l.Name, Kind: Kind(l.Kind), Values: l.Values})
	}
	var rules []Rule
	for _, r := range f.Rules {
		l := r.pos.Line
		add(r.pos.Unknown(file, "risk rule", "name", "if", "then", "shadow"))
		c := r.If
		add(c.pos.Unknown(file, "if", "in_list", "amount_over", "methods", "merchants", "velocity", "cards_per_user_over",
			"bind_attempts_over", "bind_window", "new_card_within"))
		cond := Condition{InList: c.InList, AmountOver: amount(c.pos.Line, "amount_over", c.AmountOver), Merchants: c.Merchants,
			CardsPerUserOver: c.CardsPerUserOver, BindAttemptsOver: c.BindAttemptsOver,
			BindWindow: dur(c.pos.Line, "bind_window", c.BindWindow), NewCardWithin: dur(c.pos.Line, "new_card_within", c.NewCardWithin)}
		for _, m := range c.Methods {
			if !channel.Method(m).Valid() {
				at(c.pos.Line, "method %q is not one of qr, app, jsapi, h5, web, barcode, token", m)
			}
			cond.Methods = append(cond.Methods, channel.Method(m))
		}
		if v := c.Velocity; v != nil {
			add(v.pos.Unknown(file, "velocity", "per", "window", "count_over", "amount_over"))
			cond.Velocity = &Velocity{Per: Kind(v.Per), Window: dur(v.pos.Line, "velocity.window", v.Window), CountOver: v.CountOver,
				AmountOver: amount(v.pos.Line, "velocity.amount_over", v.AmountOver)}
		}
		rules = append(rules, Rule{Name: r.Name, When: cond, Then: gateway.Verdict(r.Then), Shadow: r.Shadow, Source: fmt.Sprintf("%s:%d", file, l)})
	}
	if len(errs) == 0 {
		if _, err := compile(lists, rules); err != nil {
			errs = append(errs, strings.TrimPrefix(err.Error(), ErrConfig.Error()+": "))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.New(strings.Join(errs, "\n"))
	}
	return lists, rules, nil
}
