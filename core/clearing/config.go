package clearing

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// FeeConfig is a fee contract as written in a config file (the `fees:` block of a channel
// account in the gateway's YAML). Amounts are decimal strings in major units ("0.10");
// rates take "0.6%", "6‰", "60bp" or a fraction "0.006".
//
//	fees:
//	  tiers:
//	    - {from: "0", rate: "0.6%"}
//	    - {from: "1000.00", rate: "0.38%"}
//	  tier_mode: whole        # or marginal
//	  fixed: "0.00"
//	  min: "0.01"
//	  max: "50.00"
//	  rounding: half_up       # half_up | half_even | down | up (required)
type FeeConfig struct {
	Currency string       `yaml:"currency" json:"currency,omitempty"` // default CNY
	Rate     string       `yaml:"rate" json:"rate,omitempty"`
	Tiers    []TierConfig `yaml:"tiers" json:"tiers,omitempty"`
	TierMode string       `yaml:"tier_mode" json:"tier_mode,omitempty"`
	Fixed    string       `yaml:"fixed" json:"fixed,omitempty"`
	Min      string       `yaml:"min" json:"min,omitempty"`
	Max      string       `yaml:"max" json:"max,omitempty"`
	Rounding string       `yaml:"rounding" json:"rounding,omitempty"`
}

// TierConfig is one tier of a FeeConfig.
type TierConfig struct {
	From string `yaml:"from" json:"from"`
	Rate string `yaml:"rate" json:"rate"`
}

// Contract builds and validates the contract of channel account account on channel
// channelName, whose fee-refund policy is refund (the channel's Info().Refund.Fee). Errors
// name the field ("fees.tiers[1].rate").
func (fc FeeConfig) Contract(account, channelName string, refund channel.FeeRefund) (*FeeContract, error) {
	cur := money.CNY
	if fc.Currency != "" {
		var err error
		if cur, err = money.ParseCurrency(fc.Currency); err != nil {
			return nil, fmt.Errorf("fees.currency %q: %v", fc.Currency, err)
		}
	}
	c := &FeeContract{Account: account, Channel: channelName, Currency: cur, Refund: refund, Mode: TierMode(fc.TierMode)}
	if fc.Rounding == "" {
		return nil, fmt.Errorf("fees.rounding is required: half_up (四舍五入), half_even, down or up")
	}
	r, err := money.ParseRounding(fc.Rounding)
	if err != nil {
		return nil, fmt.Errorf("fees.rounding %q: want half_up, half_even, down or up", fc.Rounding)
	}
	c.Rounding = r
	if fc.Rate == "" && len(fc.Tiers) == 0 {
		return nil, fmt.Errorf("fees: rate or tiers is required (rate \"0\" if the channel charges none)")
	}
	if fc.Rate != "" {
		if c.Rate, err = money.ParseRate(fc.Rate); err != nil {
			return nil, fmt.Errorf("fees.rate %q: %v", fc.Rate, err)
		}
	}
	for i, t := range fc.Tiers {
		from, err := money.Parse(t.From, cur)
		if err != nil {
			return nil, fmt.Errorf("fees.tiers[%d].from %q: %v", i, t.From, err)
		}
		rate, err := money.ParseRate(t.Rate)
		if err != nil {
			return nil, fmt.Errorf("fees.tiers[%d].rate %q: %v", i, t.Rate, err)
		}
		c.Tiers = append(c.Tiers, Tier{From: from, Rate: rate})
	}
	if len(fc.Tiers) > 0 && fc.TierMode == "" {
		return nil, fmt.Errorf("fees.tier_mode is required with tiers: whole (the tier holding the amount prices all of it) or marginal (each tier prices its band)")
	}
	amt := func(name, s string) (*money.Amount, error) {
		if s == "" {
			return nil, nil
		}
		a, err := money.Parse(s, cur)
		if err != nil {
			return nil, fmt.Errorf("fees.%s %q: %v", name, s, err)
		}
		return &a, nil
	}
	fixed, err := amt("fixed", fc.Fixed)
	if err != nil {
		return nil, err
	}
	if fixed != nil {
		c.Fixed = *fixed
	}
	if c.Min, err = amt("min", fc.Min); err != nil {
		return nil, err
	}
	if c.Max, err = amt("max", fc.Max); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// RateContract is the simple form of a contract (a config's fee_rate): rate × amount
// rounded half up, nothing else — the same fee as posting.RateFees.
func RateContract(account, channelName string, rate decimal.Decimal, refund channel.FeeRefund) (*FeeContract, error) {
	c := &FeeContract{Account: account, Channel: channelName, Currency: money.CNY, Rate: rate, Rounding: money.HalfUp, Refund: refund}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}
