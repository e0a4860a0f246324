package alipay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Alipay trade_status values (alipay.md §9.1).
const (
	TradeWaitBuyerPay = "WAIT_BUYER_PAY"
	TradeSuccess      = "TRADE_SUCCESS"
	TradeClosed       = "TRADE_CLOSED"
	TradeFinished     = "TRADE_FINISHED"
)

// tradeStatus maps trade_status to a Status (alipay.md §9.1, §10.3):
//
//	WAIT_BUYER_PAY                          Pending
//	TRADE_SUCCESS / TRADE_FINISHED          Succeeded; Refunded when refund_fee > 0 (a
//	                                        partial refund leaves the trade SUCCESS)
//	TRADE_CLOSED, never paid                Closed
//	TRADE_CLOSED, paid then fully refunded  Refunded — recognised by a payment time
//	                                        (send_pay_date / gmt_payment), refund_fee > 0
//	                                        or gmt_refund; an unpaid trade has none of them
//	anything else                           Unknown
//
// paid says whether the answer showed payment evidence, refunded whether refund_fee > 0.
func tradeStatus(s string, paid, refunded bool) channel.Status {
	switch s {
	case TradeWaitBuyerPay:
		return channel.StatusPending
	case TradeSuccess, TradeFinished:
		if refunded {
			return channel.StatusRefunded
		}
		return channel.StatusSucceeded
	case TradeClosed:
		if paid || refunded {
			return channel.StatusRefunded
		}
		return channel.StatusClosed
	}
	return channel.StatusUnknown
}

// parseYuan parses an Alipay amount: yuan with up to two decimals, exact (alipay.md
// §8). "" is the zero Amount (not reported).
func parseYuan(field, s string) (money.Amount, error) {
	if s == "" {
		return money.Amount{}, nil
	}
	a, err := money.Parse(s, money.CNY)
	if err != nil {
		return money.Amount{}, fmt.Errorf("%s: %w", field, err)
	}
	return a, nil
}

// parseTime parses "yyyy-MM-dd HH:mm:ss" in Beijing time; a fractional second
// (gmt_refund's ".S", alipay.md §10.2) is accepted too. "" is the zero Time. It is
// hand-written because notifications carry several times and time.Parse would be a
// visible share of the verification budget.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := parseClock(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%s: %q is not yyyy-MM-dd HH:mm:ss", field, s)
	}
	return t, nil
}

// parseClock parses "yyyy-MM-dd HH:mm:ss" with an optional ".f" of 1–9 digits, in
// Beijing time, rejecting impossible dates.
func parseClock(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(p string) (int, bool) {
		n := 0
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	h, ok4 := num(s[11:13])
	mi, ok5 := num(s[14:16])
	se, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 {
		return time.Time{}, false
	}
	ns := 0
	if len(s) > 19 {
		frac := s[20:]
		if s[19] != '.' || len(frac) == 0 || len(frac) > 9 {
			return time.Time{}, false
		}
		f, ok := num(frac)
		if !ok {
			return time.Time{}, false
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, ns, clock.Beijing())
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// yuan formats a for the wire: "88.88" (alipay.md §8). Only CNY is accepted and the
// range is [0.01, 100000000.00].
func yuan(op, field string, a money.Amount) (string, error) {
	if a.Currency() != money.CNY {
		return "", channel.InvalidField(Name, op, field, "must be CNY, got %q", string(a.Currency()))
	}
	if a.Minor() < 1 || a.Minor() > 100_000_000_00 {
		return "", channel.InvalidField(Name, op, field, "must be within 0.01 and 100000000.00 yuan, got %s", a.Decimal())
	}
	return a.Decimal(), nil
}

// marshalBiz serialises biz_content with encoding/json without HTML escaping, so the
// text sent and signed is exactly what a reader sees (alipay.md §4 step 4).
func marshalBiz(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// validOutNo checks out_trade_no / out_request_no: ≤ 64 letters, digits and
// underscores (alipay.md §8).
func validOutNo(op, field, s string) error {
	if s == "" {
		return channel.InvalidField(Name, op, field, "is empty")
	}
	if len(s) > 64 {
		return channel.InvalidField(Name, op, field, "is %d characters, Alipay allows 64", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return channel.InvalidField(Name, op, field, "has %q; Alipay allows letters, digits and '_'", c)
		}
	}
	return nil
}

// fundBill is an element of fund_bill_list in sync responses (alipay.md §9.5).
type fundBill struct {
	Amount      string `json:"amount"`
	FundChannel string `json:"fund_channel"`
}

func fundChannels(l []fundBill) string {
	var names []string
	for _, f := range l {
		if f.FundChannel != "" {
			names = append(names, f.FundChannel)
		}
	}
	return strings.Join(names, ",")
}

// decodeErr is the error for a verified answer whose fields do not parse: the call may
// have happened, so for money-moving calls the outcome is unknown.
func decodeErr(op string, err error) error {
	return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE",
		Message: "verified response has an invalid field", Retryable: retryAfterSend(op), Err: err}
}

// sameOrder guards against a genuine but misplaced answer: a sync response is signed
// without any reference to the request, so a replayed answer for another order would
// verify. An answer naming a different out_trade_no (or trade_no) than asked for is an
// unknown outcome.
func sameOrder(op, wantOut, gotOut, wantTrade, gotTrade string) error {
	if wantOut != "" && gotOut != "" && wantOut != gotOut {
		return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: "RESPONSE_MISMATCH",
			Message: fmt.Sprintf("answer is for out_trade_no %q, asked for %q", gotOut, wantOut), Retryable: retryAfterSend(op)}
	}
	if wantTrade != "" && gotTrade != "" && wantTrade != gotTrade {
		return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: "RESPONSE_MISMATCH",
			Message: fmt.Sprintf("answer is for trade_no %q, asked for %q", gotTrade, wantTrade), Retryable: retryAfterSend(op)}
	}
	return nil
}
