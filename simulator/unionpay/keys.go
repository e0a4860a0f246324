package unionpay

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/demo"
)

// rsaSigner is one UnionPay RSA signing certificate and its key (signMethod 01).
type rsaSigner struct {
	key     *rsa.PrivateKey
	certPEM string
	certID  string
}

// sm2Signer is one UnionPay SM2 signing certificate and its key (signMethod 21).
type sm2Signer struct {
	key     *sign.SM2PrivateKey
	certPEM string
	certID  string
}

// keyring holds the simulated UnionPay's keys, all from simulator/demo.
type keyring struct {
	rsa                 [2]rsaSigner // first, rotated
	sm2                 [2]sm2Signer
	rsaEnc              *rsa.PrivateKey // decrypts accNo / encryptedInfo of 01, 11, 12 merchants
	rsaEncID, rsaEncPEM string
	sm2Enc              *sign.SM2PrivateKey
	sm2EncID, sm2EncPEM string
}

func loadKeyring() (*keyring, error) {
	k := &keyring{}
	for i, f := range [2][2]string{{demo.UnionPaySignPrivate, demo.UnionPaySignCert}, {demo.UnionPaySign2Private, demo.UnionPaySign2Cert}} {
		key, cert, err := loadRSA(f[0], f[1])
		if err != nil {
			return nil, err
		}
		k.rsa[i] = rsaSigner{key: key, certPEM: string(demo.MustFile(f[1])), certID: sign.CertID(cert)}
	}
	for i, f := range [2][2]string{{demo.UnionPaySM2SignPrivate, demo.UnionPaySM2SignCert}, {demo.UnionPaySM2Sign2Private, demo.UnionPaySM2Sign2Cert}} {
		key, cert, err := loadSM2(f[0], f[1])
		if err != nil {
			return nil, err
		}
		k.sm2[i] = sm2Signer{key: key, certPEM: string(cert.PEM()), certID: cert.CertID()}
	}
	key, cert, err := loadRSA(demo.UnionPayEncPrivate, demo.UnionPayEncCert)
	if err != nil {
		return nil, err
	}
	k.rsaEnc, k.rsaEncID, k.rsaEncPEM = key, sign.CertID(cert), string(demo.MustFile(demo.UnionPayEncCert))
	skey, scert, err := loadSM2(demo.UnionPaySM2EncPrivate, demo.UnionPaySM2EncCert)
	if err != nil {
		return nil, err
	}
	k.sm2Enc, k.sm2EncID, k.sm2EncPEM = skey, scert.CertID(), string(scert.PEM())
	return k, nil
}

func loadRSA(keyFile, certFile string) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := sign.ParseRSAPrivateKey(demo.MustFile(keyFile))
	if err != nil {
		return nil, nil, fmt.Errorf("unionpay: demo key %s: %w", keyFile, err)
	}
	cert, err := sign.ParseCertificate(demo.MustFile(certFile))
	if err != nil {
		return nil, nil, fmt.Errorf("unionpay: demo cert %s: %w", certFile, err)
	}
	return key, cert, nil
}

func loadSM2(keyFile, certFile string) (*sign.SM2PrivateKey, *sign.SM2Certificate, error) {
	key, err := sign.ParseSM2PrivateKey(demo.MustFile(keyFile), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("unionpay: demo key %s: %w", keyFile, err)
	}
	cert, err := sign.ParseSM2Certificate(demo.MustFile(certFile))
	if err != nil {
		return nil, nil, fmt.Errorf("unionpay: demo cert %s: %w", certFile, err)
	}
	return key, cert, nil
}
