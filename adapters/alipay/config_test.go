package alipay

import (
	"bytes"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bareBase64(t *testing.T, pemBytes []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(pemBytes)
	require.NotNil(t, b)
	var out bytes.Buffer
	for _, line := range strings.Split(string(pemBytes), "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") {
			out.WriteString(line)
		}
	}
	return out.Bytes()
}

func TestNew_AcceptsKeyFormats(t *testing.T) {
	pkcs1 := readTestdata(t, "keys", "app_private_pkcs1.pem")
	pkcs8 := readTestdata(t, "keys", "app_private_pkcs8.pem")
	pub := readTestdata(t, "keys", "alipay_public.pem")
	tests := []struct {
		name      string
		priv, pub []byte
	}{
		{"PKCS#1 PEM", pkcs1, pub},
		{"PKCS#8 PEM", pkcs8, pub},
		{"bare base64 PKCS#8 (Alipay key tool)", bareBase64(t, pkcs8), pub},
		{"bare base64 PKCS#1", bareBase64(t, pkcs1), pub},
		{"bare base64 public key", pkcs8, bareBase64(t, pub)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{AppID: testAppID, AppPrivateKey: tt.priv, AlipayPublicKey: tt.pub})
			require.NoError(t, err)
			assert.Equal(t, DefaultGateway, c.gateway)
			assert.False(t, c.certMode)
			assert.Equal(t, "", c.AppCertSN())
		})
	}
}

func TestNew_CertModeComputesSNs(t *testing.T) {
	h := newHarness(t, certModeTest)
	assert.True(t, h.c.certMode)
	assert.Equal(t, certSN(t, "app_cert.crt"), h.c.AppCertSN())
	// The EC root of the bundle is skipped: the root SN is the RSA root's alone (alipay.md §5).
	assert.Equal(t, certSN(t, "root.crt"), h.c.RootCertSN())
	assert.Len(t, h.c.AppCertSN(), 32)
}

func TestNew_RejectsBadConfig(t *testing.T) {
	good := func() Config { return testConfig(t, keyMode) }
	cert := func() Config { return testConfig(t, certModeTest) }
	tests := []struct {
		name  string
		cfg   func() Config
		field string
	}{
		{"no app id", func() Config { c := good(); c.AppID = ""; return c }, "AppID"},
		{"app id not digits", func() Config { c := good(); c.AppID = "2088x"; return c }, "AppID"},
		{"no private key", func() Config { c := good(); c.AppPrivateKey = nil; return c }, "AppPrivateKey"},
		{"garbage private key", func() Config { c := good(); c.AppPrivateKey = []byte("nope"); return c }, "AppPrivateKey"},
		{"no verification material", func() Config { c := good(); c.AlipayPublicKey = nil; return c }, "AlipayPublicKey"},
		{"bad public key", func() Config {
			c := good()
			c.AlipayPublicKey = []byte("-----BEGIN X-----\nAA==\n-----END X-----")
			return c
		}, "AlipayPublicKey"},
		{"both modes", func() Config { c := cert(); c.AlipayPublicKey = good().AlipayPublicKey; return c }, "AlipayPublicKey"},
		{"cert mode without root", func() Config { c := cert(); c.AlipayRootCert = nil; return c }, "AlipayRootCert"},
		{"app cert of another key", func() Config { c := cert(); c.AppCert = readTestdata(t, "keys", "alipay_cert.crt"); return c }, "AppCert"},
		{"relative base url", func() Config { c := good(); c.BaseURL = "/api"; return c }, "BaseURL"},
		{"base url with the gateway path", func() Config { c := good(); c.BaseURL = testGateway; return c }, "BaseURL"},
		{"base url with a query", func() Config { c := good(); c.BaseURL = testBaseURL + "?x=1"; return c }, "BaseURL"},
		{"base url and deprecated gateway", func() Config { c := good(); c.Gateway = testGateway; return c }, "Gateway"},
		{"relative deprecated gateway", func() Config { c := good(); c.BaseURL, c.Gateway = "", "/gateway.do"; return c }, "Gateway"},
		{"bad notify url", func() Config { c := good(); c.NotifyURL = "notify"; return c }, "NotifyURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg())
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConfig))
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

// TestNew_BaseURLLikeWeChat: BaseURL takes a base URL the way wechat.Config.BaseURL does
// (the adapter appends /gateway.do); the deprecated Gateway is still honoured as is.
func TestNew_BaseURLLikeWeChat(t *testing.T) {
	tests := []struct {
		base, gateway, want string
	}{
		{"", "", DefaultGateway},
		{"https://openapi.alipay.com", "", "https://openapi.alipay.com/gateway.do"},
		{"http://127.0.0.1:8080/", "", "http://127.0.0.1:8080/gateway.do"},
		{"http://sim.test/alipay", "", "http://sim.test/alipay/gateway.do"},
		{"", "https://openapi-sandbox.dl.alipaydev.com/gateway.do", "https://openapi-sandbox.dl.alipaydev.com/gateway.do"},
	}
	for _, tt := range tests {
		t.Run(tt.base+tt.gateway, func(t *testing.T) {
			cfg := testConfig(t, keyMode)
			cfg.BaseURL, cfg.Gateway = tt.base, tt.gateway
			c, err := New(cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.gateway)
		})
	}
	assert.Equal(t, DefaultBaseURL+"/gateway.do", DefaultGateway)
}

func TestNew_ErrorsNeverContainKeyMaterial(t *testing.T) {
	cfg := testConfig(t, keyMode)
	cfg.AppPrivateKey = append([]byte("-----BEGIN PRIVATE KEY-----\nMIIEsecretsecret\n"), []byte("-----END PRIVATE KEY-----\n")...)
	_, err := New(cfg)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}
