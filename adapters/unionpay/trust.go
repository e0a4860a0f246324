package unionpay

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

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
	order    []string // PEMs in insertion order, for eviction
}

func newTrust(cfg trustConfig) (*trust, error) {
	if len(cfg.roots) == 0 && len(cfg.sm2Roots) == 0 && cfg.secureKey == "" {
		return nil, errors.New("unionpay: field RootCert: a root certificate (or SM2RootCert, or SecureKey) is required to verify answers")
	}
	return &trust{cfg: cfg, byPEM: map[string]*signerCert{}, byCertID: map[string]*signerCert{}}, nil
}

// verified is a message whose signature has been checked: fields are read only from it
// (verify before read).
type verified struct{ f map[string]string }

func (v *verified) get(k string) string { return v.f[k] }

// verify checks a received message, all of whose fields but signature are signed
// (unionpay.md §5.1: all received fields, never a whitelist).
func (t *trust) verify(f map[string]string, now time.Time) (*verified, error) {
	sig := f["signature"]
	if sig == "" {
		return nil, fmt.Errorf("%w: no signature", errSignature)
	}
	method := f["signMethod"]
	var check func(canonical []byte) error
	switch method {
	case methodRSA, methodSM2:
		sc, err := t.signer(method, f["signPubKeyCert"], f["certId"], now)
		if err != nil {
			return nil, err
		}
		if method == methodRSA {
			check = func(b []byte) error { return sign.UnionPayVerifyRSA(sc.rsa, b, sig) }
		} else {
			check = func(b []byte) error { return sign.UnionPayVerifySM2(sc.sm2, sc.certID, b, sig) }
		}
	case methodSHA256, methodSM3:
		if t.cfg.secureKey == "" {
			return nil, fmt.Errorf("%w: signMethod %s but no secure key configured", errSignature, method)
		}
		check = func(b []byte) error { return sign.UnionPaySecureKeyVerify(method, b, t.cfg.secureKey, sig) }
	default:
		return nil, fmt.Errorf("%w: signMethod %q", errSignature, method)
	}
	var buf [4096]byte
	p := sign.ParamsFromMap(f)
	err := check(sign.AppendCanonical(buf[:0], p, sign.UnionPayCanonical()))
	if err != nil && hasBlank(p) {
		// A signer that kept blank fields as "k=" (§5.1: the verifier signs over what was
		// received) is accepted too.
		err = check(sign.AppendCanonical(buf[:0], p, sign.CanonicalOptions{Exclude: []string{"signature"}, KeepEmpty: true}))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: signMethod %s", errSignature, method)
	}
	return &verified{f: f}, nil
}

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
	f, err := parseLine(string(body))
	if err != nil {
		return nil, err
	}
	return t.verify(f, now)
}
