package unionpay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator/demo"
)

// roundTrip is an http.RoundTripper from a function (the adapter's httpmock).
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, body string) roundTrip {
	return func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}, nil
	}
}

var errReset = errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer")

// TestRetryable_FollowsTheContractRule: failures before sending are Unavailable and
// retryable; after sending they are Unknown, retryable for queries, refunds and undos
// (UnionPay refuses a reused orderId) and never for Pay.
func TestRetryable_FollowsTheContractRule(t *testing.T) {
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, clock.Beijing())
	clk := clock.NewVirtual(at)
	calls := map[string]func(*Client) error{
		"pay": func(c *Client) error {
			_, err := c.Pay(context.Background(), &channel.PayRequest{OrderNo: "ORDER0001", OrderTime: at, Amount: money.Fen(1), Method: channel.MethodApp})
			return err
		},
		"query": func(c *Client) error {
			_, err := c.Query(context.Background(), &channel.QueryRequest{OrderNo: "ORDER0001", OrderTime: at})
			return err
		},
		"refund": func(c *Client) error {
			_, err := c.Refund(context.Background(), &channel.RefundRequest{RefundNo: "REFUND0001", RefundTime: at, ChannelTxnID: "260310100000000000001", OrderNo: "ORDER0001", Amount: money.Fen(1)})
			return err
		},
	}
	for _, tc := range []struct {
		name      string
		rt        http.RoundTripper
		kind      channel.Kind
		retryable map[string]bool
	}{
		{"dial refused", roundTrip(func(*http.Request) (*http.Response, error) {
			return nil, &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
		}), channel.KindUnavailable, map[string]bool{"pay": true, "query": true, "refund": true}},
		{"TLS handshake", roundTrip(func(*http.Request) (*http.Response, error) {
			return nil, &url.Error{Op: "Post", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
		}), channel.KindUnavailable, map[string]bool{"pay": true, "query": true, "refund": true}},
		{"reset after sending", roundTrip(func(*http.Request) (*http.Response, error) { return nil, errReset }),
			channel.KindUnknown, map[string]bool{"pay": false, "query": true, "refund": true}},
		{"HTTP 502", answer(502, "bad gateway"), channel.KindUnknown, map[string]bool{"pay": false, "query": true, "refund": true}},
		{"unverifiable", answer(200, "respCode=00&respMsg=ok&signMethod=01&signature=AAAA"), channel.KindUnknown, map[string]bool{"pay": false, "query": true, "refund": true}},
		{"garbage", answer(200, "<html>"), channel.KindUnknown, map[string]bool{"pay": false, "query": true, "refund": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, "01", "http://gateway.test", &http.Client{Transport: tc.rt}, clk, io.Discard)
			for op, call := range calls {
				err := call(c)
				var ce *channel.Error
				if !errors.As(err, &ce) || ce.Kind != tc.kind || ce.Retryable != tc.retryable[op] {
					t.Errorf("%s: %v (kind %v retryable %v), want kind %v retryable %v", op, err, channel.KindOf(err), channel.IsRetryable(err), tc.kind, tc.retryable[op])
				}
			}
		})
	}
}

func TestParseNotification_AlertForgedAndStripped(t *testing.T) {
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, clock.Beijing())
	cfg := testConfig("01", "http://gateway.test", http.DefaultClient, clock.NewVirtual(at), io.Discard)
	cfg.NotifyURL = "http://merchant.test/notify?shop=7"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sign.ParseRSAPrivateKey(demo.MustFile(demo.UnionPaySignPrivate))
	if err != nil {
		t.Fatal(err)
	}
	signed := func(f map[string]string) string {
		f["signMethod"], f["signPubKeyCert"] = "01", string(demo.MustFile(demo.UnionPaySignCert))
		f["signature"], _ = sign.UnionPaySignRSA(key, []byte(sign.CanonicalMap(f, sign.UnionPayCanonical())))
		v := url.Values{}
		for k, x := range f {
			v.Set(k, x)
		}
		return v.Encode()
	}
	fields := func(code string) map[string]string {
		return map[string]string{"version": "5.1.0", "encoding": "UTF-8", "txnType": "01", "txnSubType": "01", "bizType": "000201",
			"merId": demoMerID, "orderId": "LATE00000001", "txnTime": "20260310094000", "txnAmt": "1200", "currencyCode": "156",
			"queryId": "260310100000123456789", "traceTime": "0310100000", "settleDate": "0310", "respCode": code, "respMsg": "x",
			"accNo": "622155******0000"}
	}
	body := signed(fields("42")) + "&shop=7"
	n, err := c.ParseNotification(context.Background(), nil, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if n.Alert == "" || n.Payment.Status != channel.StatusSucceeded || n.Payment.ChannelStatus != "42" || n.EventID != "260310100000123456789" {
		t.Errorf("42: %+v %+v", n, n.Payment)
	}
	n2, _ := c.ParseNotification(context.Background(), nil, []byte(body))
	if n2.DedupKey() != n.DedupKey() {
		t.Errorf("re-send has another key")
	}
	// Empty pairs ("&&", a trailing "&") are skipped as url.ParseQuery does; the rest verifies.
	loose := "&" + strings.Replace(signed(fields("00")), "&", "&&", 3) + "&"
	if n, err := c.ParseNotification(context.Background(), nil, []byte(loose)); err != nil || n.Payment.Status != channel.StatusSucceeded {
		t.Errorf("empty pairs: %v", err)
	}
	if _, err := c.ParseNotification(context.Background(), nil, []byte(signed(fields("00"))+"&=x")); !errors.Is(err, channel.ErrInvalidRequest) {
		t.Errorf("empty name: %v", err)
	}
	forged := strings.Replace(signed(fields("00")), "txnAmt=1200", "txnAmt=1", 1)
	if _, err := c.ParseNotification(context.Background(), nil, []byte(forged)); !errors.Is(err, channel.ErrSignature) {
		t.Errorf("forged: %v", err)
	}
	if _, err := c.ParseNotification(context.Background(), nil, []byte("a=%zz")); !errors.Is(err, channel.ErrInvalidRequest) {
		t.Errorf("malformed: %v", err)
	}
	if strings.Contains(func() string {
		_, err := c.ParseNotification(context.Background(), nil, []byte(forged))
		return err.Error()
	}(), "6221558812340000") {
		t.Error("card in error")
	}
}

// TestMaskedAccNo: a returned accNo is shown 6+4 whether UnionPay masked it, encrypted it
// under the merchant's key or sent it in clear; an unreadable one shows nothing.
func TestMaskedAccNo(t *testing.T) {
	c := newTestClient(t, "01", "http://gateway.test", http.DefaultClient, clock.Real(), io.Discard)
	enc, _ := sign.UnionPayEncryptRSA(&c.w.cfg.creds.rsaKey.PublicKey, []byte("6221558812340000"))
	for in, want := range map[string]string{
		"622155******0000": "622155******0000",
		"6221558812340000": "622155******0000",
		enc:                "622155******0000",
		"bm90IGEgY2FyZA==": "",
		"":                 "",
	} {
		if got := c.maskedAccNo(in); got != want {
			t.Errorf("maskedAccNo(%.20q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignMethodConstants(t *testing.T) {
	if SignRSA != methodRSA || SignSM2 != methodSM2 || SignSHA256Key != methodSHA256 || SignSM3Key != methodSM3 {
		t.Error("exported sign methods differ from the wire layer's")
	}
}
