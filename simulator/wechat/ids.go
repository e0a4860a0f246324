package wechat

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// Wire time layouts (§5): compact for API fields, dashed for bills and refund
// notifications; both in Beijing time.
const (
	layoutCompact = "20060102150405"
	layoutDashed  = "2006-01-02 15:04:05"
)

func compactTime(t time.Time) string { return t.In(clock.Beijing()).Format(layoutCompact) }
func dashedTime(t time.Time) string  { return t.In(clock.Beijing()).Format(layoutDashed) }

// dashedOrEmpty is dashedTime, or "" for the zero time (a field left out).
func dashedOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dashedTime(t)
}

func compactDate(t time.Time) string { return t.In(clock.Beijing()).Format("20060102") }

// parseCompactTime parses yyyyMMddHHmmss as Beijing time (§5).
func parseCompactTime(s string) (time.Time, bool) {
	if len(s) != 14 || !allDigits(s) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layoutCompact, s, clock.Beijing())
	return t, err == nil
}

// idgen draws the channel's generated identifiers from the engine's seeded source, so a
// seed gives the same ids on every run.
// rnd, when set, is the same source as next, used to draw many values under one lock;
// a concrete type, not a func value, so that the stack buffers it fills stay on the
// stack.
type idgen struct {
	next func() uint64
	rnd  *simulator.Rand
}

// values sets dst to the next len(dst) values of the source.
func (g idgen) values(dst []uint64) {
	if g.rnd != nil {
		g.rnd.Fill(dst)
		return
	}
	for i := range dst {
		dst[i] = g.next()
	}
}

// appendDraw appends n characters from set to dst, each uniform (set length ≤ 64
// divides 2^64 closely enough that modulo bias is below 2^-58).
func (g idgen) appendDraw(dst []byte, set string, n int) []byte {
	var buf [32]uint64
	for n > 0 {
		k := min(n, len(buf))
		g.values(buf[:k])
		for _, v := range buf[:k] {
			dst = append(dst, set[v%uint64(len(set))])
		}
		n -= k
	}
	return dst
}

const (
	digits   = "0123456789"
	hexLower = "0123456789abcdef"
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	openIDCh = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// draw returns n characters from set, each uniform (set length ≤ 64 divides 2^64
// closely enough that modulo bias is below 2^-58).
func (g idgen) draw(set string, n int) string {
	var buf [64]byte
	return string(g.appendDraw(buf[:0], set, n))
}

// nonce is a 16-character nonce_str like WeChat's ("IITRi8Iabbblz1Jc").
func (g idgen) nonce() string { return g.draw(alnum, 16) }

// transactionID is a 28-digit transaction_id shaped like 4200000925202101284997714292:
// "42000" + 5 digits + Beijing date of payment + 10 digits.
func (g idgen) transactionID(paid time.Time) string {
	return "42000" + g.draw(digits, 5) + compactDate(paid) + g.draw(digits, 10)
}

// refundID is a 29-digit refund_id: "50300" + 5 digits + Beijing date + 11 digits.
func (g idgen) refundID(at time.Time) string {
	return "50300" + g.draw(digits, 5) + compactDate(at) + g.draw(digits, 11)
}

// prepayRnd draws the 20 random lower-case hex characters of a prepay_id (see
// order.prepayID), packed two to a byte.
func (g idgen) prepayRnd() (r [10]byte) {
	var v [20]uint64
	g.values(v[:])
	for i, x := range v {
		r[i/2] |= byte(x%16) << (4 * (1 - i%2))
	}
	return r
}

// codeURLPrefix starts every NATIVE code_url (§6.1).
const codeURLPrefix = "weixin://wxpay/bizpayurl?pr="

// codeRnd draws the 7 random characters of a NATIVE code_url (see order.codeURL).
func (g idgen) codeRnd() (r [7]byte) {
	g.appendDraw(r[:0], alnum, len(r))
	return r
}

// mwebURL is an MWEB mweb_url for prepayID (§6.1).
func (g idgen) mwebURL(prepayID string) string {
	return "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + prepayID +
		"&package=" + g.draw(digits, 10)
}

// openID is a 28-character payer openid like ofyak5qR_1wYsC99CsWA6R9MJazA.
func (g idgen) openID() string { return "o" + g.draw(openIDCh, 27) }

// signKey is a 32-character lower-case hex sandbox_signkey (§12).
func (g idgen) signKey() string { return g.draw(hexLower, 32) }
