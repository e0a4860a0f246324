package wechat

import (
	"hash/maphash"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// TradeState is an order's trade_state as orderquery reports it (§6.2).
type TradeState string

// Trade states (§6.2). SUCCESS and REFUND mean paid; CLOSED, REVOKED and PAYERROR are
// final; NOTPAY and USERPAYING can still change.
const (
	StateNotPay     TradeState = "NOTPAY"
	StateSuccess    TradeState = "SUCCESS"
	StateRefund     TradeState = "REFUND"
	StateClosed     TradeState = "CLOSED"
	StateRevoked    TradeState = "REVOKED"
	StateUserPaying TradeState = "USERPAYING"
	StatePayError   TradeState = "PAYERROR"
)

// stateDesc is trade_state_desc for each state [field].
var stateDesc = map[TradeState]string{
	StateNotPay:     "订单未支付",
	StateSuccess:    "支付成功",
	StateRefund:     "订单发生过退款，退款详情请查询退款单",
	StateClosed:     "订单已关闭",
	StateRevoked:    "订单已撤销",
	StateUserPaying: "需要用户输入支付密码",
	StatePayError:   "支付失败，请重新下单支付",
}

// paid reports whether the state means the payer's money moved (REFUND counts, §6.2).
func (s TradeState) paid() bool { return s == StateSuccess || s == StateRefund }

// RefundStatus is a refund's refund_status (§6.7).
type RefundStatus string

// Refund states (§6.7, §11): PROCESSING → SUCCESS | REFUNDCLOSE | CHANGE.
const (
	RefundProcessing RefundStatus = "PROCESSING"
	RefundSuccess    RefundStatus = "SUCCESS"
	RefundClose      RefundStatus = "REFUNDCLOSE"
	RefundChange     RefundStatus = "CHANGE"
)

// order is the channel-side record of one out_trade_no. All fields are guarded by the
// server's mutex.
//
// It is compact because a load test holds millions of them (docs/benchmarks/simulator.md:
// 1,000,000 orders in ≤ 512 MiB): the fields that many orders share (merchant, appid,
// trade type, notify_url, sign type) sit in one interned *orderProfile, the fields most
// orders never set (payment, reversal, refunds, attach, …) in an *orderExtra allocated on
// first write, times are Unix nanoseconds, the generated prepay_id and code_url are kept
// as their random characters only, and orders live in fixed-size chunks (no per-order
// allocation, stable pointers).
type order struct {
	*orderProfile        // shared and immutable: never assign its fields through an order
	outTradeNo    string // owned copy (never a slice of a request body)
	body          string // interned while the body table is small
	x             *orderExtra
	totalFee      money.Amount
	createdAt     int64 // Unix ns
	expireAt      int64 // Unix ns; 0: none
	prepayAt      int64 // Unix ns
	seq           int32 // creation order, for deterministic iteration
	st            uint8 // TradeState, see tradeStates
	hasCode       bool  // codeRnd holds a NATIVE code_url
	prepayRnd     [10]byte
	codeRnd       [7]byte
}

// orderProfile is what many orders of one merchant have in common. Profiles are interned
// per store (store.profile) and never modified; an order that changes one of these
// fields gets another profile.
type orderProfile struct {
	realm     string // "" for production paths, "sandbox" for /sandboxnew
	mchID     string
	appID     string
	tradeType string // JSAPI NATIVE APP MWEB MICROPAY
	feeType   string
	notifyURL string
	signType  sign.WeChatSignType
}

// orderExtra holds the fields most orders leave empty.
type orderExtra struct {
	attach     string
	deviceInfo string
	openID     string
	authCode   string
	txnID      string // assigned when the payer pays (or at micropay)
	bankType   string
	mwebURL    string
	revokeID   string    // refund id of a reversal of a paid barcode order (bill row)
	paidAt     time.Time // time_end; zero until paid
	revokedAt  time.Time
	refunds    []*refund
}

// mut returns the order's extra fields for writing, allocating them on first use.
func (o *order) mut() *orderExtra {
	if o.x == nil {
		o.x = &orderExtra{}
	}
	return o.x
}

// Read accessors of the extra fields: the zero value when the order has none.

func (o *order) attach() string {
	if o.x == nil {
		return ""
	}
	return o.x.attach
}

func (o *order) deviceInfo() string {
	if o.x == nil {
		return ""
	}
	return o.x.deviceInfo
}

func (o *order) openID() string {
	if o.x == nil {
		return ""
	}
	return o.x.openID
}

func (o *order) authCode() string {
	if o.x == nil {
		return ""
	}
	return o.x.authCode
}

func (o *order) txnID() string {
	if o.x == nil {
		return ""
	}
	return o.x.txnID
}

func (o *order) bankType() string {
	if o.x == nil {
		return ""
	}
	return o.x.bankType
}

func (o *order) mwebURL() string {
	if o.x == nil {
		return ""
	}
	return o.x.mwebURL
}

func (o *order) revokeID() string {
	if o.x == nil {
		return ""
	}
	return o.x.revokeID
}

func (o *order) paidAt() time.Time {
	if o.x == nil {
		return time.Time{}
	}
	return o.x.paidAt
}

func (o *order) revokedAt() time.Time {
	if o.x == nil {
		return time.Time{}
	}
	return o.x.revokedAt
}

func (o *order) refunds() []*refund {
	if o.x == nil {
		return nil
	}
	return o.x.refunds
}

// tradeStates numbers the TradeState values for order.st; index 0 is NOTPAY.
var tradeStates = [...]TradeState{StateNotPay, StateSuccess, StateRefund, StateClosed, StateRevoked, StateUserPaying, StatePayError}

func (o *order) state() TradeState { return tradeStates[o.st] }

func (o *order) setState(ts TradeState) {
	for i, v := range tradeStates {
		if v == ts {
			o.st = uint8(i)
			return
		}
	}
	panic("wechat: unknown trade state " + string(ts)) // unreachable: only the constants above are set
}

// unixTime is the time of Unix nanoseconds ns in Beijing time (every wire format and
// bill day is Beijing time, §5); 0 is the zero time.
func unixTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).In(clock.Beijing())
}

