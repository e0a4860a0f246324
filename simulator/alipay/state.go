package alipay

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Trade statuses (§9.1).
const (
	StatusWaitBuyerPay  = "WAIT_BUYER_PAY"
	StatusTradeSuccess  = "TRADE_SUCCESS"
	StatusTradeClosed   = "TRADE_CLOSED"
	StatusTradeFinished = "TRADE_FINISHED"
)

// Products: how a trade was started (§9.3–§9.5).
const (
	prodPrecreate = "precreate"
	prodBarcode   = "barcode"
	prodPage      = "page"
	prodWap       = "wap"
	prodApp       = "app"
)

// trade is one trade (or, before it is visible, one reserved order: a precreated QR
// code not yet scanned, a cashier page not yet paid), §9.2.
type trade struct {
	seq        int
	appID      string
	outTradeNo string
	tradeNo    string // "" while reserved
	product    string
	visible    bool // false: query/close/refund answer ACQ.TRADE_NOT_EXIST (§9.2)
	status     string
	total      money.Amount
	subject    string
	body       string
	storeID    string
	operatorID string
	terminalID string
	passback   string
	notifyURL  string
	returnURL  string
	certMode   bool // how the creating request was signed: its notifications follow
	qrCode     string
	cashierID  string
	created    time.Time
	paid       time.Time
	closed     time.Time
	expire     time.Time
	buyerID    string
	buyerLogon string
	fund       string // fund channel (ALIPAYACCOUNT, PCREDIT, ...)
	refunded   money.Amount
	refunds    []*refund
	cancelAct  string // action of a completed alipay.trade.cancel ("close" or "refund")
	quitURL    string
}

// refund is one accepted refund of a trade (§9.9).
type refund struct {
	outRequestNo string // as sent ("" for a full refund sent without one)
	queryNo      string // what fastpay.refund.query takes: out_request_no or out_trade_no (§9.10)
	amount       money.Amount
	reason       string
	at           time.Time
}

// store is the server's state, guarded by Server.mu.
type store struct {
	merchants   map[string]*Merchant
	merchantIDs []string
	trades      map[tradeKey]*trade
	byTradeNo   map[string]*trade
	byCashier   map[string]*trade
	seq         []*trade
	bills       map[string]*billFile // token -> file
	notifyIDs   map[string]bool      // every notify_id a notification carried (notify_verify)
}

type tradeKey struct{ appID, outTradeNo string }

func newStore() *store {
	return &store{
		merchants: map[string]*Merchant{}, trades: map[tradeKey]*trade{},
		byTradeNo: map[string]*trade{}, byCashier: map[string]*trade{}, bills: map[string]*billFile{},
		notifyIDs: map[string]bool{},
	}
}

// refresh closes an unpaid trade whose expiry has passed (§8 timeout_express).
func (t *trade) refresh(now time.Time) {
	if t.status == StatusWaitBuyerPay && !t.expire.IsZero() && !now.Before(t.expire) {
		t.status = StatusTradeClosed
		t.closed = t.expire
	}
}

// Wire time layout (§8): Beijing time.
const layoutTime = "2006-01-02 15:04:05"

func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Beijing()).Format(layoutTime)
}

// wireTimeMillis is gmt_refund's documented form, with milliseconds (§10.2).
func wireTimeMillis(t time.Time) string {
	return t.In(clock.Beijing()).Format("2006-01-02 15:04:05.000")
}

func yuan(a money.Amount) string { return a.Decimal() }
