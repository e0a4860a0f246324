package wechat

import (
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
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
type order struct {
	realm      string // "" for production paths, "sandbox" for /sandboxnew
	mchID      string
	appID      string
	outTradeNo string
	txnID      string // assigned when the payer pays (or at micropay)
	tradeType  string // JSAPI NATIVE APP MWEB MICROPAY
	body       string
	attach     string
	detail     string
	deviceInfo string
	feeType    string
	notifyURL  string
	openID     string
	productID  string
	sceneInfo  string
	spbillIP   string
	authCode   string
	bankType   string
	signType   sign.WeChatSignType
	totalFee   money.Amount
	state      TradeState
	createdAt  time.Time
	expireAt   time.Time // zero: none
	paidAt     time.Time // time_end; zero until paid
	prepayID   string
	prepayAt   time.Time
	codeURL    string
	mwebURL    string
	revokedAt  time.Time
	revokeID   string // refund id of a reversal of a paid barcode order (bill row)
	refunds    []*refund
	seq        int // creation order, for deterministic iteration
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
	for _, r := range o.refunds {
		if r.status != RefundClose {
			n += r.fee.Minor()
		}
	}
	return n
}

type orderKey struct{ realm, mchID, outTradeNo string }
type refundKey struct{ realm, mchID, outRefundNo string }
type idKey struct{ realm, id string }

// store is the simulated channel's state. It is not safe for concurrent use; the server
// guards it with one mutex.
type store struct {
	merchants   map[string]*Merchant
	merchantIDs []string // registration order
	sandboxKeys map[string]string
	orders      map[orderKey]*order
	byTxn       map[idKey]*order
	refunds     map[refundKey]*refund
	byRefundID  map[idKey]*refund
	orderSeq    []*order
	nextSeq     int
}

func newStore() *store {
	return &store{
		merchants:   map[string]*Merchant{},
		sandboxKeys: map[string]string{},
		orders:      map[orderKey]*order{},
		byTxn:       map[idKey]*order{},
		refunds:     map[refundKey]*refund{},
		byRefundID:  map[idKey]*refund{},
	}
}

func (st *store) addOrder(o *order) {
	st.nextSeq++
	o.seq = st.nextSeq
	st.orders[orderKey{o.realm, o.mchID, o.outTradeNo}] = o
	st.orderSeq = append(st.orderSeq, o)
}

func (st *store) setTxn(o *order, txn string) {
	o.txnID = txn
	st.byTxn[idKey{o.realm, txn}] = o
}

func (st *store) addRefund(r *refund) {
	st.nextSeq++
	r.seq = st.nextSeq
	o := r.order
	o.refunds = append(o.refunds, r)
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
	return st.orders[orderKey{realm, mchID, outTradeNo}]
}
