package alipay

import (
	"crypto/rsa"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

// request is one /gateway.do call: the merged parameters (§2: URL query and form body,
// one value per key, the first one seen) and the decoded biz_content.
type request struct {
	params map[string]string
	biz    map[string]any // nil when absent or not a JSON object
	bizErr bool           // biz_content present but not a JSON object
}

// parseRequest merges the URL query and an application/x-www-form-urlencoded body. It
// never fails: malformed pairs are skipped, as url.ParseQuery does.
func parseRequest(r *http.Request, body []byte) *request {
	req := &request{params: map[string]string{}}
	add := func(v url.Values) {
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, seen := req.params[k]; !seen && len(v[k]) > 0 {
				req.params[k] = v[k][0]
			}
		}
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	add(q)
	if len(body) > 0 && isForm(r.Header.Get("Content-Type")) {
		f, _ := url.ParseQuery(string(body))
		add(f)
	}
	if bc := req.params["biz_content"]; bc != "" {
		dec := json.NewDecoder(strings.NewReader(bc))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
			req.bizErr = true
		} else {
			req.biz = m
		}
	}
	return req
}

// isForm accepts a form body, or a body sent without a Content-Type.
func isForm(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

func (r *request) get(k string) string { return r.params[k] }

// str returns a biz_content member as a string: JSON strings as they are, numbers in
// their literal form (§8: the gateway accepts "total_amount":500).
func (r *request) str(k string) string {
	switch v := r.biz[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}

// verifyString is the string a request's signature covers (§4): every parameter but
// sign, empty values dropped, sorted, raw values.
func (r *request) verifyString() string {
	p := make(sign.Params, 0, len(r.params))
	for k, v := range r.params {
		p = append(p, sign.Param{Key: k, Value: v})
	}
	p.Sort()
	return sign.Canonical(p, sign.AlipayRequestCanonical())
}

// checked is what a request passed validation with.
type checked struct {
	m        *Merchant
	certMode bool
}

// check applies the gateway's common validation (§3, §4, §5, §7) in the real order of
// the public error codes: method, app, signature parameters, timestamp, version,
// charset, format, certificates, signature. The app must be known before anything is
// signed: an unknown app gets an unsigned answer (§6).
func (s *Server) check(r *request, now time.Time) (checked, *apiErr) {
	var ck checked
	if r.get("app_id") == "" {
		return ck, &apiErr{code: codeMissing, sub: "isv.missing-app-id", text: "缺少AppID参数", unsigned: true}
	}
	s.mu.Lock()
	m := s.st.merchants[r.get("app_id")]
	s.mu.Unlock()
	if m == nil {
		return ck, &apiErr{code: codeInvalid, sub: "isv.invalid-app-id", text: "无效的AppID参数", unsigned: true}
	}
	ck.m = m
	ck.certMode = r.get("app_cert_sn") != ""
	switch {
	case r.get("sign") == "":
		return ck, missing("isv.missing-signature", "缺少签名参数")
	case r.get("sign_type") == "":
		return ck, missing("isv.missing-signature-type", "缺少签名类型参数")
	case r.get("sign_type") != "RSA2":
		return ck, invalid("isv.invalid-signature-type", "无效的签名类型参数")
	case r.get("timestamp") == "":
		return ck, missing("isv.missing-timestamp", "缺少时间戳参数")
	case r.get("version") == "":
		return ck, missing("isv.missing-version", "缺少版本参数")
	}
	ts, err := time.ParseInLocation(layoutTime, r.get("timestamp"), clock.Beijing())
	if err != nil {
		return ck, invalid("isv.invalid-timestamp", "非法的时间戳参数")
	}
	if tol := s.cfg.TimestampTolerance; tol > 0 {
		if d := now.Sub(ts); d > tol || d < -tol {
			return ck, invalid("isv.invalid-timestamp", "非法的时间戳参数")
		}
	}
	if r.get("version") != "1.0" {
		return ck, invalid("isv.invalid-parameter", "参数无效: version")
	}
	if cs := r.get("charset"); cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return ck, invalid("isv.invalid-charset", "字符集错误")
	}
	if f := r.get("format"); f != "" && !strings.EqualFold(f, "json") {
		return ck, invalid("isv.invalid-format", "无效的数据格式参数")
	}
	var pub *rsa.PublicKey
	if ck.certMode {
		// [inferred] sub-codes of the certificate checks.
		switch {
		case m.cert == nil:
			return ck, &apiErr{code: codeConditions, sub: "isv.missing-signature-config", text: "应用未配置公钥证书"}
		case r.get("app_cert_sn") != m.certSN:
			return ck, invalid("isv.app-cert-sn-not-match", "应用公钥证书序列号不匹配")
		case r.get("alipay_root_cert_sn") == "":
			return ck, missing("isv.missing-alipay-root-cert-sn", "缺少支付宝根证书序列号")
		case !s.keys.rootSNOK(r.get("alipay_root_cert_sn")):
			return ck, invalid("isv.alipay-root-cert-sn-not-match", "支付宝根证书序列号不匹配")
		}
		pub = m.cert
	} else {
		if m.pub == nil {
			return ck, &apiErr{code: codeConditions, sub: "isv.missing-signature-config", text: "应用未配置公钥"}
		}
		pub = m.pub
	}
	vs := r.verifyString()
	if sign.VerifyRSA2Base64(pub, []byte(vs), r.get("sign")) != nil {
		// §4: the real sub_msg quotes the string the gateway verified.
		return ck, invalid("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥证书是否匹配，网关生成的验签字符串为："+vs)
	}
	if r.bizErr {
		return ck, invalid("isv.invalid-parameter", "参数无效: biz_content")
	}
	// The gateway only ever notifies http(s) URLs; a file: or gopher: URL must not be
	// accepted and then silently dropped. [inferred] sub-code, as for version.
	if u := r.get("notify_url"); u != "" && !validNotifyURL(u) {
		return ck, invalid("isv.invalid-parameter", "参数无效: notify_url")
	}
	return ck, nil
}

// validNotifyURL reports whether u is an absolute http(s) URL with a host and no user
// information: the only notification targets the simulator (like the channel) sends to.
func validNotifyURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return false
	}
	return p.Scheme == "http" || p.Scheme == "https"
}
