package unionpay

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tongdao/tongdao/adapters/sign"
)

// errSignature is an answer or notification whose signature or signing certificate does
// not check out (channel.KindSignature). Its text never carries field values.
var errSignature = errors.New("unionpay: signature not verified")

// maxSigners bounds the cache of validated UnionPay signing certificates: UnionPay
// rotates yearly, so a handful covers any overlap; forged certificates never enter it.
const maxSigners = 8

// trustConfig is what the merchant trusts: UnionPay's root and middle certificates for
// RSA (acp_prod_root.cer, acp_prod_middle.cer) and SM2, and the secure key for answers
// to 11/12 requests.
type trustConfig struct {
	roots, middles       []*x509.Certificate
	sm2Roots, sm2Middles []*sign.SM2Certificate
	// relaxCN accepts the test identities (00040000:SIGN, ZunionpayTest) besides
	// 中国银联股份有限公司, as the SDK's ifValidateCNName=false does.
	relaxCN   bool
	secureKey string
}

// signerCert is one validated UnionPay signing certificate.
type signerCert struct {
	certID              string
	rsa                 *rsa.PublicKey
	sm2                 *sign.SM2PublicKey
	notBefore, notAfter time.Time
}

// trust verifies answers and notifications (unionpay.md §5.2, §5.4, §8). A certificate
// in signPubKeyCert is validated once (dates, chain to a root via a middle certificate,
// the CN rule) and then cached by its PEM text and by certId, so a rotated certificate is
// picked up without configuration (only the root and middle must be current), and a
// message naming a known certId without carrying the certificate still verifies. Safe for
// concurrent use.
type trust struct {
	cfg      trustConfig
	mu       sync.RWMutex
	byPEM    map[string]*signerCert
	byCertID map[string]*signerCert
	order    []string                // PEMs in insertion order, for eviction
	lastPEM  atomic.Pointer[formPEM] // the last form-encoded signPubKeyCert (notify.go)
	// lastSigner short-cuts signer for the certificate of the last message.
	lastSigner atomic.Pointer[lastSigner]
}

func newTrust(cfg trustConfig) (*trust, error) {
	if len(cfg.roots) == 0 && len(cfg.sm2Roots) == 0 && cfg.secureKey == "" {
		return nil, errors.New("unionpay: field RootCert: a root certificate (or SM2RootCert, or SecureKey) is required to verify answers")
	}
	return &trust{cfg: cfg, byPEM: map[string]*signerCert{}, byCertID: map[string]*signerCert{}}, nil
}

// verified is a message whose signature has been checked: fields are read only from it
// (verify before read). p is sorted by key.
type verified struct{ p sign.Params }

// get returns the value of field k ("" when absent).
func (v *verified) get(k string) string {
	lo, hi := 0, len(v.p)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v.p[m].Key < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(v.p) && v.p[lo].Key == k {
		return v.p[lo].Value
	}
	return ""
}

// verify checks a received message, all of whose fields but signature are signed
// (unionpay.md §5.1: all received fields, never a whitelist).
// p must be sorted with unique keys (parseLine, decodeNotification, fieldsOf).
func (t *trust) verify(p sign.Params, now time.Time) (*verified, error) {
	f := &verified{p: p} // read only the fields that select the check
	sig := f.get("signature")
	if sig == "" {
		return nil, fmt.Errorf("%w: no signature", errSignature)
	}
	method := f.get("signMethod")
	var sc *signerCert
	switch method {
	case methodRSA, methodSM2:
		var err error
		if sc, err = t.signer(method, f.get("signPubKeyCert"), f.get("certId"), now); err != nil {
			return nil, err
		}
	case methodSHA256, methodSM3:
		if t.cfg.secureKey == "" {
			return nil, fmt.Errorf("%w: signMethod %s but no secure key configured", errSignature, method)
		}
	default:
		return nil, fmt.Errorf("%w: signMethod %q", errSignature, method)
	}
	// The signed string is built in a pooled buffer: a stack array would escape through
	// the verifiers and cost a zeroed 4 KB allocation per message.
	bp := canonicalPool.Get().(*[]byte)
	defer canonicalPool.Put(bp)
	buf := sign.AppendCanonical((*bp)[:0], p, sign.UnionPayCanonical())
	*bp = buf
	if t.check(method, sc, buf, sig) ||
		// A signer that kept blank fields as "k=" (§5.1: the verifier signs over what was
		// received) is accepted too.
		hasBlank(p) && t.check(method, sc, sign.AppendCanonical(buf[:0], p, sign.CanonicalOptions{Exclude: []string{"signature"}, KeepEmpty: true}), sig) {
		return f, nil
	}
	return nil, fmt.Errorf("%w: signMethod %s", errSignature, method)
}

// check verifies sig over canonical. For 01 the digest and the base64 signature are
// decoded here into stack buffers (the common case); anything unusual, such as base64
// with line breaks, goes through adapters/sign's tolerant path.
func (t *trust) check(method string, sc *signerCert, canonical []byte, sig string) bool {
	switch method {
	case methodRSA:
		var raw [512]byte
		var src [684]byte // base64 of 512 bytes, on the stack
		if len(sig) <= len(src) {
			if n, err := base64.StdEncoding.Decode(raw[:], append(src[:0], sig...)); err == nil && n == sc.rsa.Size() {
				// §5.2: SHA256withRSA over the 64 ASCII bytes of lower-hex SHA-256(canonical).
				var d [64]byte
				h := sha256.Sum256(canonical)
				hex.Encode(d[:], h[:])
				return sign.VerifyRSA2(sc.rsa, d[:], raw[:n]) == nil
			}
		}
		return sign.UnionPayVerifyRSA(sc.rsa, canonical, sig) == nil
	case methodSM2:
		return sign.UnionPayVerifySM2(sc.sm2, sc.certID, canonical, sig) == nil
	}
	return sign.UnionPaySecureKeyVerify(method, canonical, t.cfg.secureKey, sig) == nil
}

