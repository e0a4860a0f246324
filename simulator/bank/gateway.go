package bank

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// Response codes (§8.1).
const (
	codeOK            = "0000"
	codeProcessing    = "0001"
	codeBadSign       = "1001"
	codeMalformed     = "1002"
	codeSerialReused  = "1003"
	codeTime          = "1004"
	codeNumberReused  = "1005"
	codeMerchant      = "1006"
	codeDecrypt       = "1007"
	codeVersion       = "1008"
	codeNoFunds       = "2001"
	codeBadCard       = "2002"
	codeLimit         = "2003"
	codeExpiredCard   = "2004"
	codeRisk          = "2005"
	codeIssuerDecline = "2006"
	codeElements      = "3001"
	codeSMSWrong      = "3002"
	codeSMSExpired    = "3003"
	codeSMSTooMany    = "3004"
	codeBindUnknown   = "3005"
	codeAlreadyBound  = "3006"
	codeProtocol      = "3007"
	codeCardType      = "3008"
	codeSMSTooOften   = "3009"
	codeNotFound      = "4001"
	codeRefundExceeds = "4002"
	codeOrigNotPaid   = "4003"
	codeRefundPeriod  = "4004"
	codeBalance       = "4005"
	codeNotReady      = "4006"
	codeBusy          = "9001"
	codeIssuerTimeout = "9002"
	codeSystem        = "9999"
)

var codeText = map[string]string{
	codeOK: "success", codeProcessing: "processing", codeBadSign: "signature invalid",
	codeMalformed: "malformed request", codeSerialReused: "reqSerial already used with different content",
	codeTime: "reqTime out of range", codeNumberReused: "business number already used",
	codeMerchant: "merchant unknown, disabled or operation not enabled", codeDecrypt: "cannot decrypt",
	codeVersion: "unsupported version or txCode", codeNoFunds: "insufficient funds",
	codeBadCard: "invalid card, or card lost, stolen or frozen", codeLimit: "amount over limit",
	codeExpiredCard: "card expired, or wrong CVN2/expiry", codeRisk: "rejected by risk control",
	codeIssuerDecline: "declined by the issuer", codeElements: "element verification failed",
	codeSMSWrong: "SMS code wrong", codeSMSExpired: "SMS code expired", codeSMSTooMany: "too many wrong SMS codes, application void",
	codeBindUnknown: "bindNo unknown or void", codeAlreadyBound: "card already bound",
	codeProtocol: "protocolNo unknown, unbound or of another user", codeCardType: "card type not supported",
	codeSMSTooOften: "SMS requested too often", codeNotFound: "transaction not found",
	codeRefundExceeds: "refund amount exceeds refundable amount", codeOrigNotPaid: "original payment not successful",
	codeRefundPeriod: "refund period exceeded", codeBalance: "merchant balance insufficient",
	codeNotReady: "statement not ready yet", codeBusy: "system busy", codeIssuerTimeout: "issuer timeout",
	codeSystem: "system error",
}

// result is a business answer before it is enveloped and signed.
type result struct {
	code, msg string
	data      []byte // JSON object text or nil
}

func res(code string, msg ...string) result {
	r := result{code: code, msg: codeText[code]}
	if len(msg) > 0 {
		r.msg = msg[0]
	}
	return r
}

func withData(code string, data map[string]any) result {
	r := res(code)
	r.data = encodeJSON(data)
	return r
}

// malformed is a 1002 naming the field (§8.1: "field name in respMsg").
func malformed(field, why string) result {
	return res(codeMalformed, "field "+field+": "+why)
}

// exchange is one gateway call in processing.
type exchange struct {
	c      *simulator.Call
	now    time.Time
	env    *envelope
	m      *mstate
	prof   profile
	tx     string
	serial string
	reqAt  time.Time
	data   map[string]string // decrypted
	out    []notice
}

var (
	reNo     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	reUserID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reAmount = regexp.MustCompile(`^[1-9][0-9]{0,10}$`)
)

