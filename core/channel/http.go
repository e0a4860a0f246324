package channel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// MaxNotificationBytes is the body limit ReadNotification applies when given 0: 64 KiB,
// far above any channel's notification (WeChat's largest is about 3 KiB).
const MaxNotificationBytes = 64 << 10

// ReadNotification reads a callback's body, at most limit bytes (0 = MaxNotificationBytes).
// A larger body is refused with a KindInvalidRequest error without reading the rest, so a
// caller can answer 413 and change nothing.
func ReadNotification(r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxNotificationBytes
	}
	if r.ContentLength > limit {
		return nil, tooLarge(r.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, &Error{Op: "notification", Kind: KindInvalidRequest, Code: "READ_BODY", Message: "reading the notification body failed", Err: err}
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(-1, limit)
	}
	return body, nil
}

func tooLarge(n, limit int64) error {
	got := "more"
	if n >= 0 {
		got = strconv.FormatInt(n, 10)
	}
	return &Error{Op: "notification", Kind: KindInvalidRequest, Code: "BODY_TOO_LARGE",
		Message: fmt.Sprintf("notification body of %s bytes exceeds the limit of %d", got, limit)}
}

// Write writes the response to w byte for byte: its Content-Type (if any), its status code
// (200 when zero) and its body.
func (r Response) Write(w http.ResponseWriter) error {
	if r.ContentType != "" {
		w.Header().Set("Content-Type", r.ContentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(r.Body)))
	code := r.StatusCode
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, err := w.Write(r.Body)
	return err
}

// NotificationHandler returns an http.Handler for a channel's notify URL. For each callback
// it reads the body (at most MaxNotificationBytes), verifies and decodes it with
// ch.ParseNotification, and calls apply. It writes the channel's acknowledgement
// (Notification.Ack) only when apply returns nil — so apply must return only after the
// change is durable — and the channel's Nack when apply fails, so the channel sends again.
// A callback that cannot be read, verified or decoded gets 400 (413 when too large) and
// apply is not called. apply must be idempotent: channels re-send, and Notification.DedupKey
// identifies a re-send. It should check the notification against the order with
// Notification.Check before changing anything.
func NotificationHandler(ch Channel, apply func(ctx context.Context, n *Notification) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "notifications are POSTed", http.StatusMethodNotAllowed)
			return
		}
		body, err := ReadNotification(r, 0)
		if err != nil {
			code := http.StatusBadRequest
			var e *Error
			if errors.As(err, &e) && e.Code == "BODY_TOO_LARGE" {
				code = http.StatusRequestEntityTooLarge
			}
			http.Error(w, err.Error(), code)
			return
		}
		n, err := ch.ParseNotification(r.Context(), r.Header, body)
		if err != nil {
			http.Error(w, "notification refused: "+KindOf(err).String(), http.StatusBadRequest)
			return
		}
		if err := apply(r.Context(), n); err != nil {
			if n.Nack.StatusCode == 0 && len(n.Nack.Body) == 0 {
				http.Error(w, "not processed", http.StatusInternalServerError)
				return
			}
			_ = n.Nack.Write(w)
			return
		}
		_ = n.Ack.Write(w)
	})
}
