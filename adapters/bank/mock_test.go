package bank

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator/demo"
)

// mockBank answers every gateway call with what answer returns for the request's fields:
// the HTTP status, the members to change or add in a signed 0000 envelope, and raw (sent
// as is when not nil).
type mockBank struct {
	t      *testing.T
	key    *sign.SM2PrivateKey
	answer func(req map[string]string) (status int, override map[string]string, raw []byte)
}

func (m *mockBank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req map[string]string
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &req); err != nil {
		http.Error(w, "bad", 400)
		return
	}
	status, over, raw := m.answer(req)
	if raw != nil {
		w.WriteHeader(status)
		_, _ = w.Write(raw)
		return
	}
	f := map[string]string{"version": "1.0", "merchantId": req["merchantId"], "txCode": req["txCode"], "reqSerial": req["reqSerial"],
		"respTime": "20240603100000", "respCode": "0000", "respMsg": "success", "signType": "SM2", "certSerial": "90000000001"}
	for k, v := range over {
		f[k] = v
	}
	sig, err := sign.SignSM2(m.key, canonical(f), sign.SM2SignOptions{})
	if err != nil {
		m.t.Fatal(err)
	}
	f["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
	w.WriteHeader(status)
	_, _ = w.Write(encodeJSON(f))
}

func newMock(t *testing.T, answer func(req map[string]string) (int, map[string]string, []byte)) *Client {
	t.Helper()
	k, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankSignPrivate), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&mockBank{t: t, key: k, answer: answer})
	t.Cleanup(srv.Close)
	cfg := validConfig()
	cfg.BaseURL, cfg.BankCertSerial, cfg.NotifyURL, cfg.MaxResponseBytes = srv.URL, "90000000001", "http://m.test/n", 4096
	cfg.Clock = clock.NewVirtual(time.Date(2024, 6, 3, 10, 0, 0, 0, clock.Beijing()))
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func payReq() *channel.PayRequest {
	return &channel.PayRequest{OrderNo: "P1", Amount: money.Fen(100), Method: channel.MethodToken, Token: "T1", PayerID: "U1", Subject: "s"}
}

// TestMock_AnswersThatCannotBeTrusted: verified-but-wrong, unverifiable and failed answers
// are unknown outcomes — never retryable for Pay, retryable for the query — and a failure
// before sending is unavailable and retryable.
func TestMock_AnswersThatCannotBeTrusted(t *testing.T) {
	payData := `{"amount":"100","bankSerial":"B1","orderNo":"P1","status":"SUCCESS"}`
	tests := []struct {
		name   string
		answer func(req map[string]string) (int, map[string]string, []byte)
		code   string
	}{
		{"amount differs", func(map[string]string) (int, map[string]string, []byte) {
			return 200, map[string]string{"data": strings.Replace(payData, `"100"`, `"101"`, 1)}, nil
		}, "MISMATCH"},
		{"serial not echoed", func(map[string]string) (int, map[string]string, []byte) {
			return 200, map[string]string{"data": payData, "reqSerial": "OTHER"}, nil
		}, "UNVERIFIED"},
		{"order not echoed", func(map[string]string) (int, map[string]string, []byte) {
			return 200, map[string]string{"data": strings.Replace(payData, `"P1"`, `"P2"`, 1)}, nil
		}, "UNVERIFIED"},
		{"wrong cert serial", func(map[string]string) (int, map[string]string, []byte) {
			return 200, map[string]string{"data": payData, "certSerial": "1"}, nil
		}, "UNVERIFIED"},
		{"502", func(map[string]string) (int, map[string]string, []byte) { return 502, nil, []byte("bad gateway") }, "HTTP_502"},
		{"too large", func(map[string]string) (int, map[string]string, []byte) {
			return 200, nil, []byte(strings.Repeat(" ", 5000))
		}, "RESPONSE_TOO_LARGE"},
		{"html", func(map[string]string) (int, map[string]string, []byte) { return 200, nil, []byte("<html>busy</html>") }, "UNVERIFIED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newMock(t, tc.answer)
			_, err := c.Pay(context.Background(), payReq())
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Kind != channel.KindUnknown || ce.Retryable || ce.Code != tc.code {
				t.Fatalf("pay: %v (retryable %v)", err, channel.IsRetryable(err))
			}
			if tc.code == "MISMATCH" {
				return // a query does not know the amount: 1.01 is its answer
			}
			_, err = c.Query(context.Background(), &channel.QueryRequest{OrderNo: "P1"})
			if !errors.Is(err, channel.ErrUnknownOutcome) || !channel.IsRetryable(err) {
				t.Fatalf("query: %v (retryable %v)", err, channel.IsRetryable(err))
			}
		})
	}
}

func TestMock_NothingSentIsUnavailable(t *testing.T) {
	c := newMock(t, func(map[string]string) (int, map[string]string, []byte) { return 200, nil, nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Pay(ctx, payReq()); !errors.Is(err, channel.ErrUnavailable) || !channel.IsRetryable(err) {
		t.Fatalf("cancelled before sending: %v", err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there now
	cfg := validConfig()
	cfg.BaseURL, cfg.NotifyURL = srv.URL, "http://m.test/n"
	c2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Pay(context.Background(), payReq()); !errors.Is(err, channel.ErrUnavailable) || !channel.IsRetryable(err) {
		t.Fatalf("connection refused: %v", err)
	}
}

// TestMock_ReqSerialIsDerivedFromTheBusinessNumber: retries of a changing call carry the
// same serial (the bank replays), reads a fresh one each time.
func TestMock_ReqSerialIsDerivedFromTheBusinessNumber(t *testing.T) {
	serials := map[string][]string{}
	c := newMock(t, func(req map[string]string) (int, map[string]string, []byte) {
		serials[req["txCode"]] = append(serials[req["txCode"]], req["reqSerial"])
		return 200, map[string]string{"data": `{"amount":"100","bankSerial":"B1","orderNo":"P1","status":"SUCCESS"}`}, nil
	})
	for i := 0; i < 2; i++ {
		if _, err := c.Pay(context.Background(), payReq()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Query(context.Background(), &channel.QueryRequest{OrderNo: "P1"}); err != nil {
			t.Fatal(err)
		}
	}
	if p := serials["PAY"]; len(p) != 2 || p[0] != p[1] || !strings.HasPrefix(p[0], "PY") || len(p[0]) != 32 {
		t.Errorf("PAY serials %v", p)
	}
	if q := serials["PAY_QUERY"]; len(q) != 2 || q[0] == q[1] {
		t.Errorf("PAY_QUERY serials %v", q)
	}
}

func TestMock_StatementFailuresAreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		over map[string]string
	}{
		{"not ready", map[string]string{"respCode": "4006", "respMsg": "statement not ready"}},
		{"no file id", map[string]string{"data": `{"downloadToken":"t","fileSm3":"00"}`}},
		{"sm3 mismatch", map[string]string{"data": `{"fileId":"F1","downloadToken":"t","fileSm3":"` + strings.Repeat("0", 64) + `"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newMock(t, func(req map[string]string) (int, map[string]string, []byte) { return 200, tc.over, nil })
			_, err := c.DownloadStatement(context.Background(), &channel.StatementRequest{Date: clock.DateOf(time.Date(2024, 6, 2, 0, 0, 0, 0, clock.Beijing()), clock.Beijing())})
			if !errors.Is(err, channel.ErrUnavailable) || !channel.IsRetryable(err) {
				t.Fatalf("%v", err)
			}
		})
	}
}
