package channel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// noteChannel is a Channel whose notifications are "ORDER:AMOUNT" signed by a "ok:" prefix.
type noteChannel struct{ channel.Channel }

func (noteChannel) Name() string { return "note" }
func (noteChannel) ParseNotification(_ context.Context, _ http.Header, body []byte) (*channel.Notification, error) {
	s, ok := strings.CutPrefix(string(body), "ok:")
	if !ok {
		return nil, &channel.Error{Channel: "note", Op: "notification", Kind: channel.KindSignature}
	}
	return &channel.Notification{Channel: "note", Type: channel.NotifyPayment,
		Payment: &channel.PaymentResult{Status: channel.StatusSucceeded, OrderNo: s, Amount: money.Fen(100)},
		Ack:     channel.Response{StatusCode: 200, ContentType: "text/plain", Body: []byte("success")},
		Nack:    channel.Response{StatusCode: 200, ContentType: "text/plain", Body: []byte("fail")}}, nil
}

func TestNotificationHandler(t *testing.T) {
	var applied []string
	applyErr := error(nil)
	h := channel.NotificationHandler(noteChannel{}, func(_ context.Context, n *channel.Notification) error {
		if err := n.Check(channel.Expectation{OrderNo: "O1", Amount: money.Fen(100)}); err != nil {
			return err
		}
		if applyErr != nil {
			return applyErr
		}
		applied = append(applied, n.DedupKey())
		return nil
	})
	post := func(method, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/notify", strings.NewReader(body)))
		return rec
	}
	if rec := post(http.MethodPost, "ok:O1"); rec.Code != 200 || rec.Body.String() != "success" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("verified and applied: %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
	if len(applied) != 1 {
		t.Fatalf("applied %d times", len(applied))
	}
	if rec := post(http.MethodPost, "bad:O1"); rec.Code != 400 || strings.Contains(rec.Body.String(), "success") {
		t.Errorf("forged: %d %q", rec.Code, rec.Body)
	}
	if rec := post(http.MethodPost, "ok:O2"); rec.Code != 200 || rec.Body.String() != "fail" {
		t.Errorf("wrong order (Check refuses): %d %q, want the Nack", rec.Code, rec.Body)
	}
	applyErr = errors.New("database down")
	if rec := post(http.MethodPost, "ok:O1"); rec.Body.String() != "fail" {
		t.Errorf("apply failed: %q, want the Nack so the channel re-sends", rec.Body)
	}
	if rec := post(http.MethodGet, ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", rec.Code)
	}
	if rec := post(http.MethodPost, "ok:"+strings.Repeat("x", channel.MaxNotificationBytes)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d", rec.Code)
	}
	if len(applied) != 1 {
		t.Errorf("refused notifications were applied: %v", applied)
	}
}

func TestReadNotification_Limit(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader("12345")))
	req.ContentLength = -1 // chunked: the limit is enforced while reading
	if _, err := channel.ReadNotification(req, 4); channel.KindOf(err) != channel.KindInvalidRequest || !strings.Contains(err.Error(), "exceeds the limit of 4") {
		t.Errorf("over the limit: %v", err)
	}
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("1234"))
	if b, err := channel.ReadNotification(req, 4); err != nil || string(b) != "1234" {
		t.Errorf("at the limit: %q %v", b, err)
	}
}

func TestResponse_Write(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := (channel.Response{Body: []byte("<xml/>")}).Write(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Body.String() != "<xml/>" || rec.Header().Get("Content-Length") != "6" {
		t.Errorf("got %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}
