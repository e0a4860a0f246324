package bank

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Transaction states (§7).
const (
	StatusProcessing = "PROCESSING"
	StatusSuccess    = "SUCCESS"
	StatusFail       = "FAIL"
	StatusReturned   = "RETURNED"
	bindApplied      = "APPLIED"
	bindVoid         = "VOID"
	agreementBound   = "BOUND"
	agreementUnbound = "UNBOUND"
)

// application is one BIND_APPLY (§6, §7): APPLIED until confirmed, expired or voided.
type application struct {
	bindNo, userID, cardNo string
	status                 string // APPLIED, BOUND (confirmed), VOID
	created, expires       time.Time
	code                   string    // current SMS code
	codeExpires, lastSent  time.Time // SMS validity (5 min) and the last send (60 s rule)
	sends, wrong           int
	protocolNo             string // once confirmed
}

// agreement is a confirmed binding (protocolNo).
type agreement struct {
	protocolNo, userID, cardNo, bindNo string
	status                             string // BOUND, UNBOUND
	bound                              time.Time
}

// txn is a payment, refund or payout.
type txn struct {
	kind       string // "PAY", "REFUND", "PAYOUT"
	no         string // orderNo / refundNo / payoutNo
	origNo     string // refund: the paid orderNo
	bankSerial string
	userID     string
	protocolNo string
	cardNo     string
	holderName string // payouts: as sent
	amount     money.Amount
	fee        money.Amount
	status     string
	failCode   string
	failMsg    string
	reqTime    time.Time // the request's reqTime
	finish     time.Time // final state time
	settle     clock.Date
	returned   time.Time // payout bounce
	notifyURL  string
	notifyID   string // stable across resends of one event (§10)
	refunded   money.Amount
	seq        int
}

// storedAnswer is what a reqSerial replays (§9.1).
type storedAnswer struct {
	fp   [32]byte
	code string
	msg  string
	data []byte // the data JSON text, "" when none
}

// mstate is one merchant's state at the bank.
type mstate struct {
	cfg          *merchantCfg
	available    money.Amount // payout account
	frozen       money.Amount
	serials      map[string]*storedAnswer
	bizNos       map[string]string // "BIND:"/"PAY:"/"REFUND:"/"PAYOUT:" + number -> reqSerial that created it
	apps         map[string]*application
	agreements   map[string]*agreement
	byUserCard   map[string]*agreement // userID + "\x00" + cardNo, BOUND ones
	pays         map[string]*txn
	refunds      map[string]*txn
	payouts      map[string]*txn
	bySerial     map[string]*txn // bankSerial -> payment
	txns         []*txn          // every transaction, creation order
	lastSMSByKey map[string]time.Time
}

func newMState(cfg *merchantCfg) *mstate {
	return &mstate{
		cfg: cfg, available: money.Fen(cfg.PayoutBalance), frozen: money.Fen(0),
		serials: map[string]*storedAnswer{}, bizNos: map[string]string{},
		apps: map[string]*application{}, agreements: map[string]*agreement{}, byUserCard: map[string]*agreement{},
		pays: map[string]*txn{}, refunds: map[string]*txn{}, payouts: map[string]*txn{}, bySerial: map[string]*txn{},
		lastSMSByKey: map[string]time.Time{},
	}
}

// file is a statement file handed out by STMT_APPLY (§11.2).
type file struct {
	id, merchant, name string
	gz                 []byte
	token              string
	expires            time.Time
	used               bool
}

// store is all the bank's state.
type store struct {
	merchants   map[string]*mstate
	merchantIDs []string
	cards       map[string]*Card
	cardOrder   []string
	files       map[string]*file
	seq         int
}

func newStore() *store {
	return &store{merchants: map[string]*mstate{}, cards: map[string]*Card{}, files: map[string]*file{}}
}