// serveGateway is the handler of POST /bdc/gateway (§3, §4): decode, identify for fault
// plans, then process and answer with a signed envelope.
func (s *Server) serveGateway(c *simulator.Call) *simulator.Reply {
	if c.BodyTooLarge() {
		// The bank answers an oversized request at the HTTP level (§3): 413, nothing read.
		return plain(http.StatusRequestEntityTooLarge, "body exceeds 1 MiB")
	}
	if mt, _, err := mime.ParseMediaType(c.Request.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return plain(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	env, err := decodeEnvelope(c.Body)
	if err != nil {
		return plain(http.StatusBadRequest, "body is not a JSON object")
	}
	x := &exchange{c: c, now: c.Now(), env: env, tx: env.get("txCode"), serial: env.get("reqSerial")}
	if c.Identify(x.tx, env.get("merchantId"), businessNo(env.get("data"))) {
		return nil
	}
	r, replay := s.process(x)
	if replay {
		s.eng.Record(simulatorEvent(env.get("merchantId"), businessNo(env.get("data")), "reqSerial "+x.serial+": stored answer replayed"))
	}
	s.flush(x.out)
	return s.reply(x, r)
}

func plain(status int, msg string) *simulator.Reply {
	return &simulator.Reply{Status: status, ContentType: "text/plain; charset=utf-8", Body: []byte(msg + "\n")}
}

// businessNo names the order of a request for fault plans and records, from the clear
// part of data.
func businessNo(data string) string {
	d, _, err := decodeData(data)
	if err != nil {
		return ""
	}
	for _, k := range []string{"orderNo", "refundNo", "payoutNo", "bindNo", "protocolNo", "stmtDate"} {
		if v := d[k]; v != "" && utf8.ValidString(v) && len(v) <= 64 {
			return v
		}
	}
	return ""
}

// process runs the checks of §4–§5 and §9, then the operation. It reports whether the
// answer is a replay of a stored one.
func (s *Server) process(x *exchange) (result, bool) {
	e := x.env
	if e.bad != "" {
		return malformed(e.bad, e.badWhy), false
	}
	for _, f := range []string{"version", "merchantId", "txCode", "reqSerial", "reqTime", "signType", "certSerial", "sign"} {
		if e.get(f) == "" {
			return malformed(f, "required"), false
		}
	}
	if _, ok := e.fields["data"]; !ok {
		return malformed("data", "required"), false
	}
	switch {
	case !reMerchantID.MatchString(e.get("merchantId")):
		return malformed("merchantId", "want [A-Za-z0-9]{1,32}"), false
	case !reNo.MatchString(x.serial):
		return malformed("reqSerial", "want [A-Za-z0-9_-]{1,32}"), false
	case e.get("signType") != "SM2":
		return malformed("signType", "want SM2"), false
	case !reCertSerial.MatchString(e.get("certSerial")):
		return malformed("certSerial", "want [0-9A-Za-z]{1,40}"), false
	case e.get("version") != "1.0":
		return res(codeVersion, "unsupported version"), false
	case !knownTxCode(x.tx):
		return res(codeVersion, "unsupported txCode"), false
	}
	s.mu.Lock()
	m := s.st.merchants[e.get("merchantId")]
	s.mu.Unlock()
	if m == nil || m.cfg.Disabled || (m.cfg.ops != nil && !m.cfg.ops[x.tx]) {
		return res(codeMerchant), false
	}
	x.m, x.prof = m, m.cfg.prof
	if e.get("certSerial") != m.cfg.CertSerial {
		return res(codeBadSign, "unknown certSerial"), false
	}
	sig, err := sign.DecodeText(e.get("sign"), x.prof.text)
	if err != nil || sign.VerifySM2(m.cfg.pub, canonical(e.fields), sig, sign.SM2SignOptions{UID: x.prof.uid, Encoding: x.prof.sig}) != nil {
		return res(codeBadSign), false
	}
	at, err := time.ParseInLocation(x.prof.timeFmt, e.get("reqTime"), clock.Beijing())
	if err != nil {
		return malformed("reqTime", "want "+profileTimeName(x.prof)), false
	}
	if d := x.now.Sub(at); d > 300*time.Second || d < -300*time.Second {
		return res(codeTime), false
	}
	x.reqAt = at
	data, field, err := decodeData(e.get("data"))
	if err != nil {
		return malformed(field, err.Error()), false
	}
	if r, ok := s.openSensitive(x, data); !ok {
		return r, false
	}
	x.data = data
	fp := fingerprint(x.tx, data)

	s.mu.Lock()
	if st, ok := m.serials[x.serial]; ok {
		s.mu.Unlock()
		if st.fp != fp {
			return res(codeSerialReused), false
		}
		return result{code: st.code, msg: st.msg, data: st.data}, true // §9.1 replay
	}
	h := handlers[x.tx]
	if bf, ok := x.c.BusinessFault(); ok {
		r := faultResult(bf)
		if bf.Process {
			real := h(s, x)
			if real.code != codeBusy {
				m.serials[x.serial] = &storedAnswer{fp: fp, code: real.code, msg: real.msg, data: real.data}
			}
		}
		s.mu.Unlock()
		return r, false
	}
	r := h(s, x)
	if r.code != codeBusy { // §9.1: a 9001 was not accepted and is not stored
		m.serials[x.serial] = &storedAnswer{fp: fp, code: r.code, msg: r.msg, data: r.data}
	}
	s.mu.Unlock()
	return r, false
}

func profileTimeName(p profile) string {
	if p.timeFmt == timeDashed {
		return "yyyy-MM-dd HH:mm:ss"
	}
	return "yyyyMMddHHmmss"
}

// openSensitive decrypts the §5.1 fields in place. encKey must be present iff one of
// them is (§4.1); any failure is 1007 and nothing is processed (§5.3).
func (s *Server) openSensitive(x *exchange, data map[string]string) (result, bool) {
	has := false
	for k := range data {
		if sensitive[k] {
			has = true
		}
	}
	encKey := x.env.get("encKey")
	switch {
	case has && encKey == "":
		return malformed("encKey", "required with encrypted fields"), false
	case !has && encKey != "":
		return malformed("encKey", "present without encrypted fields"), false
	case !has:
		return result{}, true
	}
	env, err := sign.OpenEnvelope(s.encKey, encKey, x.prof.env)
	if err != nil {
		return res(codeDecrypt, "encKey cannot be decrypted"), false
	}
	for k, v := range data {
		if !sensitive[k] {
			continue
		}
		pt, err := env.OpenField(v)
		if err != nil || !utf8.Valid(pt) {
			return res(codeDecrypt, "field "+k+" cannot be decrypted"), false
		}
		data[k] = string(pt)
	}
	return result{}, true
}

// faultResult maps a business_code fault plan to a §8 code: the engine's generic codes
// to their bank meaning, a 4-digit code as itself.
func faultResult(bf simulator.BusinessFault) result {
	code := bf.Code
	switch bf.Code {
	case simulator.CodeSystemError:
		code = codeSystem
	case simulator.CodeRateLimited:
		code = codeBusy
	case simulator.CodeInsufficientFunds:
		code = codeNoFunds
	case simulator.CodeDeclined:
		code = codeIssuerDecline
	case simulator.CodeNotFound:
		code = codeNotFound
	case simulator.CodeInvalidRequest:
		code = codeMalformed
	case simulator.CodeUserPaying:
		code = codeProcessing
	case simulator.CodeOrderPaid, simulator.CodeOrderClosed:
		code = codeNumberReused
	}
	r := res(code)
	if r.msg == "" {
		r.msg = "error " + code
	}
	if bf.Message != "" {
		r.msg = bf.Message
	}
	return r
}

// reply envelopes and signs r (§4.2): echoes of what could be parsed, the bank's
// certSerial, signed with the merchant's profile (default profile when the merchant is
// unknown). A bad_signature plan makes the signature cover other bytes.
func (s *Server) reply(x *exchange, r result) *simulator.Reply {
	prof := x.prof
	if x.m == nil {
		prof, _ = Profile{}.compile()
	}
	f := map[string]string{
		"version": "1.0", "respTime": x.now.In(clock.Beijing()).Format(prof.timeFmt),
		"respCode": r.code, "respMsg": r.msg, "signType": "SM2", "certSerial": BankCertSerial,
	}
	for _, k := range []string{"merchantId", "txCode", "reqSerial"} {
		if v := x.env.get(k); v != "" && utf8.ValidString(v) && len(v) <= 64 {
			f[k] = v
		}
	}
	if len(r.data) > 0 {
		f["data"] = string(r.data)
	}
	f["sign"] = s.signFields(f, prof, x.c.CorruptSignature(), s.signKey)
	return &simulator.Reply{ContentType: "application/json; charset=utf-8", Body: encodeJSON(f)}
}

// signFields signs the canonical string of f (sign excluded) with key in the profile's
// encoding. corrupt signs different bytes, so the answer looks right but fails
// verification.
func (s *Server) signFields(f map[string]string, prof profile, corrupt bool, key *sign.SM2PrivateKey) string {
	g := make(map[string]string, len(f))
	for k, v := range f {
		if k != "sign" {
			g[k] = v
		}
	}
	msg := canonical(g)
	if corrupt {
		msg = append(msg, '#')
	}
	sig, err := sign.SignSM2(key, msg, sign.SM2SignOptions{UID: prof.uid, Encoding: prof.sig})
	if err != nil {
		return ""
	}
	out, _ := sign.EncodeText(sig, prof.text)
	return out
}

// handlers are the operations by txCode; each runs with s.mu held.
var handlers map[string]func(*Server, *exchange) result

func init() {
	handlers = map[string]func(*Server, *exchange) result{
		TxBindApply: (*Server).bindApply, TxBindSMSResend: (*Server).bindResend, TxBindConfirm: (*Server).bindConfirm,
		TxUnbind: (*Server).unbind, TxBindQuery: (*Server).bindQuery,
		TxPay: (*Server).pay, TxPayQuery: (*Server).payQuery, TxRefund: (*Server).refund, TxRefundQuery: (*Server).refundQuery,
		TxPayout: (*Server).payout, TxPayoutQuery: (*Server).payoutQuery, TxBalanceQuery: (*Server).balanceQuery,
		TxStmtApply: (*Server).stmtApply,
	}
}

// field reads a data field: required or not, checked against re when present. The
// error names the field, never its value.
func (x *exchange) field(name string, required bool, re *regexp.Regexp, want string) (string, *result) {
	v, ok := x.data[name]
	if !ok || v == "" {
		if required {
			r := malformed(name, "required")
			return "", &r
		}
		return "", nil
	}
	if re != nil && !re.MatchString(v) {
		r := malformed(name, "want "+want)
		return "", &r
	}
	return v, nil
}

// claim records that number (of kind) was created by this reqSerial; another serial
// reusing it gets 1005 (§9.2).
func (x *exchange) claim(kind, number string) bool {
	k := kind + ":" + number
	if prev, ok := x.m.bizNos[k]; ok && prev != x.serial {
		return false
	}
	x.m.bizNos[k] = x.serial
	return true
}

func (x *exchange) wireTime(t time.Time) string { return t.In(clock.Beijing()).Format(timeCompact) }

func fen(n int64) string { return fmt.Sprint(n) }

// cleanName trims outer spaces of a holder name and checks §13: 1–30 characters of CJK,
// '·' or upper-case Latin letters and spaces.
func cleanName(v string) (string, bool) {
	v = strings.TrimSpace(v)
	n := utf8.RuneCountInString(v)
	if n < 1 || n > 30 {
		return "", false
	}
	for _, r := range v {
		switch {
		case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r == '·', r >= 'A' && r <= 'Z', r == ' ':
		default:
			return "", false
		}
	}
	return v, true
}
