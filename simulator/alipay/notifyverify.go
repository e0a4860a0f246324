package alipay

import (
	"net/http"

	"github.com/tongdao/tongdao/simulator"
)

// serviceNotifyVerify is the legacy notification check some SDKs make before trusting a
// notification: GET /gateway.do?service=notify_verify&partner=2088…&notify_id=…
const serviceNotifyVerify = "notify_verify"

// notifyVerify answers the legacy check with a bare text body: "true" when the simulator
// sent a notification carrying notify_id, "false" otherwise, and "invalid" when notify_id
// is missing. Relied on (public material, not the spec): Alipay's notify_verify page
// ("If the returned data is true, the verification succeeds. Otherwise, the verification
// is failed"; the response is a string) and the legacy SDKs' check
// responseTxt.equals("true"); "invalid" for wrong parameters is from the same SDKs'
// comments. Not modelled: the real notify_id's limited validity (ids stay valid until the
// simulator is reset) and the partner/sign parameters, which are not checked.
func (s *Server) notifyVerify(r *request) *simulator.Reply {
	id := r.get("notify_id")
	body := "false"
	switch {
	case id == "":
		body = "invalid"
	default:
		s.mu.Lock()
		if s.st.notifyIDs[id] {
			body = "true"
		}
		s.mu.Unlock()
	}
	return &simulator.Reply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(body)}
}
