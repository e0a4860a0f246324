package wechat

import (
	"net/http"

	"github.com/tongdao/tongdao/adapters/sign"
)

// getSignKey serves /sandboxnew/pay/getsignkey (§12): a request with mch_id, nonce_str
// and sign (MD5 with the real API key) gets the merchant's sandbox_signkey, which then
// signs every /sandboxnew call and response. The key is drawn once per merchant and
// kept until Reset, so repeated calls return the same key.
func (s *Server) getSignKey(p sign.Params) reply {
	for _, f := range []string{"mch_id", "nonce_str", "sign"} {
		if p.Value(f) == "" {
			return failReply(missingMsg(f))
		}
	}
	st, err := sign.ParseWeChatSignType(p.Value("sign_type"))
	if err != nil {
		return failReply(msgSignTypeInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.merchants[p.Value("mch_id")]
	if m == nil {
		return failReply(msgMchIDNotExist)
	}
	if sign.WeChatVerify(p, m.Key, st, p.Value("sign")) != nil {
		return failReply(msgSignError)
	}
	key := s.st.sandboxKeys[m.MchID]
	if key == "" {
		key = s.ids.signKey()
		s.st.sandboxKeys[m.MchID] = key
	}
	// The response is not signed; gopay reads sandbox_signkey from it directly.
	return reply{http.StatusOK, contentTypeXML, encodeXML(sign.Params{
		{Key: "return_code", Value: "SUCCESS"}, {Key: "return_msg", Value: "ok"},
		{Key: "mch_id", Value: m.MchID}, {Key: "sandbox_signkey", Value: key}})}
}
