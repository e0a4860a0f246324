package sign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/tjfoc/gmsm/sm2"
	gmx509 "github.com/tjfoc/gmsm/x509"
)

// oidSM2WithSM3 is the SM2-with-SM3 signature algorithm of GM/T 0015 certificates.
var oidSM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}

// SM2Certificate is a parsed X.509 certificate with an SM2 public key (GM/T 0015), as
// UnionPay signMethod 21 and GM banks use. The standard library cannot parse these; this
// type exposes what the channels need and hides the backend.
type SM2Certificate struct {
	// Raw is the complete DER certificate.
	Raw []byte
	// SerialNumber is the certificate serial; CertID gives it in decimal.
	SerialNumber *big.Int
	// Subject and Issuer are the parsed names.
	Subject, Issuer pkix.Name
	// NotBefore and NotAfter bound the validity period (UTC).
	NotBefore, NotAfter time.Time
	// IsCA reports basic constraints CA:TRUE.
	IsCA bool
	// PublicKey is the subject's SM2 key.
	PublicKey *SM2PublicKey

	gm *gmx509.Certificate
}

// ParseSM2Certificate reads one SM2 certificate from PEM, DER or bare base64 of the
// DER. A certificate whose key is not on sm2p256v1 is ErrCertificate.
func ParseSM2Certificate(data []byte) (c *SM2Certificate, err error) {
	blocks, err := pemCertBlocks(data)
	if err != nil {
		return nil, err
	}
	defer func() {
		if recover() != nil {
			c, err = nil, fmt.Errorf("sm2 certificate: malformed DER: %w", ErrCertificate)
		}
	}()
	gc, err := gmx509.ParseCertificate(blocks[0])
	if err != nil {
		return nil, fmt.Errorf("sm2 certificate: %v: %w", err, ErrCertificate)
	}
	var x, y *big.Int
	switch k := gc.PublicKey.(type) {
	case *ecdsa.PublicKey:
		//lint:ignore SA1019 tjfoc hands SM2 keys back as ecdsa.PublicKey on its own curve; X/Y are the only accessors.
		x, y = k.X, k.Y
		if k.Curve.Params().Name != sm2.P256Sm2().Params().Name {
			return nil, fmt.Errorf("sm2 certificate: key on curve %s, want sm2p256v1: %w", k.Curve.Params().Name, ErrCertificate)
		}
	case *sm2.PublicKey:
		x, y = k.X, k.Y
	default:
		return nil, fmt.Errorf("sm2 certificate: public key is %T, want SM2: %w", gc.PublicKey, ErrCertificate)
	}
	point := make([]byte, 65)
	point[0] = 4
	if x == nil || y == nil || x.BitLen() > 256 || y.BitLen() > 256 {
		return nil, fmt.Errorf("sm2 certificate: bad public point: %w", ErrCertificate)
	}
	x.FillBytes(point[1:33])
	y.FillBytes(point[33:])
	pub, err := NewSM2PublicKey(point)
	if err != nil {
		return nil, fmt.Errorf("sm2 certificate: %v: %w", err, ErrCertificate)
	}
	return &SM2Certificate{
		Raw:          gc.Raw,
		SerialNumber: gc.SerialNumber,
		Subject:      gc.Subject,
		Issuer:       gc.Issuer,
		NotBefore:    gc.NotBefore,
		NotAfter:     gc.NotAfter,
		IsCA:         gc.BasicConstraintsValid && gc.IsCA,
		PublicKey:    pub,
		gm:           gc,
	}, nil
}

// CertID returns the serial number in decimal: UnionPay's certId, which signMethod 21
// also uses as the SM2 user ID (unionpay.md §5.4).
func (c *SM2Certificate) CertID() string { return c.SerialNumber.String() }

// PEM returns the certificate as a PEM "CERTIFICATE" block.
func (c *SM2Certificate) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// CheckValidity reports whether now lies within the validity period; ErrCertExpired.
func (c *SM2Certificate) CheckValidity(now time.Time) error {
	return checkValidity(c.Subject.String(), c.NotBefore, c.NotAfter, now)
}

// CheckSignatureFrom verifies that parent signed c with SM2-with-SM3 and the default
// user ID (GM/T 0015). ErrCertificate otherwise.
func (c *SM2Certificate) CheckSignatureFrom(parent *SM2Certificate) error {
	var outer struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	if rest, err := asn1.Unmarshal(c.Raw, &outer); err != nil || len(rest) != 0 {
		return fmt.Errorf("sm2 certificate: malformed outer structure: %w", ErrCertificate)
	}
	if !outer.SigAlg.Algorithm.Equal(oidSM2WithSM3) {
		return fmt.Errorf("sm2 certificate %q: signature algorithm %v, want SM2-with-SM3: %w", c.Subject.String(), outer.SigAlg.Algorithm, ErrCertificate)
	}
	if err := VerifySM2(parent.PublicKey, outer.TBS.FullBytes, outer.Sig.RightAlign(), SM2SignOptions{}); err != nil {
		return fmt.Errorf("sm2 certificate %q not signed by %q: %w", c.Subject.String(), parent.Subject.String(), ErrCertificate)
	}
	return nil
}

