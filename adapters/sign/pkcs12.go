package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"golang.org/x/crypto/pkcs12"
)

// PKCS12Contents is what a .p12 / .pfx file holds: one private key, the certificate of
// that key, and any other (CA) certificates in file order.
type PKCS12Contents struct {
	// PrivateKey is an *rsa.PrivateKey or *ecdsa.PrivateKey.
	PrivateKey crypto.PrivateKey
	// Certificate is the certificate whose public key matches PrivateKey.
	Certificate *x509.Certificate
	// CACerts are the remaining certificates.
	CACerts []*x509.Certificate
}

// ParsePKCS12 decodes a PKCS#12 file: WeChat's apiclient_cert.p12 (password = mch_id)
// or UnionPay's signing .pfx (unionpay.md §5.2). It supports the legacy PBE-SHA1-3DES /
// RC2 encryption those channels issue; an OpenSSL 3 default (AES/PBES2) file is
// reported as unsupported with the command to re-export it. A wrong or missing password
// wraps ErrPassword; anything else wraps ErrKeyFormat.
func ParsePKCS12(data []byte, password string) (c *PKCS12Contents, err error) {
	defer func() {
		if recover() != nil {
			c, err = nil, fmt.Errorf("pkcs12: malformed file: %w", ErrKeyFormat)
		}
	}()
	blocks, err := pkcs12.ToPEM(data, password)
	if err != nil {
		var ni pkcs12.NotImplementedError
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword):
			return nil, fmt.Errorf("pkcs12: wrong or missing password: %w", ErrPassword)
		case errors.As(err, &ni):
			return nil, fmt.Errorf("pkcs12: %v (re-export with `openssl pkcs12 -export -legacy` or -keypbe/-certpbe PBE-SHA1-3DES): %w", err, ErrKeyFormat)
		}
		return nil, fmt.Errorf("pkcs12: %v: %w", err, ErrKeyFormat)
	}
	out := &PKCS12Contents{}
	var certs []*x509.Certificate
	for _, b := range blocks {
		switch b.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pkcs12: certificate: %v: %w", err, ErrCertificate)
			}
			certs = append(certs, cert)
		case "PRIVATE KEY":
			if out.PrivateKey != nil {
				return nil, fmt.Errorf("pkcs12: more than one private key: %w", ErrKeyFormat)
			}
			// x/crypto/pkcs12 re-encodes keys as PKCS#1 (RSA) or SEC1 (EC).
			if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
				out.PrivateKey = k
			} else if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
				out.PrivateKey = k
			} else {
				return nil, fmt.Errorf("pkcs12: private key is neither RSA nor a supported EC curve: %w", ErrKeyFormat)
			}
		}
	}
	if out.PrivateKey == nil {
		return nil, fmt.Errorf("pkcs12: no private key in file: %w", ErrKeyFormat)
	}
	for _, cert := range certs {
		if out.Certificate == nil && publicKeyMatches(out.PrivateKey, cert.PublicKey) {
			out.Certificate = cert
			continue
		}
		out.CACerts = append(out.CACerts, cert)
	}
	if out.Certificate == nil {
		return nil, fmt.Errorf("pkcs12: no certificate matches the private key: %w", ErrCertificate)
	}
	return out, nil
}

func publicKeyMatches(priv crypto.PrivateKey, pub crypto.PublicKey) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return k.PublicKey.Equal(pub)
	case *ecdsa.PrivateKey:
		return k.PublicKey.Equal(pub)
	}
	return false
}

// RSAKey returns the private key as RSA, or ErrKeyFormat naming the type found.
func (c *PKCS12Contents) RSAKey() (*rsa.PrivateKey, error) {
	k, ok := c.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("pkcs12: key is %T, want RSA: %w", c.PrivateKey, ErrKeyFormat)
	}
	return k, nil
}

// TLSCertificate returns the contents as a tls.Certificate (leaf first, then the CA
// certificates) for mutual TLS.
func (c *PKCS12Contents) TLSCertificate() tls.Certificate {
	chain := [][]byte{c.Certificate.Raw}
	for _, ca := range c.CACerts {
		chain = append(chain, ca.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: c.PrivateKey, Leaf: c.Certificate}
}

// LoadTLSCertificatePKCS12 loads a client certificate for mutual TLS from PKCS#12
// (WeChat's /secapi/ calls use apiclient_cert.p12 with password = mch_id).
func LoadTLSCertificatePKCS12(data []byte, password string) (tls.Certificate, error) {
	c, err := ParsePKCS12(data, password)
	if err != nil {
		return tls.Certificate{}, err
	}
	return c.TLSCertificate(), nil
}

// LoadTLSCertificate loads a client certificate for mutual TLS from PEM
// (apiclient_cert.pem + apiclient_key.pem). Errors wrap ErrCertificate or ErrKeyFormat
// and say which input was wrong.
func LoadTLSCertificate(certPEM, keyPEM []byte) (tls.Certificate, error) {
	certs, err := ParseCertificates(certPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls certificate: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls key: %v: %w", err, ErrKeyFormat)
	}
	pair.Leaf = certs[0]
	return pair, nil
}
