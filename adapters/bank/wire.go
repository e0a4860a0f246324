package bank

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

// Wire time formats (§5.4 timeFormat).
const (
	timeCompact = "20060102150405"
	timeDashed  = "2006-01-02 15:04:05"
)

// sensitiveFields travel in the digital envelope (§5.1).
var sensitiveFields = map[string]bool{"cardNo": true, "holderName": true, "idNo": true, "mobile": true, "cvn2": true, "expiry": true}

// wireConfig is what the wire layer needs; the adapter's Config fills it. The variant
// knobs (§5.4) default to the values of §4–§5.
type wireConfig struct {
	MerchantID string // [A-Za-z0-9]{1,32}
	CertSerial string // the merchant's signing key serial
	// MerchantKey signs requests; DecryptKey (default MerchantKey) opens an encKey the
	// bank wraps for the merchant (§4.2).
	MerchantKey, DecryptKey *sign.SM2PrivateKey
	// BankSignKey verifies answers and notifications; BankEncKey wraps our session keys.
	BankSignKey, BankEncKey *sign.SM2PublicKey
	// BankCertSerial, when set, must match the certSerial of answers.
	BankCertSerial string

	SM2ID      string              // "" = 1234567812345678
	Signature  sign.SM2SigEncoding // DER (default) or raw r‖s
	Text       sign.TextEncoding   // base64 (default), hex lower/upper: sign, encKey, fields
	KeyWrap    sign.SM2CipherOptions
	SM4Mode    sign.SM4Mode
	SM4FixedIV []byte
	ExpiryMMYY bool   // expiry sent as MMYY instead of YYMM
	TimeFormat string // "" = yyyyMMddHHmmss; or "yyyy-MM-dd HH:mm:ss"
}

// wire builds and checks envelopes. Safe for concurrent use.
type wire struct {
	cfg     wireConfig
	uid     []byte
	timeFmt string
	env     sign.EnvelopeOptions
	// test hooks: randomness of the session key and IVs, the SM2 key wrap and signing.
	randEnv  func() io.Reader
	randWrap func() io.Reader
	randSign func() io.Reader
}

func newWire(c wireConfig) (*wire, error) {
	switch {
	case c.MerchantID == "" || len(c.MerchantID) > 32 || !alnum(c.MerchantID, false):
		return nil, errors.New("bank config: field MerchantID: want 1 to 32 letters or digits")
	case c.CertSerial == "" || len(c.CertSerial) > 40 || !alnum(c.CertSerial, false):
		return nil, errors.New("bank config: field CertSerial: want 1 to 40 letters or digits")
	case c.MerchantKey == nil:
		return nil, errors.New("bank config: field MerchantKey: required")
	case c.BankSignKey == nil:
		return nil, errors.New("bank config: field BankSignKey: required")
	case c.BankEncKey == nil:
		return nil, errors.New("bank config: field BankEncKey: required")
	case c.Signature != sign.SM2SigDER && c.Signature != sign.SM2SigRaw:
		return nil, errors.New("bank config: field Signature: want DER or raw")
	case c.Text < sign.TextBase64 || c.Text > sign.TextHexUpper:
		return nil, errors.New("bank config: field Text: want base64, hex-lower or hex-upper")
	}
	if c.DecryptKey == nil {
		c.DecryptKey = c.MerchantKey
	}
	w := &wire{cfg: c, uid: []byte(sign.DefaultSM2UID), timeFmt: timeCompact,
		env:     sign.EnvelopeOptions{Mode: c.SM4Mode, FixedIV: c.SM4FixedIV, Text: c.Text, KeyWrap: c.KeyWrap},
		randEnv: func() io.Reader { return rand.Reader }, randWrap: func() io.Reader { return rand.Reader },
		randSign: func() io.Reader { return rand.Reader }}
	if c.SM2ID != "" {
		w.uid = []byte(c.SM2ID)
	}
	switch c.TimeFormat {
	case "", "yyyyMMddHHmmss":
	case "yyyy-MM-dd HH:mm:ss":
		w.timeFmt = timeDashed
	default:
		return nil, fmt.Errorf("bank config: field TimeFormat %q: want yyyyMMddHHmmss or yyyy-MM-dd HH:mm:ss", c.TimeFormat)
	}
	if _, err := sign.NewEnvelopeWithKey(make([]byte, 16), w.env); err != nil { // validates the SM4 knobs
		return nil, fmt.Errorf("bank config: fields SM4Mode/SM4FixedIV/Text: %v", err)
	}
	return w, nil
}

func alnum(s string, extra bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || extra && (c == '_' || c == '-')) {
			return false
		}
	}
	return true
}

// request is one operation to send. Data holds every business field in clear; the
// sensitive ones (§5.1) are sealed by seal. An empty Data sends "{}".
type request struct {
	TxCode    string
	ReqSerial string
	ReqTime   time.Time
	Data      map[string]string
}

// errSecret keeps a sealing failure from carrying the value into an error message.
var errSecret = errors.New("bank: cannot seal a sensitive field")

