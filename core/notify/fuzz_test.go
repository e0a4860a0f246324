package notify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/notify"
)

// FuzzVerifyWebhook: any header and body is refused or accepted without a panic, and what
// SignatureHeader signs always verifies while the same header on another body does not.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add("t=1765000000,v1=329f356c8ed76e54282ecc8dd4993cf891798955fb3b8a684de493ff4e1026b0", []byte(`{"id":"evt_1"}`))
	f.Add("t=,v1=", []byte{})
	f.Add("t=1,t=2,v1=zz,v0=,=,", []byte("x"))
	f.Add("v1=00,t=99999999999999999999", []byte("{}"))
	now := time.Unix(1765000000, 0)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		h := http.Header{}
		h.Set(notify.HeaderSignature, header)
		_ = notify.VerifyWebhook("whsec_test", h, body, now, time.Minute)

		h.Set(notify.HeaderSignature, notify.SignatureHeader("whsec_test", now, body))
		if err := notify.VerifyWebhook("whsec_test", h, body, now, time.Minute); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if err := notify.VerifyWebhook("whsec_test", h, append(body, 'x'), now, time.Minute); err == nil {
			t.Fatal("signature accepted for another body")
		}
	})
}