// canonicalPool holds the buffers signed strings are built in (answers and notifications
// are 2–4 KB).
var canonicalPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func hasBlank(p sign.Params) bool {
	for _, kv := range p {
		if kv.Value == "" {
			return true
		}
	}
	return false
}

// signer returns the validated certificate of signPubKeyCert, or of certId when the
// message carries no certificate.
func (t *trust) signer(method, pemText, certID string, now time.Time) (*signerCert, error) {
	// The certificate of the last message is almost always this one's: compare the text
	// (the same string for notifications, see lastPEM) before hashing it for the map.
	if last := t.lastSigner.Load(); last != nil && pemText != "" && last.pem == pemText && last.method == method {
		if now.Before(last.sc.notBefore) || now.After(last.sc.notAfter) {
			return nil, fmt.Errorf("%w: UnionPay signing certificate %s is outside its validity", errSignature, last.sc.certID)
		}
		return last.sc, nil
	}
	sc, err := t.lookupSigner(method, pemText, certID, now)
	if err == nil && pemText != "" {
		t.lastSigner.Store(&lastSigner{pem: pemText, method: method, sc: sc})
	}
	return sc, err
}

// lastSigner is the certificate text of the last verified message and its validated
// certificate.
type lastSigner struct {
	pem, method string
	sc          *signerCert
}

func (t *trust) lookupSigner(method, pemText, certID string, now time.Time) (*signerCert, error) {
	t.mu.RLock()
	sc := t.byPEM[pemText]
	if pemText == "" && certID != "" {
		sc = t.byCertID[method+certID]
	}
	t.mu.RUnlock()
	if sc != nil {
		if now.Before(sc.notBefore) || now.After(sc.notAfter) {
			return nil, fmt.Errorf("%w: UnionPay signing certificate %s is outside its validity", errSignature, sc.certID)
		}
		return sc, nil
	}
	if pemText == "" {
		return nil, fmt.Errorf("%w: no signPubKeyCert and no known certId %q", errSignature, certID)
	}
	sc, err := t.validate(method, pemText, now)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.order) >= maxSigners {
		old := t.byPEM[t.order[0]]
		delete(t.byPEM, t.order[0])
		if old != nil && t.byCertID[method+old.certID] == old {
			delete(t.byCertID, method+old.certID)
		}
		t.order = t.order[1:]
	}
	t.byPEM[pemText] = sc
	t.byCertID[method+sc.certID] = sc
	t.order = append(t.order, pemText)
	return sc, nil
}

// validate checks a signPubKeyCert: dates, chain, CN (unionpay.md §5.2 steps 1–3).
func (t *trust) validate(method, pemText string, now time.Time) (*signerCert, error) {
	if method == methodRSA {
		if len(t.cfg.roots) == 0 {
			return nil, fmt.Errorf("%w: signMethod 01 but no RSA root certificate configured", errSignature)
		}
		c, err := sign.ParseCertificate([]byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("%w: signPubKeyCert: %v", errSignature, err)
		}
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: signPubKeyCert is not an RSA certificate", errSignature)
		}
		if err := sign.UnionPayCheckSignerCert(c, sign.UnionPayCertOptions{Roots: t.cfg.roots, Intermediates: t.cfg.middles, SkipCNCheck: t.cfg.relaxCN}, now); err != nil {
			return nil, fmt.Errorf("%w: %v", errSignature, err)
		}
		return &signerCert{certID: sign.CertID(c), rsa: pub, notBefore: c.NotBefore, notAfter: c.NotAfter}, nil
	}
	if len(t.cfg.sm2Roots) == 0 {
		return nil, fmt.Errorf("%w: signMethod 21 but no SM2 root certificate configured", errSignature)
	}
	c, err := sign.ParseSM2Certificate([]byte(pemText))
	if err != nil {
		return nil, fmt.Errorf("%w: signPubKeyCert: %v", errSignature, err)
	}
	if err := sign.UnionPayCheckSM2SignerCert(c, t.cfg.sm2Roots, t.cfg.sm2Middles, t.cfg.relaxCN, now); err != nil {
		return nil, fmt.Errorf("%w: %v", errSignature, err)
	}
	return &signerCert{certID: c.CertID(), sm2: c.PublicKey, notBefore: c.NotBefore, notAfter: c.NotAfter}, nil
}

// decodeAnswer parses and verifies a synchronous answer body (unionpay.md §2, §5).
func (t *trust) decodeAnswer(body []byte, now time.Time) (*verified, error) {
	return t.decodeOwnedAnswer(bytes.Clone(body), now)
}

// decodeOwnedAnswer is decodeAnswer for a body the caller hands over and never modifies
// again (call's freshly read body): the fields share its memory instead of a copy.
func (t *trust) decodeOwnedAnswer(body []byte, now time.Time) (*verified, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("empty answer: %w", errFormat)
	}
	p, err := parseLine(unsafe.String(unsafe.SliceData(body), len(body)))
	if err != nil {
		return nil, err
	}
	return t.verify(p, now)
}

// fieldsOf turns a map into sorted fields for verify (tests and callers holding a map).
func fieldsOf(m map[string]string) sign.Params { return sign.ParamsFromMap(m) }
