package wechat

import (
	"crypto/md5"

	"github.com/tongdao/tongdao/adapters/sign"
)

// payerOpenID is the openid of the payer behind a payment code under an appid: derived
// from the code rather than drawn at random, so /tools/authcodetoopenid and the
// micropay made with the same code name the same payer.
func payerOpenID(appID, authCode string) string {
	sum := md5.Sum([]byte(appID + "\x00" + authCode))
	b := make([]byte, 27)
	for i := range b {
		b[i] = openIDCh[sum[i%len(sum)]>>(2*(i/len(sum)))%64]
	}
	return "o" + string(b)
}

// authCodeToOpenID serves /tools/authcodetoopenid (§1): the openid of the payer whose
// payment code was scanned. An invalid code is AUTH_CODE_INVALID.
func (s *Server) authCodeToOpenID(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	if be := rc.require("auth_code"); be != nil {
		return nil, be, nil
	}
	if !validAuthCode(rc.v("auth_code")) {
		return nil, biz(codeAuthCodeInvalid), nil
	}
	return sign.Params{{Key: "openid", Value: payerOpenID(rc.appID, rc.v("auth_code"))}}, nil, nil
}
