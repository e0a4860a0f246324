package alipay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/core/channel"
)

// randomSN is a well-formed alipay_cert_sn nobody issued.
func randomSN(t testing.TB) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// downloads counts the certificate downloads the gateway saw.
func (g *gateway) downloads() int {
	n := 0
	for _, m := range g.methods() {
		if m == certDownloadMethod {
			n++
		}
	}
	return n
}

// TestParseNotification_UnknownCertSNIsNeverFetched: a notification or return naming an
// unknown alipay_cert_sn is refused (KindSignature) without any call to Alipay, forged
// or genuine, however many arrive.
func TestParseNotification_UnknownCertSNIsNeverFetched(t *testing.T) {
	withSN := func(keyFile, sn string) []byte {
		m := paymentNotify()
		m["alipay_cert_sn"] = sn
		return notifyBody(t, keyFile, m, false)
	}
	tests := []struct {
		name string
		body func() []byte
	}{
		{"forged, random SN", func() []byte { return withSN("alipay2_private.pem", randomSN(t)) }},
		{"forged, junk SN", func() []byte { return withSN("alipay2_private.pem", strings.Repeat("x", 500)) }},
		{"genuine, rotated certificate not fetched yet", func() []byte { return withSN("alipay2_private.pem", certSN(t, "alipay2_cert.crt")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, certModeTest) // the gateway fails the test on any call
			for range 50 {
				body := tt.body()
				n, err := h.c.ParseNotification(context.Background(), nil, body)
				assert.Nil(t, n)
				ce := kindOf(t, err)
				assert.Equal(t, channel.KindSignature, ce.Kind)
				assert.Equal(t, "UNKNOWN_ALIPAY_CERT_SN", ce.Code)
				assert.NotContains(t, ce.Error(), strings.Repeat("x", 100), "the SN is truncated in errors")

				q, err := url.ParseQuery(string(body))
				require.NoError(t, err)
				_, err = h.c.VerifyReturn(context.Background(), q)
				assert.ErrorIs(t, err, channel.ErrSignature)
			}
			assert.Empty(t, h.gw.methods(), "no call to Alipay on behalf of a notification or return")
		})
	}
}

// TestCertMode_RotatedNotificationVerifiesOnceAResponseFetchedTheCert: the rotation
// path for notifications: refused while unknown, accepted after a sync response signed
// under the new certificate made the client download it.
func TestCertMode_RotatedNotificationVerifiesOnceAResponseFetchedTheCert(t *testing.T) {
	h := newHarness(t, certModeTest)
	m := paymentNotify()
	m["alipay_cert_sn"] = certSN(t, "alipay2_cert.crt")
	body := notifyBody(t, "alipay2_private.pem", m, false)
	_, err := h.c.ParseNotification(context.Background(), nil, body)
	assert.ErrorIs(t, err, channel.ErrSignature)

	h.gw.onBody(methodQuery, golden(t, "query_success_rotated"))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download"))
	_, err = h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	require.NoError(t, err)

	n, err := h.c.ParseNotification(context.Background(), nil, body)
	require.NoError(t, err)
	assert.Equal(t, "T1001", n.Payment.OrderNo)
	assert.Equal(t, 1, h.gw.downloads())
}

// TestCertMode_DownloadsAreBounded: one download in flight (another SN is refused at
// once instead of queueing behind it), a minimum gap between downloads, and a caller
// waiting for the download in flight can give up.
func TestCertMode_DownloadsAreBounded(t *testing.T) {
	query := func(h *harness, ctx context.Context) error {
		_, err := h.c.Query(ctx, &channel.QueryRequest{OrderNo: "T1001"})
		return err
	}
	otherSN := func(t *testing.T) string {
		return signedBody(t, testKey(t, "alipay2_private.pem"), methodQuery, `{"code":"10000","msg":"Success","out_trade_no":"T1001","trade_status":"TRADE_SUCCESS"}`, randomSN(t))
	}

	t.Run("another SN while one is in flight is refused at once", func(t *testing.T) {
		h := newHarness(t, certModeTest)
		entered, release := make(chan struct{}), make(chan struct{})
		h.gw.onBody(methodQuery, golden(t, "query_success_rotated"), otherSN(t))
		h.gw.on(certDownloadMethod, func(req *http.Request) (*http.Response, error) {
			close(entered)
			<-release
			return httpmock.NewStringResponse(200, golden(t, "cert_download")), nil
		})
		first := make(chan error, 1)
		go func() { first <- query(h, context.Background()) }()
		<-entered
		err := query(h, context.Background()) // returns while the first download is blocked
		ce := kindOf(t, err)
		assert.Equal(t, channel.KindSignature, ce.Kind)
		assert.Contains(t, ce.Error(), "in progress")
		close(release)
		require.NoError(t, <-first)
		assert.Equal(t, 1, h.gw.downloads())
	})

	t.Run("no second download within the gap", func(t *testing.T) {
		h := newHarness(t, certModeTest)
		h.gw.onBody(methodQuery, golden(t, "query_success_rotated"), otherSN(t), otherSN(t))
		h.gw.onBody(certDownloadMethod, golden(t, "cert_download"), golden(t, "cert_download_rogue"))
		require.NoError(t, query(h, context.Background()))
		err := query(h, context.Background())
		assert.Contains(t, kindOf(t, err).Error(), "less than")
		assert.Equal(t, 1, h.gw.downloads())
		h.clk.Advance(certFetchGap)
		assert.ErrorIs(t, query(h, context.Background()), channel.ErrSignature) // the rogue answer is refused
		assert.Equal(t, 2, h.gw.downloads(), "after the gap the next SN is tried")
	})

	t.Run("a waiter for the same SN can give up", func(t *testing.T) {
		h := newHarness(t, certModeTest)
		entered, release := make(chan struct{}), make(chan struct{})
		h.gw.onBody(methodQuery, golden(t, "query_success_rotated"))
		h.gw.on(certDownloadMethod, func(req *http.Request) (*http.Response, error) {
			close(entered)
			<-release
			return httpmock.NewStringResponse(200, golden(t, "cert_download")), nil
		})
		first := make(chan error, 1)
		go func() { first <- query(h, context.Background()) }()
		<-entered
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		// keyFor directly: a cancelled context would stop a whole call before sending.
		_, err := h.c.keyFor(ctx, "query", certSN(t, "alipay2_cert.crt"))
		ce := kindOf(t, err)
		assert.Equal(t, channel.KindSignature, ce.Kind)
		assert.Contains(t, ce.Error(), "waiting for its download")
		close(release)
		require.NoError(t, <-first)
	})
}

// TestKeyring_CachesAtMostMaxCachedCerts: the oldest downloaded key goes first; the
// configured certificate's key always stays.
func TestKeyring_CachesAtMostMaxCachedCerts(t *testing.T) {
	def := &testKey(t, "alipay_private.pem").PublicKey
	other := &testKey(t, "alipay2_private.pem").PublicKey
	k := newKeyring(def, "configured", nil)
	var sns []string
	for range maxCachedCerts + 3 {
		sn := randomSN(t)
		sns = append(sns, sn)
		k.mu.Lock()
		k.addLocked(sn, other)
		k.mu.Unlock()
	}
	assert.Len(t, k.bySN, maxCachedCerts+1)
	assert.Equal(t, def, k.bySN["configured"])
	for i, sn := range sns {
		_, ok := k.bySN[sn]
		assert.Equal(t, i >= 3, ok, "SN %d", i)
	}
}
