package alipay

import (
	"crypto/rsa"
	"embed"
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/demo"
)

// demoKeys holds the rotation material generated for this package (demokeys/README.md):
// a second Alipay signing certificate under a second test root, and the root bundle
// holding both roots. TEST KEYS ONLY.
//
//go:embed demokeys/*.pem
var demoKeys embed.FS

// Names of the embedded rotation files, for RotationFile.
const (
	FilePlatform2Cert    = "alipay_platform2_cert.pem"    // the second alipayCertPublicKey_RSA2
	FilePlatform2Public  = "alipay_platform2_public.pem"  // its public key
	FilePlatform2Private = "alipay_platform2_private.pem" // its private key (the simulator signs with it after RotateCert)
	FileRoot2Cert        = "alipay_root2_cert.pem"        // the second test root
	FileRootBundle       = "alipay_root_bundle.pem"       // alipayRootCert with both test roots
)

// RotationFile returns one of the embedded rotation files (File* constants).
func RotationFile(name string) ([]byte, error) {
	b, err := demoKeys.ReadFile("demokeys/" + name)
	if err != nil {
		return nil, fmt.Errorf("alipay: rotation file %q: %w", name, err)
	}
	return b, nil
}

// keyring is the simulated Alipay's own key material (§4, §5).
type keyring struct {
	platform    *rsa.PrivateKey // key mode and the first certificate
	platformSN  string
	platformPEM []byte
	platform2   *rsa.PrivateKey // the rotated certificate's key
	platform2SN string
	cert2PEM    []byte
	roots       map[string]bool // SNs of the known roots (demo root, second root)
}

func loadKeyring() (*keyring, error) {
	k := &keyring{roots: map[string]bool{}}
	var err error
	if k.platform, err = sign.ParseRSAPrivateKey(demo.MustFile(demo.AlipayPlatformPrivate)); err != nil {
		return nil, fmt.Errorf("alipay: demo platform key: %w", err)
	}
	k.platformPEM = demo.MustFile(demo.AlipayPlatformCert)
	if k.platformSN, err = sign.AlipayCertSNFromPEM(k.platformPEM); err != nil {
		return nil, fmt.Errorf("alipay: demo platform cert: %w", err)
	}
	p2, err := RotationFile(FilePlatform2Private)
	if err != nil {
		return nil, err
	}
	if k.platform2, err = sign.ParseRSAPrivateKey(p2); err != nil {
		return nil, fmt.Errorf("alipay: rotation key: %w", err)
	}
	if k.cert2PEM, err = RotationFile(FilePlatform2Cert); err != nil {
		return nil, err
	}
	if k.platform2SN, err = sign.AlipayCertSNFromPEM(k.cert2PEM); err != nil {
		return nil, fmt.Errorf("alipay: rotation cert: %w", err)
	}
	bundle, err := RotationFile(FileRootBundle)
	if err != nil {
		return nil, err
	}
	sn, err := sign.AlipayRootCertSN(bundle)
	if err != nil {
		return nil, fmt.Errorf("alipay: root bundle: %w", err)
	}
	for _, p := range strings.Split(sn, "_") {
		k.roots[p] = true
	}
	return k, nil
}

// certBySN returns the PEM of the Alipay certificate with the given SN.
func (k *keyring) certBySN(sn string) ([]byte, bool) {
	switch sn {
	case k.platformSN:
		return k.platformPEM, true
	case k.platform2SN:
		return k.cert2PEM, true
	}
	return nil, false
}

// rootSNOK accepts an alipay_root_cert_sn made of known root SNs joined with "_" (the
// demo root alone, or the bundle), §5.
func (k *keyring) rootSNOK(v string) bool {
	if v == "" {
		return false
	}
	for _, p := range strings.Split(v, "_") {
		if !k.roots[p] {
			return false
		}
	}
	return true
}

// PlatformCertSN returns the SN (alipay_cert_sn) of the first and of the rotated Alipay
// certificate.
func (s *Server) PlatformCertSN() (first, rotated string) {
	return s.keys.platformSN, s.keys.platform2SN
}
