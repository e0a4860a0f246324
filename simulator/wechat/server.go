package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// DefaultNotifySchedule is the gap before each retry of a notification that was not
// acknowledged (§8, current v2 pages): 15 retries over 24h4m after the first attempt.
var DefaultNotifySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour, 3 * time.Hour,
	6 * time.Hour, 6 * time.Hour,
}

// LegacyNotifySchedule is the older "8 times in 30 minutes" schedule some v2 pages give
// (§8); select it with Config.NotifySchedule.
var LegacyNotifySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 180 * time.Second,
	1800 * time.Second, 1800 * time.Second, 1800 * time.Second, 1800 * time.Second,
	3600 * time.Second,
}

// Config configures the WeChat v2 server side. The zero value is usable: the demo
// merchant, the current retry schedule, refunds that complete at once, bills available
// from 09:00 Beijing time the next day.
type Config struct {
	// Merchants are registered at start, after the demo merchant.
	Merchants []Merchant
	// NoDemoMerchant leaves the documented demo merchant (§3.3) out.
	NoDemoMerchant bool
	// NotifySchedule is the gap before each notification retry; nil means
	// DefaultNotifySchedule. It is copied, never modified.
	NotifySchedule []time.Duration
	// RefundDelay is how long a refund stays PROCESSING before it succeeds, on the
	// engine's clock. Zero completes it within the refund call (its notification is then
	// sent at once); real wallet refunds take up to ~20 minutes (§6.7).
	RefundDelay time.Duration
	// BillReadyAfter is how long after the Beijing midnight that ends a bill day the bill
	// becomes available; before that downloadbill answers "Bill Creating". Zero means
	// 9h: WeChat generates bills from 09:00 the next day (§9.2).
	BillReadyAfter time.Duration
	// BillReadyAtMidnight makes a day's bill available as soon as the day is over.
	BillReadyAtMidnight bool
	// PasswordThreshold is the amount in fen above which a barcode payment waits for
	// the payer's password (USERPAYING, §6.4). Zero means 100000 (1000 yuan).
	PasswordThreshold int64
	// MaxBody is the largest request body in bytes; zero means DefaultMaxBody.
	MaxBody int
}

// outbound is one notification the server asks the engine to deliver.
type outbound struct {
	kind    string // "payment" or "refund"
	mchID   string
	orderNo string
	url     string
	body    []byte
	forged  []byte // what a forged attempt carries (wrong key)
	// tampered builds what a tampered_callback attempt carries: signed (or encrypted)
	// with the right key, the amount or order number changed as the attempt says.
	tampered func(a simulator.Attempt) []byte
	schedule []time.Duration
}

// call is what the server needs from the engine for one inbound request: fault
// matching and the per-request fault switches. noFaults is the zero implementation.
type call interface {
	// identify names the operation, merchant and order; true means a fault plan took
	// the request over and nothing must be processed or written.
	identify(op, mchID, orderNo string) bool
	// businessFault is what a business_code fault asks for, if one applies.
	businessFault() (businessFault, bool)
	// corruptSignature reports whether the response must be signed wrongly.
	corruptSignature() bool
	// negativeTest is the new sandbox's Wechatpay-Negative-Test header, or "".
	negativeTest() string
	// bodyTooLarge reports whether the engine refused to read a body over its limit.
	bodyTooLarge() bool
}

// businessFault is a business_code fault plan as the server sees it.
type businessFault struct {
	code    string // generic simulator code (SYSTEM_ERROR, ...) or a raw WeChat err_code
	message string // err_code_des override; "" = the standard text
	process bool   // process the request (commit the state change) before answering
}

type noFaults struct{}

func (noFaults) identify(string, string, string) bool { return false }
func (noFaults) businessFault() (businessFault, bool) { return businessFault{}, false }
func (noFaults) corruptSignature() bool               { return false }
func (noFaults) negativeTest() string                 { return "" }
func (noFaults) bodyTooLarge() bool                   { return false }

// Server is the WeChat Pay v2 server side. It is safe for concurrent use; all state is
// behind one mutex and notifications are handed to the engine after it is released.
type Server struct {
	cfg      Config
	schedule []time.Duration

	mu   sync.Mutex
	st   *store
	clk  clock.Clock
	ids  idgen
	send func(outbound)
	eng  *simulator.Engine
}