// unixNano is t as Unix nanoseconds; the zero time is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// created and prepaid are always set (a clock at the Unix epoch itself reads back as the
// epoch, not as the zero time); expires is the zero time when the order has none.
func (o *order) created() time.Time { return time.Unix(0, o.createdAt).In(clock.Beijing()) }
func (o *order) expires() time.Time { return unixTime(o.expireAt) }
func (o *order) prepaid() time.Time { return time.Unix(0, o.prepayAt).In(clock.Beijing()) }

// prepayID is shaped like wx201410272009395522657a690389285100 (§6.1): "wx", the
// Beijing time of the prepay, 20 lower-case hex characters (prepayRnd, two per byte).
func (o *order) prepayID() string {
	b := make([]byte, 0, 36)
	b = append(b, "wx"...)
	b = o.prepaid().AppendFormat(b, layoutCompact)
	for _, x := range o.prepayRnd {
		b = append(b, hexLower[x>>4], hexLower[x&15])
	}
	return string(b)
}

// codeURL is the NATIVE code_url (§6.1), or "".
func (o *order) codeURL() string {
	if !o.hasCode {
		return ""
	}
	return codeURLPrefix + string(o.codeRnd[:])
}

// refund is one out_refund_no of an order.
type refund struct {
	order       *order
	outRefundNo string
	refundID    string
	fee         money.Amount
	status      RefundStatus
	final       RefundStatus // how it ends: "" = SUCCESS; CHANGE or REFUNDCLOSE by a fault plan
	account     string       // REFUND_SOURCE_UNSETTLED_FUNDS (default) or _RECHARGE_FUNDS
	desc        string
	notifyURL   string
	createdAt   time.Time // initiation time: the bill day (§9.2)
	successAt   time.Time // zero until SUCCESS
	seq         int
}

