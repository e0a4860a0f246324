package alipay

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// keyring holds Alipay's verification keys. In public-key mode it has one key and
// ignores alipay_cert_sn. In certificate mode keys are indexed by alipay_cert_sn
// (alipay.md §5); a response signed under an unknown SN triggers a certificate download
// that is trusted only when it chains to the configured root bundle (rotation).
type keyring struct {
	def   *rsa.PublicKey // key mode: the key; cert mode: the configured Alipay cert's key
	defSN string         // cert mode: SN of the configured Alipay cert
	roots []*x509.Certificate

	mu   sync.RWMutex
	bySN map[string]*rsa.PublicKey

	dl sync.Mutex // serialises certificate downloads so a rotation fetches once
	// failed remembers SNs whose download failed recently (guarded by dl), so forged
	// notifications carrying random SNs cannot make the client call Alipay each time.
	failed map[string]time.Time
}

// certRetryAfter is how long a failed certificate download is not repeated for the
// same SN; maxFailedSNs bounds that memory (it is cleared when full).
const (
	certRetryAfter = time.Minute
	maxFailedSNs   = 256
)

func newKeyring(def *rsa.PublicKey, defSN string, roots []*x509.Certificate) *keyring {
	k := &keyring{def: def, defSN: defSN, roots: roots, bySN: map[string]*rsa.PublicKey{}, failed: map[string]time.Time{}}
	if defSN != "" {
		k.bySN[defSN] = def
	}
	return k
}

// lookup returns the key for sn. Public-key mode (no roots) always answers the one key:
// a stray alipay_cert_sn must not send it hunting for certificates.
func (k *keyring) lookup(sn string) (*rsa.PublicKey, bool) {
	if k.roots == nil || sn == "" {
		return k.def, true
	}
	k.mu.RLock()
	pub, ok := k.bySN[sn]
	k.mu.RUnlock()
	return pub, ok
}

func (k *keyring) add(sn string, pub *rsa.PublicKey) {
	k.mu.Lock()
	k.bySN[sn] = pub
	k.mu.Unlock()
}

// certDownloadMethod fetches an Alipay certificate by SN (alipay.md §5 rotation).
const certDownloadMethod = "alipay.open.app.alipaycert.download"

// keyFor returns the verification key for a response or notification signed under sn,
// downloading and chain-checking the certificate when sn is new.
func (c *Client) keyFor(ctx context.Context, op, sn string) (*rsa.PublicKey, error) {
	if pub, ok := c.keys.lookup(sn); ok {
		return pub, nil
	}
	c.keys.dl.Lock()
	defer c.keys.dl.Unlock()
	if pub, ok := c.keys.lookup(sn); ok { // another goroutine fetched it meanwhile
		return pub, nil
	}
	now := c.clk.Now()
	if at, ok := c.keys.failed[sn]; ok && now.Sub(at) < certRetryAfter {
		return nil, c.certErr(op, sn, "its download failed at %s; not retried for %s", at.Format(time.RFC3339), certRetryAfter)
	}
	pub, err := c.downloadCert(ctx, op, sn)
	if err != nil {
		if len(c.keys.failed) >= maxFailedSNs {
			clear(c.keys.failed)
		}
		c.keys.failed[sn] = now
		return nil, err
	}
	delete(c.keys.failed, sn)
	c.keys.add(sn, pub)
	c.log.LogAttrs(ctx, slog.LevelInfo, "alipay: trusted rotated Alipay certificate", slog.String("alipay_cert_sn", sn))
	return pub, nil
}

type certDownloadResponse struct {
	header
	AlipayCertContent string `json:"alipay_cert_content"`
}

// downloadCert calls alipay.open.app.alipaycert.download. The answer may itself be
// signed under the new SN, so the certificate is checked first (chain to the root
// bundle at the clock's time, SN equal to the one asked for) and the answer's signature
// is then verified with a key already trusted or with the new certificate's own key.
func (c *Client) downloadCert(ctx context.Context, op, sn string) (*rsa.PublicKey, error) {
	biz, err := marshalBiz(struct {
		AlipayCertSN string `json:"alipay_cert_sn"`
	}{sn})
	if err != nil {
		return nil, c.internalErr(op, err)
	}
	body, err := c.post(ctx, op, certDownloadMethod, biz, nil)
	if err != nil {
		return nil, err
	}
	env, err := extractResponse(body, nodeName(certDownloadMethod))
	if err != nil {
		return nil, c.certErr(op, sn, "response: %v", err)
	}
	var r certDownloadResponse
	if err := json.Unmarshal(env.node, &r); err != nil {
		return nil, c.certErr(op, sn, "response does not decode: %v", err)
	}
	if r.Code != codeSuccess {
		return nil, c.certErr(op, sn, "download answered %s %s %s", r.Code, r.SubCode, r.SubMsg)
	}
	pem, err := base64.StdEncoding.DecodeString(r.AlipayCertContent)
	if err != nil {
		return nil, c.certErr(op, sn, "alipay_cert_content is not base64")
	}
	chain, err := sign.ParseCertificates(pem)
	if err != nil {
		return nil, c.certErr(op, sn, "alipay_cert_content: %v", err)
	}
	got, err := sign.AlipayCertSN(chain[0])
	if err != nil || got != sn {
		return nil, c.certErr(op, sn, "downloaded certificate has SN %q", got)
	}
	if err := sign.VerifyCertChain(chain[0], c.keys.roots, chain[1:], c.clk.Now()); err != nil {
		return nil, c.certErr(op, sn, "downloaded certificate: %v", err)
	}
	pub, ok := chain[0].PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, c.certErr(op, sn, "downloaded certificate holds %T, want RSA", chain[0].PublicKey)
	}
	verifier := pub
	if env.certSN != sn {
		k, known := c.keys.lookup(env.certSN)
		if !known {
			return nil, c.certErr(op, sn, "download answer signed under yet another unknown SN %q", env.certSN)
		}
		verifier = k
	}
	if err := verifyNode(verifier, env); err != nil {
		return nil, c.certErr(op, sn, "download answer: %v", err)
	}
	return pub, nil
}

// certErr reports a rotation that could not be completed: the response that needed the
// new certificate stays unverified (KindSignature; the caller's operation decides
// whether its own outcome is unknown).
func (c *Client) certErr(op, sn, format string, args ...any) error {
	return &channel.Error{
		Channel: Name, Op: op, Kind: channel.KindSignature, Code: "ALIPAY_CERT_UNTRUSTED",
		Message: fmt.Sprintf("cannot trust alipay_cert_sn %s: %s", sn, fmt.Sprintf(format, args...)),
		Err:     sign.ErrCertificate,
	}
}