// New validates cfg and returns a server holding the configured merchants. It needs a
// clock, a random source and a notifier before it serves; the engine provides them in
// Register.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, st: newStore()}
	if cfg.NotifySchedule == nil {
		s.schedule = append([]time.Duration(nil), DefaultNotifySchedule...)
	} else {
		for i, d := range cfg.NotifySchedule {
			if d <= 0 {
				return nil, fmt.Errorf("wechat config: field NotifySchedule[%d] = %v: must be positive", i, d)
			}
		}
		s.schedule = append([]time.Duration(nil), cfg.NotifySchedule...)
	}
	if cfg.RefundDelay < 0 || cfg.BillReadyAfter < 0 || cfg.PasswordThreshold < 0 || cfg.MaxBody < 0 {
		return nil, errors.New("wechat config: RefundDelay, BillReadyAfter, PasswordThreshold and MaxBody must not be negative")
	}
	if s.cfg.PasswordThreshold == 0 {
		s.cfg.PasswordThreshold = 100000
	}
	if s.cfg.MaxBody == 0 {
		s.cfg.MaxBody = DefaultMaxBody
	}
	if !cfg.NoDemoMerchant {
		if err := s.addMerchant(DemoMerchant()); err != nil {
			return nil, err
		}
	}
	for _, m := range cfg.Merchants {
		if err := s.addMerchant(m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// bind gives the server its clock, random source and notifier.
func (s *Server) bind(clk clock.Clock, rnd func() uint64, send func(outbound)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clk, s.ids, s.send = clk, idgen{next: rnd}, send
}

func (s *Server) addMerchant(m Merchant) error {
	if err := m.validate(); err != nil {
		return err
	}
	m.AppIDs = append([]string(nil), m.AppIDs...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.merchants[m.MchID]; !dup {
		s.st.merchantIDs = append(s.st.merchantIDs, m.MchID)
	}
	s.st.merchants[m.MchID] = &m
	return nil
}

// reply is one HTTP answer.
type reply struct {
	status      int
	contentType string
	body        []byte
}

const contentTypeXML = "text/xml; charset=utf-8"

// failReply is a communication-level failure: return_code=FAIL, unsigned (§3.2, §4).
func failReply(msg string) reply {
	return reply{http.StatusOK, contentTypeXML, encodeXML(sign.Params{
		{Key: "return_code", Value: "FAIL"}, {Key: "return_msg", Value: msg}})}
}

// route is one operation at its real path (§1), without the sandbox prefix.
type route struct {
	op      string
	cert    bool // /secapi: mutual TLS
	handler func(s *Server, rc *reqCtx) (sign.Params, *bizError, []outbound)
}

// routes maps real paths to operations (§1). The sandbox serves the same paths under
// /sandboxnew, and additionally /sandboxnew/pay/refund and /sandboxnew/pay/reverse
// (§12: gopay's spelling).
var routes = map[string]route{
	"/pay/unifiedorder":       {op: OpUnifiedOrder, handler: (*Server).unifiedOrder},
	"/pay/micropay":           {op: OpMicropay, handler: (*Server).micropay},
	"/pay/orderquery":         {op: OpOrderQuery, handler: (*Server).orderQuery},
	"/pay/closeorder":         {op: OpCloseOrder, handler: (*Server).closeOrder},
	"/secapi/pay/reverse":     {op: OpReverse, cert: true, handler: (*Server).reverse},
	"/secapi/pay/refund":      {op: OpRefund, cert: true, handler: (*Server).refund},
	"/pay/refundquery":        {op: OpRefundQuery, handler: (*Server).refundQuery},
	"/pay/downloadbill":       {op: OpDownloadBill},
	"/tools/authcodetoopenid": {op: OpAuthCodeToOpenID, handler: (*Server).authCodeToOpenID},
	"/pay/downloadfundflow":   {op: OpDownloadFundFlow, cert: true},
	"/payitil/report":         {op: OpReport},
}

// Operation names used for fault matching and records.
const (
	OpUnifiedOrder     = "unifiedorder"
	OpMicropay         = "micropay"
	OpOrderQuery       = "orderquery"
	OpCloseOrder       = "closeorder"
	OpReverse          = "reverse"
	OpRefund           = "refund"
	OpRefundQuery      = "refundquery"
	OpDownloadBill     = "downloadbill"
	OpGetSignKey       = "getsignkey"
	OpAuthCodeToOpenID = "authcodetoopenid"
	OpDownloadFundFlow = "downloadfundflow"
	OpReport           = "report"
)

// Sandbox prefixes (§12): the classic /sandboxnew and the 2025 /xdc/apiv2sandbox, whose
// sign key comes from newSandboxKeyPath. Both share one sandbox realm and key.
const (
	sandboxPrefix     = "/sandboxnew"
	newSandboxPrefix  = "/xdc/apiv2sandbox"
	newSandboxKeyPath = "/xdc/apiv2getsignkey/sign/getsignkey"
)

// Paths returns every path the server answers, sorted.
func Paths() []string {
	var ps []string
	for p := range routes {
		ps = append(ps, p, sandboxPrefix+p)
		if p != "/pay/unifiedorder" { // §12: the new sandbox does not serve unified order
			ps = append(ps, newSandboxPrefix+p)
		}
	}
	ps = append(ps, sandboxPrefix+"/pay/getsignkey", sandboxPrefix+"/pay/refund", sandboxPrefix+"/pay/reverse",
		newSandboxKeyPath)
	sort.Strings(ps)
	return ps
}

// lookupRoute resolves a request path to its route and whether it is a sandbox path.
func lookupRoute(path string) (route, bool, bool) {
	if path == newSandboxKeyPath {
		return route{op: OpGetSignKey}, true, true
	}
	if p, ok := strings.CutPrefix(path, newSandboxPrefix); ok && p != "/pay/unifiedorder" {
		r, ok := routes[p]
		return r, true, ok
	}
	sandbox := false
	if p, ok := strings.CutPrefix(path, sandboxPrefix); ok {
		sandbox, path = true, p
		switch path {
		case "/pay/refund":
			path = "/secapi/pay/refund"
		case "/pay/reverse":
			path = "/secapi/pay/reverse"
		case "/pay/getsignkey":
			return route{op: OpGetSignKey}, true, true
		}
	}
	r, ok := routes[path]
	return r, sandbox, ok
}

// reqCtx is one authenticated request being processed.
type reqCtx struct {
	op       string
	realm    string
	p        sign.Params
	m        *Merchant
	appID    string
	key      string
	signType sign.WeChatSignType
	now      time.Time
	c        call
}

func (rc *reqCtx) v(k string) string { return rc.p.Value(k) }

// handle processes one request; method and path are the HTTP request's. A client
// certificate on /secapi/* is enforced by the engine (Route.ClientCert, §1).
func (s *Server) handle(ctx context.Context, c call, method, path string, body []byte) reply {
	rt, sandbox, ok := lookupRoute(path)
	if !ok {
		return failReply(msgXMLFormat)
	}
	fail := failReply
	if rt.op == OpDownloadBill || rt.op == OpDownloadFundFlow {
		// §9.3: the bill APIs have their own English messages and an error_code.
		fail = func(msg string) reply { return billFail(billMessage(msg), billCodeParam) }
	}
	var params sign.Params
	var decErr error
	switch {
	case len(body) > s.cfg.MaxBody || c.bodyTooLarge():
		decErr = errTooLarge
	default:
		params, decErr = decodeXML(body)
	}
	if c.identify(rt.op, params.Value("mch_id"), s.orderNoOf(params, sandbox)) {
		return reply{}
	}
	if method != http.MethodPost {
		return fail(msgRequirePost)
	}
	if decErr != nil {
		switch {
		case errors.Is(decErr, errEmptyBody):
			return fail(msgPostEmpty)
		case errors.Is(decErr, errNotUTF8):
			return fail(msgNotUTF8)
		default:
			return fail(msgXMLFormat)
		}
	}
	if rt.op == OpGetSignKey {
		return s.getSignKey(params)
	}
	realm := ""
	if sandbox {
		realm = "sandbox"
	}
	rc, msg := s.authenticate(params, realm)
	if rc == nil {
		return fail(msg)
	}
	rc.op, rc.c = rt.op, c
	switch rt.op {
	case OpDownloadBill:
		return s.downloadBill(ctx, rc)
	case OpDownloadFundFlow:
		return s.downloadFundFlow(rc)
	case OpReport:
		return s.report(rc)
	}

	s.mu.Lock()
	rc.now = s.clk.Now()
	var (
		fields sign.Params
		be     *bizError
		out    []outbound
	)
	bf, faulted := c.businessFault()
	if nt := c.negativeTest(); nt != "" && rc.realm != "" && !faulted {
		// §12: the new sandbox selects negative cases by header; the case name is taken
		// as the err_code to answer with [inferred: the case names are not documented].
		bf, faulted = businessFault{code: nt}, true
	}
	if faulted {
		fields, be, out = s.applyBusinessFault(rc, rt, bf)
	} else {
		fields, be, out = rt.handler(s, rc)
	}
	body = s.signedBody(rc, fields, be, c.corruptSignature())
	send := s.send
	s.mu.Unlock()
	for _, o := range out {
		if send != nil {
			send(o)
		}
	}
	return reply{http.StatusOK, contentTypeXML, body}
}

// orderNoOf names the merchant order a request is about, for fault matching and
// records: out_trade_no, or the order of its transaction_id, refund_id or out_refund_no.
func (s *Server) orderNoOf(p sign.Params, sandbox bool) string {
	if n := p.Value("out_trade_no"); n != "" {
		return n
	}
	realm := ""
	if sandbox {
		realm = "sandbox"
	}
	mch := p.Value("mch_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.st.findOrder(realm, mch, p.Value("transaction_id"), ""); o != nil && p.Value("transaction_id") != "" {
		return o.outTradeNo
	}
	if r := s.st.byRefundID[idKey{realm, p.Value("refund_id")}]; r != nil && r.order.mchID == mch {
		return r.order.outTradeNo
	}
	if r := s.st.refunds[refundKey{realm, mch, p.Value("out_refund_no")}]; r != nil {
		return r.order.outTradeNo
	}
	return ""
}

// authenticate checks the common fields, the merchant, the appid and the signature in
// WeChat's order (§4, §7). A failure is the return_msg of an unsigned return_code=FAIL.
func (s *Server) authenticate(p sign.Params, realm string) (*reqCtx, string) {
	for _, f := range []string{"appid", "mch_id", "nonce_str", "sign"} {
		if v := p.Value(f); v == "" || len(v) > 64 {
			return nil, missingMsg(f)
		}
	}
	if len(p.Value("nonce_str")) > 32 {
		return nil, msgNonceTooLong
	}
	st, err := sign.ParseWeChatSignType(p.Value("sign_type"))
	if err != nil {
		return nil, msgSignTypeInvalid
	}
	s.mu.Lock()
	m := s.st.merchants[p.Value("mch_id")]
	var mc Merchant
	if m != nil {
		mc = *m
	}
	appElsewhere := false
	for _, id := range s.st.merchantIDs {
		if s.st.merchants[id].hasAppID(p.Value("appid")) {
			appElsewhere = true
		}
	}
	sandboxKey := s.st.sandboxKeys[p.Value("mch_id")]
	s.mu.Unlock()
	switch {
	case m == nil:
		return nil, msgMchIDNotExist
	case !mc.hasAppID(p.Value("appid")) && appElsewhere:
		return nil, msgAppIDMchIDMatch
	case !mc.hasAppID(p.Value("appid")):
		return nil, msgAppIDNotExist
	}
	key := mc.Key
	if realm != "" {
		if sandboxKey == "" {
			return nil, msgSandboxKey
		}
		key = sandboxKey
	}
	if sign.WeChatVerify(p, key, st, p.Value("sign")) != nil {
		return nil, msgSignError
	}
	return &reqCtx{realm: realm, p: p, m: &mc, appID: p.Value("appid"), key: key, signType: st}, ""
}

// signedBody builds a return_code=SUCCESS response in WeChat's field order and signs it
// with the request's algorithm and key (§3.2); the response carries no sign_type.
func (s *Server) signedBody(rc *reqCtx, fields sign.Params, be *bizError, corrupt bool) []byte {
	if be != nil && be.protocol {
		return failReply(be.Des).body
	}
	p := make(sign.Params, 0, len(fields)+10)
	p = append(p, sign.Params{
		{Key: "return_code", Value: "SUCCESS"}, {Key: "return_msg", Value: "OK"},
		{Key: "appid", Value: rc.appID}, {Key: "mch_id", Value: rc.m.MchID},
		{Key: "nonce_str", Value: s.ids.nonce()},
		{Key: "sign", Value: ""},
	}...)
	if be != nil {
		p = append(p, sign.Params{{Key: "result_code", Value: "FAIL"},
			{Key: "err_code", Value: be.Code}, {Key: "err_code_des", Value: be.Des}}...)
	} else {
		p = append(p, sign.Param{Key: "result_code", Value: "SUCCESS"})
	}
	for _, f := range fields {
		if f.Value != "" {
			p = append(p, f)
		}
	}
	sig, err := sign.WeChatSign(p, rc.key, rc.signType)
	if err != nil {
		// Unreachable: signType was parsed by authenticate.
		return encodeXML(sign.Params{{Key: "return_code", Value: "FAIL"}, {Key: "return_msg", Value: "system error"}})
	}
	if corrupt {
		sig = corruptSign(sig)
	}
	p.Set("sign", sig)
	return encodeXML(p)
}

// corruptSign returns a well-formed signature of the same length that does not verify.
func corruptSign(sig string) string {
	b := []byte(sig)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}
