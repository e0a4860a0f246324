package sign

import (
	"crypto/md5"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
)

// AlipayCertSN returns Alipay's certificate SN (alipay.md §5): lower-case hex of
// MD5(issuer DN as an RFC 2253 string + serial number in decimal). The DN keeps the
// certificate's own RDN order, most specific first (as `openssl x509 -issuer -nameopt
// RFC2253` prints it), so it matches the Java SDK also for issuers in non-standard order.
func AlipayCertSN(cert *x509.Certificate) (string, error) {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(cert.RawIssuer, &rdn); err != nil || len(rest) != 0 {
		return "", fmt.Errorf("alipay cert sn: issuer DN does not parse: %w", ErrCertificate)
	}
	sum := md5.Sum([]byte(rdn.String() + cert.SerialNumber.String()))
	return hex.EncodeToString(sum[:]), nil
}

// AlipayCertSNFromPEM parses the first certificate of data (PEM, DER or base64) and
// returns its AlipayCertSN (app_cert_sn, alipay_cert_sn).
func AlipayCertSNFromPEM(data []byte) (string, error) {
	c, err := ParseCertificate(data)
	if err != nil {
		return "", err
	}
	return AlipayCertSN(c)
}

// AlipayRootCertSN returns alipay_root_cert_sn for a root bundle (alipay.md §5): the SNs
// of the RSA-family certificates (signature algorithm OID under 1.2.840.113549.1.1, which
// also covers RSA-PSS) in file order, joined with "_". SM2 and ECDSA roots are skipped.
// It is an error (ErrCertificate) when no RSA certificate is in the bundle.
func AlipayRootCertSN(bundle []byte) (string, error) {
	certs, err := ParseAlipayRootBundle(bundle)
	if err != nil {
		return "", err
	}
	var sns []string
	for _, c := range certs {
		if !isRSAFamilySignature(c) {
			continue
		}
		sn, err := AlipayCertSN(c)
		if err != nil {
			return "", err
		}
		sns = append(sns, sn)
	}
	if len(sns) == 0 {
		return "", fmt.Errorf("alipay root cert sn: no RSA certificate in bundle: %w", ErrCertificate)
	}
	return strings.Join(sns, "_"), nil
}

// ParseAlipayRootBundle reads every certificate of a root bundle. The production
// bundle holds an SM2 root the standard library cannot parse; such blocks are skipped
// (they never count towards the root SN) rather than failing the bundle.
func ParseAlipayRootBundle(bundle []byte) ([]*x509.Certificate, error) {
	blocks, err := pemCertBlocks(bundle)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, der := range blocks {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			continue // SM2 / unsupported-curve root: not RSA-family, never in the SN
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("alipay root bundle: no parsable certificate: %w", ErrCertificate)
	}
	return out, nil
}

// isRSAFamilySignature tests the raw signature algorithm OID, so RSA-PSS and SHA-1 RSA
// roots count while SM2-with-SM3 and ECDSA roots do not.
func isRSAFamilySignature(c *x509.Certificate) bool {
	var outer struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.Raw, &outer); err != nil {
		return false
	}
	rsaArc := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1}
	oid := outer.SigAlg.Algorithm
	return len(oid) > len(rsaArc) && asn1.ObjectIdentifier(oid[:len(rsaArc)]).Equal(rsaArc)
}
