package wechat

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

func TestNew_ValidatesConfig(t *testing.T) {
	ok := Config{AppID: demoAppID, MchID: demoMchID, Key: demoKey}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no appid", func(c *Config) { c.AppID = "" }, "AppID"},
		{"no mch_id", func(c *Config) { c.MchID = "" }, "MchID"},
		{"short key", func(c *Config) { c.Key = "abc" }, "32-character"},
		{"sign type", func(c *Config) { c.SignType = "SHA1" }, "SignType"},
		{"sandbox hmac", func(c *Config) { c.Sandbox = true; c.SignType = sign.WeChatHMACSHA256 }, "MD5 only"},
		{"base url", func(c *Config) { c.BaseURL = "ftp://x" }, "BaseURL"},
		{"base url with a query", func(c *Config) { c.BaseURL = "https://x?y=1" }, "BaseURL"},
		{"notify url", func(c *Config) { c.NotifyURL = "/relative" }, "NotifyURL"},
		{"negative limit", func(c *Config) { c.MaxResponseBytes = -1 }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error mentioning %q", err, tc.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("New = %v, want errors.Is ErrConfig", err)
			}
			if strings.Contains(err.Error(), demoKey) {
				t.Fatal("the error leaks the key")
			}
		})
	}
	c, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.base != DefaultBaseURL || c.maxResp != DefaultMaxResponseBytes || c.signType != sign.WeChatMD5 || c.tls != nil ||
		c.Name() != "wechat" || len(c.Methods()) != 5 {
		t.Fatalf("defaults: %+v", c)
	}
}

// TestNew_BaseURLLikeAlipay: BaseURL takes a base URL the way alipay.Config.BaseURL does
// (the adapter appends the operation paths).
func TestNew_BaseURLLikeAlipay(t *testing.T) {
	for base, want := range map[string]string{
		"":                              DefaultBaseURL,
		"https://api.mch.weixin.qq.com": "https://api.mch.weixin.qq.com",
		"http://127.0.0.1:8080/":        "http://127.0.0.1:8080",
		"http://sim.test/wechat":        "http://sim.test/wechat",
	} {
		c, err := New(Config{AppID: demoAppID, MchID: demoMchID, Key: demoKey, BaseURL: base})
		if err != nil {
			t.Errorf("BaseURL %q: %v", base, err)
		} else if got := c.url("/pay/orderquery"); got != want+"/pay/orderquery" {
			t.Errorf("BaseURL %q calls %q; want %q", base, got, want+"/pay/orderquery")
		}
	}
}

func TestNew_BuildsTLSClientFromCertificate(t *testing.T) {
	certPEM, keyPEM := selfSigned(t)
	cert, err := LoadPEMCertificate(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{AppID: demoAppID, MchID: demoMchID, Key: demoKey, Certificate: cert,
		HTTPClient: &http.Client{Timeout: 7 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.tls.Transport.(*http.Transport)
	if !ok || len(tr.TLSClientConfig.Certificates) != 1 || c.tls.Timeout != 7*time.Second || c.tls == c.http {
		t.Fatalf("tls client %+v", c.tls)
	}
	if _, err := LoadPEMCertificate(certPEM, []byte("junk")); err == nil {
		t.Fatal("bad key accepted")
	}
}

// TestLoadPKCS12Certificate reads testdata/apiclient_cert.p12, made like WeChat's (legacy
// RC2/3DES PBE, password = mch_id): openssl req -x509 -newkey rsa:2048 -nodes
// -subj "/CN=10000100/O=Tenpay.com/OU=WeChat test" -days 3650 … && openssl pkcs12 -export
// -legacy -passout pass:10000100.
func TestLoadPKCS12Certificate(t *testing.T) {
	p12 := []byte(golden(t, "apiclient_cert.p12"))
	cert, err := LoadPKCS12Certificate(p12, demoMchID)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf == nil || cert.Leaf.Subject.CommonName != demoMchID || cert.PrivateKey == nil {
		t.Fatalf("certificate %+v", cert.Leaf)
	}
	if _, err := LoadPKCS12Certificate(p12, "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	c, err := New(Config{AppID: demoAppID, MchID: demoMchID, Key: demoKey, Certificate: cert})
	if err != nil || c.tls == nil {
		t.Fatalf("New with PKCS#12 certificate: %v", err)
	}
}

func selfSigned(t *testing.T) ([]byte, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: demoMchID},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

func TestSandbox_FetchesKeyOnceAndUsesSandboxPaths(t *testing.T) {
	const sandboxKey = "0123456789abcdef0123456789abcdef"
	e := newEnv(t, func(c *Config) { c.Sandbox = true })
	e.respond(t, "/sandboxnew/pay/getsignkey", demoKey, sign.WeChatMD5,
		"<xml><return_code>SUCCESS</return_code><return_msg>ok</return_msg><mch_id>"+demoMchID+"</mch_id><sandbox_signkey>"+sandboxKey+"</sandbox_signkey></xml>")
	e.respond(t, "/sandboxnew/pay/orderquery", sandboxKey, sign.WeChatMD5, signedXMLWith(t, sandboxKey, map[string]string{
		"result_code": "SUCCESS", "trade_state": "NOTPAY", "out_trade_no": "1", "total_fee": "101"}))
	for i := 0; i < 2; i++ {
		res, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
		if err != nil || res.Status != channel.StatusPending {
			t.Fatalf("query %d: %+v %v", i, res, err)
		}
	}
	counts := e.mt.GetCallCountInfo()
	if counts["POST "+testBase+"/sandboxnew/pay/getsignkey"] != 1 || counts["POST "+testBase+"/sandboxnew/pay/orderquery"] != 2 {
		t.Fatalf("calls %v", counts)
	}
	if lookup(e.rec.last("/sandboxnew/pay/getsignkey"), "appid") != "" {
		t.Error("getsignkey sends mch_id and nonce_str only")
	}
}

func TestSandbox_KeyFailureSendsNothingElse(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Sandbox = true })
	e.mt.RegisterResponder(http.MethodPost, testBase+"/sandboxnew/pay/getsignkey",
		httpmock.NewStringResponder(200, "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>"))
	_, err := e.c.Pay(context.Background(), payReq(channel.MethodQR))
	wantErr(t, err, channel.KindSignature, "签名错误", false)
	if n := e.mt.GetTotalCallCount(); n != 1 {
		t.Fatalf("%d calls", n)
	}
}