// refunded returns the sum of every refund of the order that is not closed, in fen:
// PROCESSING refunds hold their amount (§11: sum of refunds ≤ total_fee).
func (o *order) refunded() int64 {
	var n int64
	for _, r := range o.refunds() {
		if r.status != RefundClose {
			n += r.fee.Minor()
		}
	}
	return n
}

type mchKey struct{ realm, mchID string }
type refundKey struct{ realm, mchID, outRefundNo string }
type idKey struct{ realm, id string }

// chunkOrders is how many orders one chunk holds; chunks are never reallocated, so an
// *order stays valid for the store's life.
const chunkOrders = 4096

// Bounds of the intern tables: past them a new profile or body is kept per order
// (correct, only larger), so unique notify URLs or bodies cannot grow a table forever.
const (
	maxProfiles = 4096
	maxBodies   = 4096
)

// store is the simulated channel's state. It is not safe for concurrent use; the server
// guards it with one mutex.
type store struct {
	merchants   map[string]*Merchant
	merchantIDs []string // registration order
	sandboxKeys map[string]string
	mks         map[mchKey]uint32
	seed        maphash.Seed
	index       orderTable // (merchant, out_trade_no) → position in chunks
	chunks      [][]order  // every order in creation order
	profiles    map[orderProfile]*orderProfile
	bodies      map[string]string
	goodURLs    map[string]struct{} // notify_urls that passed validNotifyURL
	byTxn       map[idKey]*order
	refunds     map[refundKey]*refund
	byRefundID  map[idKey]*refund
	nextSeq     int
}

func newStore() *store {
	return &store{
		merchants:   map[string]*Merchant{},
		sandboxKeys: map[string]string{},
		mks:         map[mchKey]uint32{},
		seed:        maphash.MakeSeed(),
		profiles:    map[orderProfile]*orderProfile{},
		bodies:      map[string]string{},
		goodURLs:    map[string]struct{}{},
		byTxn:       map[idKey]*order{},
		refunds:     map[refundKey]*refund{},
		byRefundID:  map[idKey]*refund{},
	}
}

// profile returns the interned copy of p, its strings cloned so that it never keeps a
// request body alive.
func (st *store) profile(p orderProfile) *orderProfile {
	if q := st.profiles[p]; q != nil {
		return q
	}
	p.realm, p.mchID, p.appID = strings.Clone(p.realm), strings.Clone(p.mchID), strings.Clone(p.appID)
	p.tradeType, p.feeType, p.notifyURL = strings.Clone(p.tradeType), strings.Clone(p.feeType), strings.Clone(p.notifyURL)
	q := &p
	if len(st.profiles) < maxProfiles {
		st.profiles[p] = q
	}
	return q
}

// body returns an interned (or owned) copy of an order's body.
func (st *store) body(b string) string {
	if v, ok := st.bodies[b]; ok {
		return v
	}
	b = strings.Clone(b)
	if len(st.bodies) < maxBodies {
		st.bodies[b] = b
	}
	return b
}

// validNotifyURL is validNotifyURL, remembering up to maxProfiles URLs that passed (a
// merchant sends the same notify_url with every order; url.Parse is not free).
func (st *store) validNotifyURL(u string) bool {
	if _, ok := st.goodURLs[u]; ok {
		return true
	}
	if !validNotifyURL(u) {
		return false
	}
	if len(st.goodURLs) < maxProfiles {
		st.goodURLs[strings.Clone(u)] = struct{}{}
	}
	return true
}

// withNotifyURL points o at a profile that differs from its own in notify_url only.
func (st *store) withNotifyURL(o *order, url string) {
	if o.notifyURL == url {
		return
	}
	p := *o.orderProfile
	p.notifyURL = url
	o.orderProfile = st.profile(p)
}

