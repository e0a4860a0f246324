package sign

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"
)

// ParseCertificate reads the first X.509 certificate from PEM, DER or bare base64 of
// the DER (UnionPay's signPubKeyCert is a PEM string, unionpay.md §5.2). Errors wrap
// ErrCertificate. SM2 certificates need ParseSM2Certificate.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// ParseCertificates reads every certificate of a PEM bundle in file order (e.g.
// alipayRootCert.crt), or one DER / bare-base64 certificate. Non-certificate PEM
// blocks are an error. It returns at least one certificate or an error wrapping
// ErrCertificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	data = trimText(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("certificate: empty input: %w", ErrCertificate)
	}
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		var out []*x509.Certificate
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				return nil, fmt.Errorf("certificate: PEM block %d is %q, want CERTIFICATE: %w", len(out)+1, block.Type, ErrCertificate)
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate %d: %v: %w", len(out)+1, err, ErrCertificate)
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("certificate: no PEM block found: %w", ErrCertificate)
		}
		return out, nil
	}
	der := data
	if b, ok := decodeBase64Loose(data); ok {
		der = b
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate: %v: %w", err, ErrCertificate)
	}
	return []*x509.Certificate{c}, nil
}

// CheckValidity reports whether now lies within [NotBefore, NotAfter] of cert. The time
// is the caller's (a clock.Clock reading); nothing here reads the wall clock. The
// error wraps ErrCertExpired and says which bound failed.
func CheckValidity(cert *x509.Certificate, now time.Time) error {
	return checkValidity(cert.Subject.String(), cert.NotBefore, cert.NotAfter, now)
}

func checkValidity(subject string, notBefore, notAfter, now time.Time) error {
	if now.Before(notBefore) {
		return fmt.Errorf("certificate %q not valid before %s (now %s): %w", subject, notBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrCertExpired)
	}
	if now.After(notAfter) {
		return fmt.Errorf("certificate %q expired at %s (now %s): %w", subject, notAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrCertExpired)
	}
	return nil
}

// maxChainDepth bounds path building (leaf → middle → root is depth 2).
const maxChainDepth = 6

// VerifyCertChain checks that leaf chains to one of roots through intermediates, with
// every certificate valid at now and every issuer a CA. Unlike x509.Certificate.Verify
// it accepts SHA-1-RSA signatures on chain links, which the UnionPay and Alipay test
// and production PKIs still use (unionpay.md §5.2: CFCA TEST CS CA is sha1WithRSA), and
// it ignores key usages and name constraints, as the channel SDKs do. Revocation is not
// checked (the SDKs disable it too). The error wraps ErrCertificate or ErrCertExpired.
func VerifyCertChain(leaf *x509.Certificate, roots, intermediates []*x509.Certificate, now time.Time) error {
	if leaf == nil {
		return fmt.Errorf("certificate chain: nil leaf: %w", ErrCertificate)
	}
	if len(roots) == 0 {
		return fmt.Errorf("certificate chain: no root configured: %w", ErrCertificate)
	}
	return verifyFrom(leaf, roots, intermediates, now, 0)
}

func verifyFrom(c *x509.Certificate, roots, intermediates []*x509.Certificate, now time.Time, depth int) error {
	if err := CheckValidity(c, now); err != nil {
		return err
	}
	for _, r := range roots {
		if r.Equal(c) {
			return nil // a configured root is trusted as is
		}
	}
	if depth >= maxChainDepth {
		return fmt.Errorf("certificate chain: longer than %d: %w", maxChainDepth, ErrCertificate)
	}
	var lastErr error
	for _, pool := range [][]*x509.Certificate{roots, intermediates} {
		for _, p := range pool {
			if !bytes.Equal(p.RawSubject, c.RawIssuer) {
				continue
			}
			if !p.BasicConstraintsValid || !p.IsCA {
				lastErr = fmt.Errorf("certificate chain: issuer %q is not a CA: %w", p.Subject.String(), ErrCertificate)
				continue
			}
			// CheckSignature (not CheckSignatureFrom) still accepts SHA-1 links.
			if err := p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
				lastErr = fmt.Errorf("certificate chain: %q not signed by %q: %v: %w", c.Subject.String(), p.Subject.String(), err, ErrCertificate)
				continue
			}
			err := verifyFrom(p, roots, intermediates, now, depth+1)
			if err == nil {
				return nil
			}
			lastErr = err
		}
	}
	if lastErr != nil {
		return lastErr
	}
	return fmt.Errorf("certificate chain: no issuer found for %q (issuer %q): %w", c.Subject.String(), c.Issuer.String(), ErrCertificate)
}

// pemCertBlocks returns the DER of every CERTIFICATE block (or the single DER/base64
// certificate) in data.
func pemCertBlocks(data []byte) ([][]byte, error) {
	data = trimText(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("certificate: empty input: %w", ErrCertificate)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN")) {
		der := data
		if b, ok := decodeBase64Loose(data); ok {
			der = b
		}
		return [][]byte{der}, nil
	}
	var out [][]byte
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			out = append(out, block.Bytes)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("certificate: no CERTIFICATE PEM block: %w", ErrCertificate)
	}
	return out, nil
}