// VerifySM2CertChain checks that leaf chains to one of roots through intermediates,
// every certificate valid at now and every issuer a CA (unionpay.md §5.4 uses the same
// root + middle scheme as §5.2). Errors wrap ErrCertificate or ErrCertExpired.
func VerifySM2CertChain(leaf *SM2Certificate, roots, intermediates []*SM2Certificate, now time.Time) error {
	if leaf == nil || len(roots) == 0 {
		return fmt.Errorf("sm2 certificate chain: need a leaf and at least one root: %w", ErrCertificate)
	}
	return verifySM2From(leaf, roots, intermediates, now, 0)
}

func verifySM2From(c *SM2Certificate, roots, intermediates []*SM2Certificate, now time.Time, depth int) error {
	if err := c.CheckValidity(now); err != nil {
		return err
	}
	for _, r := range roots {
		if bytes.Equal(r.Raw, c.Raw) {
			return nil
		}
	}
	if depth >= maxChainDepth {
		return fmt.Errorf("sm2 certificate chain: longer than %d: %w", maxChainDepth, ErrCertificate)
	}
	var lastErr error
	for _, pool := range [][]*SM2Certificate{roots, intermediates} {
		for _, p := range pool {
			if !bytes.Equal(p.gm.RawSubject, c.gm.RawIssuer) {
				continue
			}
			if !p.IsCA {
				lastErr = fmt.Errorf("sm2 certificate chain: issuer %q is not a CA: %w", p.Subject.String(), ErrCertificate)
				continue
			}
			if err := c.CheckSignatureFrom(p); err != nil {
				lastErr = err
				continue
			}
			if err := verifySM2From(p, roots, intermediates, now, depth+1); err != nil {
				lastErr = err
				continue
			}
			return nil
		}
	}
	if lastErr != nil {
		return lastErr
	}
	return fmt.Errorf("sm2 certificate chain: no issuer found for %q: %w", c.Subject.String(), ErrCertificate)
}

// UnionPayCheckSM2SignerCert validates an SM2 signPubKeyCert for signMethod 21
// (unionpay.md §5.4): validity at now, chain to a root via the middle certificates, and
// the CN's third "@" element; with skipCNCheck the GM SDK's test identity
// "ZunionpayTest" is also accepted.
func UnionPayCheckSM2SignerCert(cert *SM2Certificate, roots, intermediates []*SM2Certificate, skipCNCheck bool, now time.Time) error {
	if err := VerifySM2CertChain(cert, roots, intermediates, now); err != nil {
		return err
	}
	return checkUnionPayCN(cert.Subject.CommonName, skipCNCheck, "ZunionpayTest")
}

// CreateSM2Certificate issues a certificate for pub signed by signer, for the
// simulator's test CA. parent nil means self-signed (signer must then hold pub's key).
// Only these template fields are used: SerialNumber, Subject, NotBefore, NotAfter,
// KeyUsage, BasicConstraintsValid, IsCA, MaxPathLen, SubjectKeyId. The signature
// algorithm is always SM2-with-SM3 (tjfoc signs wrongly without it, gm-crypto.md §8.6);
// the result is verified before it is returned.
func CreateSM2Certificate(template *x509.Certificate, parent *SM2Certificate, pub *SM2PublicKey, signer *SM2PrivateKey) (der []byte, err error) {
	if template == nil || template.SerialNumber == nil || pub == nil || signer == nil {
		return nil, fmt.Errorf("sm2 certificate: template with serial, public key and signer required: %w", ErrInput)
	}
	defer func() {
		if p := recover(); p != nil {
			der, err = nil, fmt.Errorf("sm2 certificate: backend panic: %v: %w", p, ErrCertificate)
		}
	}()
	tmpl := &gmx509.Certificate{
		SerialNumber:          template.SerialNumber,
		Subject:               template.Subject,
		NotBefore:             template.NotBefore,
		NotAfter:              template.NotAfter,
		KeyUsage:              gmx509.KeyUsage(template.KeyUsage),
		BasicConstraintsValid: template.BasicConstraintsValid,
		IsCA:                  template.IsCA,
		MaxPathLen:            template.MaxPathLen,
		SubjectKeyId:          template.SubjectKeyId,
		SignatureAlgorithm:    gmx509.SM2WithSM3,
	}
	gmParent := tmpl
	if parent != nil {
		gmParent = parent.gm
	} else if !signer.Public().Equal(pub) {
		return nil, fmt.Errorf("sm2 certificate: self-signed but signer does not own the key: %w", ErrInput)
	}
	der, err = gmx509.CreateCertificate(tmpl, gmParent, pub.k, signer.k)
	if err != nil {
		return nil, fmt.Errorf("sm2 certificate: %v: %w", err, ErrCertificate)
	}
	c, err := ParseSM2Certificate(der)
	if err != nil {
		return nil, err
	}
	issuer := parent
	if issuer == nil {
		issuer = c
	}
	if err := c.CheckSignatureFrom(issuer); err != nil {
		return nil, err
	}
	return der, nil
}
