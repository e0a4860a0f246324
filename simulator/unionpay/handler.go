package unionpay

import (
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// Endpoints (unionpay.md §1).
const (
	PathFront   = "/gateway/api/frontTransReq.do"
	PathBack    = "/gateway/api/backTransReq.do"
	PathApp     = "/gateway/api/appTransReq.do"
	PathQuery   = "/gateway/api/queryTrans.do"
	PathCard    = "/gateway/api/cardTransReq.do"
	PathBatch   = "/gateway/api/batchTrans.do"
	PathFile    = "/filedownload" // the file host's "/" on a shared listener; any Host
	FileHostPfx = "filedownload."
)

type endpoint string

const (
	epFront endpoint = "front"
	epBack  endpoint = "back"
	epApp   endpoint = "app"
	epQuery endpoint = "query"
	epFile  endpoint = "file"
	epCard  endpoint = "card"
)

// exchange is one call being answered.
type exchange struct {
	c      *simulator.Call
	r      *request
	ep     endpoint
	op     string
	now    time.Time
	m      *Merchant
	method string // signMethod of the request, used for the answer
}

// opName names a call for fault plans and records.
func opName(ep endpoint, txnType, sub, biz string) string {
	switch ep {
	case epQuery:
		return "query"
	case epFile:
		return "file"
	case epCard:
		return "card"
	}
	switch txnType {
	case ttConsume:
		if ep == epBack {
			return "consume"
		}
		if biz == bizToken {
			return "consume.open" // open-and-consume (开通并付款)
		}
		return "consume." + string(ep)
	case ttPreAuth:
		return "preauth." + string(ep)
	case ttUndo:
		return "undo"
	case ttRefund:
		return "refund"
	case ttPreAuthUndo:
		return "preauth.undo"
	case ttComplete:
		return "preauth.complete"
	case ttCompleteUndo:
		return "preauth.complete_undo"
	case ttSMS:
		if sub == "00" {
			return "sms.open"
		}
		return "sms.consume"
	case ttOpen:
		switch sub {
		case "03":
			return "token.update"
		case "05":
			return "token.apply"
		}
		if ep == epFront {
			return "token.open.front"
		}
		return "token.open"
	case ttOpenQuery:
		return "token.open_query"
	case ttDeleteToken:
		return "token.delete"
	case ttEncCert:
		return "cert.update"
	case ttQuery:
		return "query"
	}
	return "txn" + txnType
}

func (s *Server) handler(ep endpoint) simulator.Handler {
	return func(c *simulator.Call) *simulator.Reply { return s.handle(c, ep) }
}

func (s *Server) handle(c *simulator.Call, ep endpoint) *simulator.Reply {
	r, err := decodeForm(c.Body)
	if err != nil {
		if c.Identify(string(ep), "", "") {
			return nil
		}
		return s.unsigned(ep, "10", err.Error())
	}
	x := &exchange{c: c, r: r, ep: ep, now: c.Now()}
	x.op = opName(ep, r.str("txnType"), r.str("txnSubType"), r.str("bizType"))
	if c.Identify(x.op, r.str("merId"), r.str("orderId")) {
		return nil
	}
	if code, msg := s.check(x); code != "" {
		return s.answer(x, code, msg, nil)
	}
	if ep == epCard {
		return s.answer(x, "32", msgOf("32")+" card-present and batch transactions are not simulated", nil)
	}
	if bf, ok := c.BusinessFault(); ok && !bf.Process {
		code, msg := faultCode(bf)
		return s.answer(x, code, msg, nil)
	}
	return s.dispatch(x)
}

// dispatch runs the operation; the request has passed the common checks.
func (s *Server) dispatch(x *exchange) *simulator.Reply {
	t, sub := x.r.str("txnType"), x.r.str("txnSubType")
	switch x.ep {
	case epQuery:
		if t != ttQuery {
			return s.answer(x, "10", "报文格式错误: txnType "+t+" is not a query (want 00)", nil)
		}
		return s.query(x)
	case epFile:
		if t != ttFile {
			return s.answer(x, "10", "报文格式错误: txnType "+t+" on the file host (want 76)", nil)
		}
		return s.fileTransfer(x)
	case epFront, epApp:
		switch t {
		case ttConsume, ttPreAuth:
			return s.frontOrder(x)
		case ttOpen:
			if x.ep == epFront && sub == "00" {
				return s.frontOrder(x)
			}
		}
		return s.answer(x, "32", msgOf("32")+" txnType "+t+"/"+sub+" on "+string(x.ep), nil)
	}
	switch t {
	case ttSMS:
		return s.sendSMS(x)
	case ttOpen:
		switch sub {
		case "00":
			return s.backOpen(x)
		case "03":
			return s.updateToken(x)
		case "05":
			return s.applyToken(x)
		}
	case ttOpenQuery:
		return s.openQuery(x)
	case ttDeleteToken:
		return s.deleteToken(x)
	case ttConsume:
		return s.tokenConsume(x)
	case ttUndo, ttRefund, ttPreAuthUndo, ttComplete, ttCompleteUndo:
		return s.followUp(x)
	case ttEncCert:
		return s.encCert(x)
	}
	return s.answer(x, "32", msgOf("32")+" txnType "+t+"/"+sub+" on backTransReq", nil)
}

// check applies the rules every request follows (unionpay.md §2, §3, §5): version,
// signMethod, a known merchant, the signature, txnTime and orderId formats. It returns
// the respCode and message of the first violation, or "".
func (s *Server) check(x *exchange) (code, msg string) {
	r := x.r
	for _, f := range []string{"version", "signMethod", "merId", "txnType", "txnSubType", "bizType", "txnTime", "signature"} {
		if r.str(f) == "" {
			return "13", msgOf("13") + ": " + f + " is required"
		}
	}
	if v := r.str("version"); v != version5_1 {
		return "10", "报文格式错误: version " + v + " is not simulated (want 5.1.0)"
	}
	if e := r.str("encoding"); e != "" && e != "UTF-8" && e != "utf-8" {
		return "10", "报文格式错误: encoding " + e + " is not simulated (want UTF-8)"
	}
	x.method = r.str("signMethod")
	s.mu.Lock()
	m := s.st.merchants[r.str("merId")]
	s.mu.Unlock()
	if m == nil {
		x.method = ""
		return "31", msgOf("31") + ": unknown merId " + r.str("merId")
	}
	x.m = m
	if code, msg := s.verify(x); code != "" {
		return code, msg
	}
	if _, err := parseTxnTime(r.str("txnTime")); err != nil {
		return "10", "报文格式错误: txnTime: " + err.Error()
	}
	if tol := s.cfg.TxnTimeTolerance; tol > 0 {
		tt, _ := parseTxnTime(r.str("txnTime"))
		if d := x.now.Sub(tt); d > tol || d < -tol {
			return "10", "报文格式错误: txnTime 无效 (more than " + tol.String() + " from the gateway clock)"
		}
	}
	if x.ep != epFile {
		o := r.str("orderId")
		if o == "" {
			return "13", msgOf("13") + ": orderId is required"
		}
		if len(o) < 8 || len(o) > 40 || !alnum(o) {
			return "10", "报文格式错误: orderId must be 8 to 40 letters or digits"
		}
	}
	return "", ""
}

// verify checks the request's signature with the merchant's certificate or secure key.
func (s *Server) verify(x *exchange) (code, msg string) {
	r, m := x.r, x.m
	sig := r.str("signature")
	var check func(canonical []byte) error
	switch x.method {
	case sign.UnionPaySignMethodRSA:
		if m.rsaPub == nil {
			return "11", msgOf("11") + ": signMethod 01 is not enabled for this merchant"
		}
		if r.str("certId") != m.rsaCertID {
			return "11", msgOf("11") + ": certId " + r.str("certId") + " is not the merchant's signing certificate"
		}
		check = func(b []byte) error { return sign.UnionPayVerifyRSA(m.rsaPub, b, sig) }
	case sign.UnionPaySignMethodSM2:
		if m.sm2Pub == nil {
			return "11", msgOf("11") + ": signMethod 21 is not enabled for this merchant"
		}
		if r.str("certId") != m.sm2CertID {
			return "11", msgOf("11") + ": certId " + r.str("certId") + " is not the merchant's SM2 signing certificate"
		}
		check = func(b []byte) error { return sign.UnionPayVerifySM2(m.sm2Pub, m.sm2CertID, b, sig) }
	case sign.UnionPaySignMethodSHA256Key, sign.UnionPaySignMethodSM3Key:
		if m.SecureKey == "" {
			return "11", msgOf("11") + ": signMethod " + x.method + " is not enabled for this merchant"
		}
		check = func(b []byte) error { return sign.UnionPaySecureKeyVerify(x.method, b, m.SecureKey, sig) }
	default:
		bad := x.method
		x.method = ""
		return "10", "报文格式错误: signMethod " + bad + " (want 01, 11, 12 or 21)"
	}
	err := check([]byte(sign.Canonical(r.p, sign.UnionPayCanonical())))
	if err != nil && hasEmpty(r.p) {
		// The SDKs drop blank fields before signing; a client that signed them as "k="
		// is accepted too (§5.1).
		err = check([]byte(sign.Canonical(r.p, sign.CanonicalOptions{Exclude: []string{"signature"}, KeepEmpty: true})))
	}
	if err != nil {
		return "11", msgOf("11")
	}
	return "", ""
}

func hasEmpty(p sign.Params) bool {
	for _, kv := range p {
		if kv.Value == "" {
			return true
		}
	}
	return false
}

// echoFields are copied from the request into every answer (unionpay.md §3).
var echoFields = []string{"version", "encoding", "bizType", "txnType", "txnSubType", "accessType", "merId", "orderId", "txnTime", "reqReserved", "txnAmt", "currencyCode"}

// answer is a signed `k=v` answer with respCode/respMsg, the echoed request fields and
// extra. Front-channel errors are an HTML page, as the real cashier shows them.
func (s *Server) answer(x *exchange, code, msg string, extra sign.Params) *simulator.Reply {
	if x.ep == epFront {
		return errorPage(code, msg)
	}
	p := make(sign.Params, 0, len(echoFields)+len(extra)+6)
	for _, f := range echoFields {
		if v := x.r.str(f); v != "" {
			p = append(p, sign.Param{Key: f, Value: v})
		}
	}
	for _, kv := range extra {
		p.Set(kv.Key, kv.Value)
	}
	p.Set("respCode", code)
	p.Set("respMsg", msg)
	if x.m == nil || x.method == "" {
		return &simulator.Reply{ContentType: contentText, Body: encodeLine(p)}
	}
	p.Set("signMethod", x.method)
	return &simulator.Reply{ContentType: contentText, Body: encodeLine(s.sign(p, x.method, x.m, x.c.CorruptSignature()))}
}

// unsigned answers a request that could not be read: no merchant, no signMethod.
func (s *Server) unsigned(ep endpoint, code, msg string) *simulator.Reply {
	if ep == epFront {
		return errorPage(code, msg)
	}
	return &simulator.Reply{ContentType: contentText, Body: encodeLine(sign.Params{{Key: "respCode", Value: code}, {Key: "respMsg", Value: msg}})}
}

// sign adds signPubKeyCert (01, 21) and signature to p (unionpay.md §5). A corrupt
// signature is made over other bytes, so it looks right but does not verify.
func (s *Server) sign(p sign.Params, method string, m *Merchant, corrupt bool) sign.Params {
	p.Del("signature")
	i := 0
	if s.rotated.Load() {
		i = 1
	}
	switch method {
	case sign.UnionPaySignMethodRSA:
		p.Set("signPubKeyCert", s.keys.rsa[i].certPEM)
	case sign.UnionPaySignMethodSM2:
		p.Set("signPubKeyCert", s.keys.sm2[i].certPEM)
	}
	p.Sort()
	canonical := []byte(sign.Canonical(p, sign.UnionPayCanonical()))
	if corrupt {
		canonical = append(canonical, "&corrupted=true"...)
	}
	var sig string
	var err error
	switch method {
	case sign.UnionPaySignMethodRSA:
		sig, err = sign.UnionPaySignRSA(s.keys.rsa[i].key, canonical)
	case sign.UnionPaySignMethodSM2:
		sig, err = sign.UnionPaySignSM2(s.keys.sm2[i].key, s.keys.sm2[i].certID, canonical)
	default:
		sig, err = sign.UnionPaySecureKeySign(method, canonical, m.SecureKey)
	}
	if err != nil {
		s.eng.Logger().Error("unionpay: signing failed", "err", err)
	}
	p = append(p, sign.Param{Key: "signature", Value: sig})
	return p
}

// amountOf reads txnAmt: 1 to 12 digits of fen, positive.
func amountOf(r *request) (int64, string) {
	a := r.str("txnAmt")
	if a == "" {
		return 0, "txnAmt is required"
	}
	if len(a) > 12 || !digits(a) {
		return 0, "txnAmt must be 1 to 12 digits of fen"
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil || n <= 0 {
		return 0, "txnAmt must be positive"
	}
	if c := r.str("currencyCode"); c != "156" {
		return 0, "currencyCode must be 156 (CNY)"
	}
	return n, ""
}