// seal builds the signed request envelope (§4.1, §4.3, §5.2): sensitive fields sealed with
// a fresh session key (sorted by name, so IVs are drawn in a fixed order), data as compact
// JSON with sorted keys, every member a string, the signature over the canonical string.
// It returns the JSON body.
func (w *wire) seal(r request) ([]byte, error) {
	if !validSerial(r.ReqSerial) {
		return nil, fmt.Errorf("bank request: field reqSerial: want 1 to 32 of [A-Za-z0-9_-]")
	}
	data := make(map[string]string, len(r.Data))
	var secret []string
	for k, v := range r.Data {
		if sensitiveFields[k] {
			secret = append(secret, k)
			continue
		}
		data[k] = v
	}
	f := map[string]string{"version": "1.0", "merchantId": w.cfg.MerchantID, "txCode": r.TxCode,
		"reqSerial": r.ReqSerial, "reqTime": r.ReqTime.In(clock.Beijing()).Format(w.timeFmt),
		"signType": "SM2", "certSerial": w.cfg.CertSerial}
	if len(secret) > 0 {
		sort.Strings(secret)
		opts := w.env
		opts.Rand = w.randEnv()
		opts.KeyWrap.Rand = w.randWrap()
		ev, err := sign.NewEnvelope(opts)
		if err != nil {
			return nil, fmt.Errorf("bank request %s: session key: %w", r.TxCode, errSecret)
		}
		for _, k := range secret {
			v := r.Data[k]
			if k == "expiry" && w.cfg.ExpiryMMYY && len(v) == 4 { // callers pass YYMM (§5.4)
				v = v[2:] + v[:2]
			}
			sv, err := ev.SealField([]byte(v))
			if err != nil {
				return nil, fmt.Errorf("bank request %s: field %s: %w", r.TxCode, k, errSecret)
			}
			data[k] = sv
		}
		if f["encKey"], err = ev.WrapKey(w.cfg.BankEncKey); err != nil {
			return nil, fmt.Errorf("bank request %s: encKey: %v", r.TxCode, err)
		}
	}
	f["data"] = string(encodeJSON(data))
	sig, err := sign.SignSM2(w.cfg.MerchantKey, canonical(f), sign.SM2SignOptions{UID: w.uid, Encoding: w.cfg.Signature, Rand: w.randSign()})
	if err != nil {
		return nil, fmt.Errorf("bank request %s: sign: %v", r.TxCode, err)
	}
	if f["sign"], err = sign.EncodeText(sig, w.cfg.Text); err != nil {
		return nil, err
	}
	return encodeJSON(f), nil
}

func validSerial(s string) bool { return s != "" && len(s) <= 32 && alnum(s, true) }

// canonical is §4.3: every member but sign, empty values dropped, sorted by key, k=v
// joined by &, values byte for byte as sent.
func canonical(f map[string]string) []byte {
	p := make(sign.Params, 0, len(f))
	for k, v := range f {
		p = append(p, sign.Param{Key: k, Value: v})
	}
	p.Sort()
	return sign.AppendCanonical(nil, p, sign.BankDirectCanonical())
}

// encodeJSON marshals compactly, sorted map keys, no HTML escaping.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// responseFields are the members an answer or notification may carry (§4.2).
var responseFields = map[string]bool{"version": true, "merchantId": true, "txCode": true, "reqSerial": true,
	"respTime": true, "respCode": true, "respMsg": true, "signType": true, "certSerial": true, "encKey": true,
	"data": true, "sign": true}

// errUnverified marks an answer that cannot be trusted: not a JSON object of strings,
// unsigned, badly signed, or echoing another request. For money-moving operations the
// caller must treat it as an unknown outcome (§8.2).
var errUnverified = errors.New("bank: answer not verifiable")

// response is a verified answer or notification.
type response struct {
	Fields map[string]string // every member as received
	Code   string            // respCode
	Msg    string            // respMsg
	Data   map[string]any    // data parsed (values: strings, or []any for bindings); nil when absent
	Time   time.Time         // respTime
}

func (r *response) str(k string) string {
	v, _ := r.Data[k].(string)
	return v
}

// open verifies and decodes an answer to req (§4.2, §4.3, §8.2): the signature is checked
// over the members exactly as received before anything else is read; then the echoes of
// merchantId, txCode and reqSerial must match; then data (and, when present, the encKey
// wrapped for us) is decoded. Every failure wraps errUnverified and carries no content of
// the answer beyond field names.
func (w *wire) open(body []byte, req request) (*response, error) {
	r, err := w.verify(body)
	if err != nil {
		return nil, err
	}
	// An error answer may omit echoes it could not parse (§4.2); success and processing
	// answers must echo all three, and any echo present must match (§8.2).
	final := r.Code == "0000" || r.Code == "0001"
	for _, k := range []string{"merchantId", "txCode", "reqSerial"} {
		want := map[string]string{"merchantId": w.cfg.MerchantID, "txCode": req.TxCode, "reqSerial": req.ReqSerial}[k]
		got, ok := r.Fields[k]
		if (ok || final) && got != want {
			return nil, fmt.Errorf("bank answer: field %s does not echo the request: %w", k, errUnverified)
		}
	}
	for _, k := range []string{"bindNo", "orderNo", "refundNo", "payoutNo"} {
		if want, ok := req.Data[k]; ok && r.Data != nil {
			if got, has := r.Data[k]; has && got != want {
				return nil, fmt.Errorf("bank answer: field data.%s does not echo the request: %w", k, errUnverified)
			}
		}
	}
	return r, nil
}

