package wechat

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Wire layouts, all Beijing time (wechat-v2.md §5).
const (
	layoutCompact = "20060102150405"      // time_end, time_start, time_expire
	layoutDashed  = "2006-01-02 15:04:05" // bills, refund success times
)

// fen reads an integer-fen field (§5) in the currency named by curField (CNY when
// absent). A missing field gives the zero Amount (not reported).
func fen(resp sign.Params, field, curField string) (money.Amount, error) {
	v := lookup(resp, field)
	if v == "" {
		return money.Amount{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return money.Amount{}, fmt.Errorf("%s %q is not a non-negative integer of fen", field, v)
	}
	cur := money.CNY
	if curField != "" {
		if c := lookup(resp, curField); c != "" {
			if cur, err = money.ParseCurrency(c); err != nil {
				return money.Amount{}, fmt.Errorf("%s %q: %w", curField, c, err)
			}
		}
	}
	return money.New(n, cur), nil
}

// formatFen writes an amount as integer minor units after checking it is CNY (WeChat v2
// direct merchants settle in CNY; fee_type defaults to it, §5).
func formatFen(a money.Amount) (string, error) {
	if a.Currency() != money.CNY {
		return "", fmt.Errorf("must be in CNY, got %q", string(a.Currency()))
	}
	return strconv.FormatInt(a.Minor(), 10), nil
}

// beijingTime parses a wire time in Beijing time; "" gives the zero time.
func beijingTime(v, layout string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(layout, v, clock.Beijing())
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want %s", v, layout)
	}
	return t, nil
}

// compactTime formats t in Beijing time as yyyyMMddHHmmss.
func compactTime(t time.Time) string { return t.In(clock.Beijing()).Format(layoutCompact) }

// validOrderNo checks out_trade_no / out_refund_no: ≤ max characters of [0-9A-Za-z_-|*@]
// (§5; '@' is allowed by newer pages and always in out_refund_no).
func validOrderNo(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("is %d characters, WeChat allows at most %d", len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			c == '_' || c == '-' || c == '|' || c == '*' || c == '@') {
			return fmt.Errorf("contains %q; WeChat allows only letters, digits and _-|*@", c)
		}
	}
	return nil
}
