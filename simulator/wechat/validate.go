package wechat

import (
	"net"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// require returns LACK_PARAMS naming the first empty field (§7), or nil.
func (rc *reqCtx) require(fields ...string) *bizError {
	for _, f := range fields {
		if rc.v(f) == "" {
			return bizf(codeLackParams, "缺少参数"+f)
		}
	}
	return nil
}

// validOutNo reports whether s is a valid out_trade_no (≤32, [0-9A-Za-z_-|*@]) or, with
// max 64, out_refund_no (§5).
func validOutNo(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case c == '_' || c == '-' || c == '|' || c == '*' || c == '@':
		default:
			return false
		}
	}
	return true
}

// maxFen bounds amounts (10^10 fen = 100 million yuan), far above any single WeChat
// payment and far below int64 overflow in fee arithmetic.
const maxFen = 10_000_000_000

// parseFen parses an integer amount in fen (§5: no decimal point), 1..maxFen.
func parseFen(s string) (int64, bool) {
	if !allDigits(s) || len(s) > 11 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > maxFen {
		return 0, false
	}
	return n, true
}

// checkLen returns "<field>参数长度有误" when v is longer than max characters [field].
func checkLen(field, v string, max int) *bizError {
	if utf8.RuneCountInString(v) > max {
		return protoFail(field + "参数长度有误")
	}
	return nil
}

// validIP reports whether s is an IPv4 or IPv6 address (§6.1 spbill_create_ip).
func validIP(s string) bool { return net.ParseIP(s) != nil }

// validNotifyURL reports whether s is an absolute http(s) URL without a query string
// (§6.1 notify_url).
func validNotifyURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}