// openNotification verifies a notification (§10): signed like an answer, for our
// merchantId, respCode 0000, txCode one of the *_RESULT codes.
func (w *wire) openNotification(body []byte) (*response, error) {
	r, err := w.verify(body)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Fields["merchantId"] != w.cfg.MerchantID:
		return nil, fmt.Errorf("bank notification: field merchantId is not ours: %w", errUnverified)
	case r.Fields["txCode"] != "PAY_RESULT" && r.Fields["txCode"] != "REFUND_RESULT" && r.Fields["txCode"] != "PAYOUT_RESULT":
		return nil, fmt.Errorf("bank notification: field txCode: not a *_RESULT code: %w", errUnverified)
	case r.Code != "0000" || r.Fields["reqSerial"] == "":
		return nil, fmt.Errorf("bank notification: fields respCode/reqSerial: %w", errUnverified)
	}
	return r, nil
}

func (w *wire) verify(body []byte) (*response, error) {
	f, err := decodeStrings(body, responseFields)
	if err != nil {
		return nil, fmt.Errorf("bank answer: %v: %w", err, errUnverified)
	}
	if f["signType"] != "SM2" || f["sign"] == "" {
		return nil, fmt.Errorf("bank answer: fields signType/sign: unsigned: %w", errUnverified)
	}
	if w.cfg.BankCertSerial != "" && f["certSerial"] != w.cfg.BankCertSerial {
		return nil, fmt.Errorf("bank answer: field certSerial: not the bank's signing key: %w", errUnverified)
	}
	sig, err := sign.DecodeText(f["sign"], w.cfg.Text)
	if err != nil {
		return nil, fmt.Errorf("bank answer: field sign: not %s: %w", textName(w.cfg.Text), errUnverified)
	}
	if err := sign.VerifySM2(w.cfg.BankSignKey, canonical(f), sig, sign.SM2SignOptions{UID: w.uid, Encoding: w.cfg.Signature}); err != nil {
		return nil, fmt.Errorf("bank answer: signature does not verify: %w", errUnverified)
	}
	r := &response{Fields: f, Code: f["respCode"], Msg: f["respMsg"]}
	if len(r.Code) != 4 || !alnum(r.Code, false) {
		return nil, fmt.Errorf("bank answer: field respCode: want 4 digits: %w", errUnverified)
	}
	if t, err := time.ParseInLocation(w.timeFmt, f["respTime"], clock.Beijing()); err == nil {
		r.Time = t
	}
	if d := f["data"]; d != "" {
		dec := json.NewDecoder(strings.NewReader(d))
		if err := dec.Decode(&r.Data); err != nil || r.Data == nil || dec.More() {
			return nil, fmt.Errorf("bank answer: field data: not a JSON object: %w", errUnverified)
		}
	}
	if ek := f["encKey"]; ek != "" {
		if err := w.openData(ek, r.Data); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// openData decrypts the sensitive fields of data in place with the session key the bank
// wrapped for us (§4.2, §5.3).
func (w *wire) openData(encKey string, data map[string]any) error {
	ev, err := sign.OpenEnvelope(w.cfg.DecryptKey, encKey, w.env)
	if err != nil {
		return fmt.Errorf("bank answer: field encKey: does not decrypt: %w", errUnverified)
	}
	for k, v := range data {
		s, ok := v.(string)
		if !ok || !sensitiveFields[k] {
			continue
		}
		pt, err := ev.OpenField(s)
		if err != nil || !utf8.Valid(pt) {
			return fmt.Errorf("bank answer: field data.%s: does not decrypt: %w", k, errUnverified)
		}
		data[k] = string(pt)
	}
	return nil
}

func textName(t sign.TextEncoding) string {
	switch t {
	case sign.TextHexLower:
		return "lower-case hex"
	case sign.TextHexUpper:
		return "upper-case hex"
	}
	return "base64"
}

// decodeStrings reads body as one JSON object whose members are all strings, each at most
// once and each in allowed. Errors name the member, never a value.
func decodeStrings(body []byte, allowed map[string]bool) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("not a JSON object")
		}
		name := k
		if !allowed[k] {
			name = "(unexpected)"
		}
		var v string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
			return nil, fmt.Errorf("member %s is not a string", name)
		}
		if !allowed[k] {
			return nil, errors.New("unexpected member")
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("member %s appears twice", k)
		}
		out[k] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing content after the object")
	}
	return out, nil
}
