package unionpay

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Transaction types (txnType, unionpay.md §4.1).
const (
	ttQuery        = "00"
	ttConsume      = "01"
	ttPreAuth      = "02"
	ttComplete     = "03"
	ttRefund       = "04"
	ttUndo         = "31"
	ttPreAuthUndo  = "32"
	ttCompleteUndo = "33"
	ttDeleteToken  = "74"
	ttFile         = "76"
	ttSMS          = "77"
	ttOpenQuery    = "78"
	ttOpen         = "79"
	ttEncCert      = "95"
)

// Business types (bizType).
const (
	bizToken = "000902"
)

// orderKey identifies a transaction for query: (merId, orderId, txnTime), §3.
type orderKey struct{ merID, orderID, txnTime string }

// txn is one transaction on the simulated UnionPay: consume, undo, refund, pre-auth
// family, or a token open. Its state is its respCode: "" while a front/app order waits
// for the payer (queries answer 34 then, as the real gateway only knows paid orders),
// "00" succeeded, anything else failed with that code.
type txn struct {
	key                      orderKey
	seq                      int
	txnType, txnSubType, biz string
	channelType, signMethod  string
	amount                   int64 // fen
	created, at              time.Time
	payTimeout               time.Time
	state                    string
	queryID, traceNo, trace  string // trace = traceTime MMddHHmmss
	settle                   clock.Date
	backURL, frontURL        string
	reqReserved              string
	card                     string // full card number: channel-side only, never written out
	payCardType              string
	orig                     *txn // undo, refund, completion and their undos
	refunded                 int64
	undone                   bool // consume undone / completion undone / pre-auth undone
	completed                *txn // pre-auth: its completion
	frozen                   int64
	cashierID, tn            string
	trID, token              string // token product
	open                     bool   // a token open (79) rather than a payment
	late                     bool   // debited after payTimeout (respCode 42, ZME)
	cancelled                bool   // the payer left the cashier
}

// token is one token of a card for a merchant and token requestor (unionpay.md §4.2).
type token struct {
	value, trID, merID string
	card               string // full number, channel-side only
	phone              string
	begin, end         time.Time
	deleted            bool
}

// card is a payer's card as the simulated issuer sees it.
type card struct {
	number      string
	credit      bool
	phone, cvn2 string
	expired     string // YYMM
	available   int64  // fen
	frozen      int64
}

// smsKey binds an SMS code to the merchant and orderId of the SMS request (§12).
type smsKey struct{ merID, orderID string }

type store struct {
	merchants   map[string]*Merchant
	merchantIDs []string
	txns        map[orderKey]*txn
	orders      map[[2]string]*txn // (merId, orderId): uniqueness, §12
	byQueryID   map[string]*txn
	byCashier   map[string]*txn
	byTN        map[string]*txn
	seq         []*txn
	tokens      map[string]*token
	cards       map[string]*card
	sms         map[smsKey]string
}

func newStore() *store {
	st := &store{
		merchants: map[string]*Merchant{}, txns: map[orderKey]*txn{}, orders: map[[2]string]*txn{},
		byQueryID: map[string]*txn{}, byCashier: map[string]*txn{}, byTN: map[string]*txn{},
		tokens: map[string]*token{}, cards: map[string]*card{}, sms: map[smsKey]string{},
	}
	for _, c := range demoCards() {
		c := c
		st.cards[c.number] = &c
	}
	return st
}

// Demo cards (unionpay.md §4.2, UnionPay's published test data).
const (
	DemoCreditCard = "6221558812340000"    // phone 13552535506, CVN2 123, expiry (YYMM) 2311
	DemoDebitCard  = "6216261000000000018" // phone 13552535506
	DemoPhone      = "13552535506"
)

// defaultBalance is what an unknown or demo card can spend: 1,000,000.00 yuan.
const defaultBalance = 100_000_000

func demoCards() []card {
	return []card{
		{number: DemoCreditCard, credit: true, phone: DemoPhone, cvn2: "123", expired: "2311", available: defaultBalance},
		{number: DemoDebitCard, phone: DemoPhone, available: defaultBalance},
	}
}

// cardOf returns the issuer's card, creating an unknown number as a debit card with the
// default balance. Caller holds s.mu.
func (st *store) cardOf(number string) *card {
	c := st.cards[number]
	if c == nil {
		c = &card{number: number, available: defaultBalance}
		st.cards[number] = c
	}
	return c
}

func (c *card) payCardType() string {
	if c.credit {
		return "02"
	}
	return "01"
}