// mk returns the merchant number of realm and mchID, assigning one if create is set;
// ok is false when there is none.
func (st *store) mk(realm, mchID string, create bool) (uint32, bool) {
	k := mchKey{realm, mchID}
	if n, ok := st.mks[k]; ok {
		return n, true
	}
	if !create {
		return 0, false
	}
	n := uint32(len(st.mks))
	st.mks[mchKey{strings.Clone(realm), strings.Clone(mchID)}] = n
	return n, true
}

// addOrder stores a copy of o (its outTradeNo cloned) and returns the stored order.
func (st *store) addOrder(o order) *order {
	st.nextSeq++
	o.seq = int32(st.nextSeq)
	o.outTradeNo = strings.Clone(o.outTradeNo)
	if n := len(st.chunks); n == 0 || len(st.chunks[n-1]) == chunkOrders {
		st.chunks = append(st.chunks, make([]order, 0, chunkOrders))
	}
	c := &st.chunks[len(st.chunks)-1]
	pos := uint32((len(st.chunks)-1)*chunkOrders + len(*c))
	*c = append(*c, o)
	p := &(*c)[len(*c)-1]
	mk, _ := st.mk(p.realm, p.mchID, true)
	st.index.insert(st.orderTag(mk, p.outTradeNo), pos)
	return p
}

// orderTag is the index hash of order outTradeNo of merchant number mk.
func (st *store) orderTag(mk uint32, outTradeNo string) uint32 {
	h := maphash.String(st.seed, outTradeNo) ^ (uint64(mk)+1)*0x9e3779b97f4a7c15
	return uint32(h ^ h>>32)
}

// at returns the order at position pos of the chunks.
func (st *store) at(pos uint32) *order {
	return &st.chunks[pos/chunkOrders][pos%chunkOrders]
}

// eachOrder yields every order in creation order.
func (st *store) eachOrder(yield func(*order) bool) {
	for _, c := range st.chunks {
		for i := range c {
			if !yield(&c[i]) {
				return
			}
		}
	}
}

// order returns the order outTradeNo of merchant mchID in realm, or nil.
func (st *store) order(realm, mchID, outTradeNo string) *order {
	mk, ok := st.mk(realm, mchID, false)
	if !ok {
		return nil
	}
	pos, ok := st.index.probe(st.orderTag(mk, outTradeNo), func(pos uint32) bool {
		o := st.at(pos)
		return o.outTradeNo == outTradeNo && o.realm == realm && o.mchID == mchID
	})
	if !ok {
		return nil
	}
	return st.at(pos)
}

func (st *store) setTxn(o *order, txn string) {
	o.mut().txnID = txn
	st.byTxn[idKey{o.realm, txn}] = o
}

func (st *store) addRefund(r *refund) {
	st.nextSeq++
	r.seq = st.nextSeq
	o := r.order
	x := o.mut()
	x.refunds = append(x.refunds, r)
	st.refunds[refundKey{o.realm, o.mchID, r.outRefundNo}] = r
	st.byRefundID[idKey{o.realm, r.refundID}] = r
}

// findOrder looks an order up the way WeChat does: transaction_id wins over
// out_trade_no when both are given (§6.2, §6.5, §6.6). A transaction_id of another
// merchant is not found.
func (st *store) findOrder(realm, mchID, txnID, outTradeNo string) *order {
	if txnID != "" {
		o := st.byTxn[idKey{realm, txnID}]
		if o == nil || o.mchID != mchID {
			return nil
		}
		return o
	}
	return st.order(realm, mchID, outTradeNo)
}

// setExtra sets the rarely given fields of a new order, allocating its orderExtra only
// when one of them is not empty.
func (o *order) setExtra(attach, deviceInfo, openID, authCode string) {
	if attach == "" && deviceInfo == "" && openID == "" && authCode == "" {
		return
	}
	x := o.mut()
	x.attach, x.deviceInfo = strings.Clone(attach), strings.Clone(deviceInfo)
	x.openID, x.authCode = strings.Clone(openID), strings.Clone(authCode)
}
