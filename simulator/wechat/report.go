package wechat

import (
	"net/http"

	"github.com/tongdao/tongdao/adapters/sign"
)

// report serves /payitil/report (交易保障, §1): optional telemetry about the merchant's
// own calls. It is authenticated like any call and answered with an unsigned
// return_code/return_msg/result_code, the only fields gopay's ReportResponse has; the
// report itself is kept only in the engine's transcript.
func (s *Server) report(rc *reqCtx) reply {
	for _, f := range []string{"interface_url", "execute_time", "return_code", "result_code", "user_ip"} {
		if rc.v(f) == "" {
			return failReply("缺少参数" + f)
		}
	}
	if !allDigits(rc.v("execute_time")) {
		return failReply("execute_time参数格式错误")
	}
	return reply{http.StatusOK, contentTypeXML, encodeXML(sign.Params{
		{Key: "return_code", Value: "SUCCESS"}, {Key: "return_msg", Value: "OK"},
		{Key: "result_code", Value: "SUCCESS"}})}
}
