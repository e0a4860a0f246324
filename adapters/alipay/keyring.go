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
// (alipay.md §5). A sync response signed under an unknown SN triggers a certificate
// download that is trusted only when it chains to the configured root bundle
// (rotation). Notifications and returns never trigger one: their SN is unverified input
// from anyone who can reach the notify URL (see knownKey).
//
// Downloads are bounded so that even a misbehaving gateway cannot turn them into load:
// at most one is in flight (callers needing the same SN wait for it, others are refused
// at once instead of queueing), one SN is not tried again within certRetryAfter of a
// failed try, no download starts within certFetchGap of the previous one, and at most
// maxCachedCerts downloaded certificates are kept (the oldest is dropped; the
// configured one always stays).
type keyring struct {
	def   *rsa.PublicKey // key mode: the key; cert mode: the configured Alipay cert's key
	defSN string         // cert mode: SN of the configured Alipay cert
	roots []*x509.Certificate

	mu       sync.RWMutex
	bySN     map[string]*rsa.PublicKey
	order    []string             // downloaded SNs, oldest first (guarded by mu)
	inflight *certFetch           // the download in progress, nil when none (guarded by mu)
	failed   map[string]time.Time // SNs whose download failed, and when (guarded by mu)
	lastTry  time.Time            // start of the last download (guarded by mu)
}

// certFetch is one download in flight; done is closed when pub or err is set.
type certFetch struct {
	sn   string
	done chan struct{}
	pub  *rsa.PublicKey
	err  error
}

const (
	// certRetryAfter is how long a failed certificate download is not repeated for the
	// same SN; maxFailedSNs bounds that memory (it is cleared when full).
	certRetryAfter = time.Minute
	maxFailedSNs   = 256
	// certFetchGap is the minimum time between the starts of two downloads (any SNs).
	certFetchGap = 5 * time.Second
	// maxCachedCerts bounds the downloaded certificates kept besides the configured one.
	maxCachedCerts = 8
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

// addLocked caches a downloaded key, dropping the oldest downloaded one beyond
// maxCachedCerts. k.mu must be held.
func (k *keyring) addLocked(sn string, pub *rsa.PublicKey) {
	if _, ok := k.bySN[sn]; ok {
		return
	}
	if len(k.order) >= maxCachedCerts {
		delete(k.bySN, k.order[0])
		k.order = k.order[1:]
	}
	k.bySN[sn] = pub
	k.order = append(k.order, sn)
}

// certDownloadMethod fetches an Alipay certificate by SN (alipay.md §5 rotation).
const certDownloadMethod = "alipay.open.app.alipaycert.download"

// knownKey returns the verification key for a notification or return signed under sn,
// from the keys already trusted only. An unknown SN is never fetched: the parameters
// are not verified yet, and anyone can post a random alipay_cert_sn to the notify URL,
// so fetching would let forged input make us call Alipay (and ParseNotification would
// no longer be free of side effects). The notification is refused (KindSignature: the
// caller answers non-success and Alipay sends it again later); the first sync response
// signed under the new certificate downloads it, and the retried notification then
// verifies.
func (c *Client) knownKey(ctx context.Context, sn string) (*rsa.PublicKey, error) {
	if pub, ok := c.keys.lookup(sn); ok {
		return pub, nil
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "alipay: input signed under an unknown alipay_cert_sn; refused, not fetched",
		slog.String("alipay_cert_sn", truncate(sn, 64)))
	return nil, fmt.Errorf("alipay_cert_sn %q is not a known Alipay certificate (it is fetched only when a sync response is signed under it)", truncate(sn, 64))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// keyFor returns the verification key for a sync response signed under sn,
// downloading and chain-checking the certificate when sn is new (within the bounds in
// the keyring's doc). Never call it for a notification or return: see knownKey.
func (c *Client) keyFor(ctx context.Context, op, sn string) (*rsa.PublicKey, error) {
	if pub, ok := c.keys.lookup(sn); ok {
		return pub, nil
	}
	k := c.keys
	k.mu.Lock()
	if pub, ok := k.bySN[sn]; ok { // fetched meanwhile
		k.mu.Unlock()
		return pub, nil
	}
	if f := k.inflight; f != nil {
		k.mu.Unlock()
		if f.sn != sn {
			return nil, c.certErr(op, sn, "another certificate download (%s) is in progress", f.sn)
		}
		select {
		case <-f.done:
			return f.pub, f.err
		case <-ctx.Done():
			return nil, c.certErr(op, sn, "waiting for its download: %v", ctx.Err())
		}
	}
	now := c.clk.Now()
	if at, ok := k.failed[sn]; ok && now.Sub(at) < certRetryAfter {
		k.mu.Unlock()
		return nil, c.certErr(op, sn, "its download failed at %s; not retried for %s", at.Format(time.RFC3339), certRetryAfter)
	}
	if !k.lastTry.IsZero() && now.Sub(k.lastTry) < certFetchGap {
		k.mu.Unlock()
		return nil, c.certErr(op, sn, "a certificate download started less than %s ago", certFetchGap)
	}
	f := &certFetch{sn: sn, done: make(chan struct{}), err: c.certErr(op, sn, "its download did not complete")}
	k.inflight, k.lastTry = f, now
	k.mu.Unlock()
	// Whatever happens (even a panic), the download ends: waiters are released and the
	// next one may start.
	defer func() {
		k.mu.Lock()
		k.inflight = nil
		switch {
		case f.err == nil:
			delete(k.failed, sn)
			k.addLocked(sn, f.pub)
		case ctx.Err() == nil: // a caller giving up is not the certificate's failure
			if len(k.failed) >= maxFailedSNs {
				clear(k.failed)
			}
			k.failed[sn] = now
		}
		k.mu.Unlock()
		close(f.done)
	}()
	f.pub, f.err = c.downloadCert(ctx, op, sn)
	if f.err == nil {
		c.log.LogAttrs(ctx, slog.LevelInfo, "alipay: trusted rotated Alipay certificate", slog.String("alipay_cert_sn", sn))
	}
	return f.pub, f.err
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
