package gopaytest

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	gpwechat "github.com/go-pay/gopay/wechat"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// TestGopay_HTTPSWithClientCertificate runs gopay against the simulator over HTTPS with
// client certificates required on /secapi/* (wechat-v2.md §1): gopay's own
// AddCertPemFileContent is enough for refund, and a client without a certificate is
// refused at the TLS level on /secapi/* while ordinary calls still work.
func TestGopay_HTTPSWithClientCertificate(t *testing.T) {
	w, err := wechat.New(wechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := simulator.StartTLS(t, simulator.Config{Protocols: []simulator.Protocol{w}, Seed: 3,
		ClientCert: simulator.ClientCertRequire})
	cert, err := ts.CA.IssueClient(time.Now(), wechat.DemoMchID)
	if err != nil {
		t.Fatal(err)
	}
	newClient := func(withCert bool) *gpwechat.Client {
		c := gpwechat.NewClient(wechat.DemoAppID, wechat.DemoMchID, wechat.DemoKey, true)
		c.BaseURL = ts.URL
		c.GetHttpClient().SetHttpTLSConfig(&tls.Config{RootCAs: ts.CA.Pool(), MinVersion: tls.VersionTLS12})
		if withCert {
			if err := c.AddCertPemFileContent(cert.CertPEM, cert.KeyPEM); err != nil {
				t.Fatal(err)
			}
		} else {
			c.GetTLSHttpClient().SetHttpTLSConfig(&tls.Config{RootCAs: ts.CA.Pool(), MinVersion: tls.VersionTLS12})
		}
		return c
	}
	ctx := context.Background()
	good, bare := newClient(true), newClient(false)

	for i, c := range []*gpwechat.Client{good, bare} {
		no := []string{"TLS-1", "TLS-2"}[i]
		mp := make(gopay.BodyMap)
		mp.Set("nonce_str", "n").Set("body", "pos").Set("out_trade_no", no).Set("total_fee", 10).
			Set("spbill_create_ip", "127.0.0.1").Set("auth_code", "134567890123456789")
		mr, err := c.Micropay(ctx, mp)
		if err != nil || mr.ResultCode != "SUCCESS" {
			t.Fatalf("Micropay over HTTPS: %+v %v", mr, err)
		}
		verifyStruct(t, "MicropayResponse", gpwechat.SignType_MD5, mr)
	}

	rf := make(gopay.BodyMap)
	rf.Set("nonce_str", "n").Set("out_trade_no", "TLS-1").Set("out_refund_no", "TLS-R1").
		Set("total_fee", 10).Set("refund_fee", 10)
	fr, _, err := good.Refund(ctx, rf)
	if err != nil || fr.ResultCode != "SUCCESS" {
		t.Fatalf("Refund with a client certificate: %+v %v", fr, err)
	}
	verifyStruct(t, "RefundResponse", gpwechat.SignType_MD5, fr)

	rf2 := make(gopay.BodyMap)
	rf2.Set("nonce_str", "n").Set("out_trade_no", "TLS-2").Set("out_refund_no", "TLS-R2").
		Set("total_fee", 10).Set("refund_fee", 10)
	if rsp, _, err := bare.Refund(ctx, rf2); err == nil {
		t.Fatalf("Refund without a client certificate answered: %+v", rsp)
	}
}
