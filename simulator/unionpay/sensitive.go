package unionpay

import (
	"github.com/tongdao/tongdao/adapters/sign"
)

// decrypt opens one field encrypted with UnionPay's encryption certificate: RSA for
// merchants signing with 01/11/12, SM2 (C1C3C2) for 21 (unionpay.md §5.4, §6).
func (s *Server) decrypt(x *exchange, ct string) ([]byte, bool) {
	var pt []byte
	var err error
	if x.method == sign.UnionPaySignMethodSM2 {
		pt, err = sign.UnionPayDecryptSM2(s.keys.sm2Enc, ct)
	} else {
		pt, err = sign.UnionPayDecryptRSA(s.keys.rsaEnc, ct)
	}
	return pt, err == nil
}

// encrypted reports whether the request's sensitive fields are encrypted, checking
// encryptCertId; code is set when the request breaks the merchant's rule.
func (s *Server) encrypted(x *exchange) (enc bool, code, msg string) {
	id := x.r.str("encryptCertId")
	if id == "" {
		if !x.m.PlainAccNo {
			return false, "10", "报文格式错误: sensitive fields must be encrypted with UnionPay's encryption certificate (encryptCertId missing)"
		}
		return false, "", ""
	}
	want := s.keys.rsaEncID
	if x.method == sign.UnionPaySignMethodSM2 {
		want = s.keys.sm2EncID
	}
	if id != want {
		return false, "10", "报文格式错误: encryptCertId " + id + " is not UnionPay's current encryption certificate (query txnType 95)"
	}
	return true, "", ""
}

// accNo reads the card number (never echoed: errors name the field only).
func (s *Server) accNo(x *exchange) (string, string, string) {
	v := x.r.str("accNo")
	if v == "" {
		return "", "13", msgOf("13") + ": accNo is required"
	}
	enc, code, msg := s.encrypted(x)
	if code != "" {
		return "", code, msg
	}
	if enc {
		pt, ok := s.decrypt(x, v)
		if !ok {
			return "", "10", "报文格式错误: accNo cannot be decrypted with the encryption certificate"
		}
		v = string(pt)
	}
	if len(v) < 12 || len(v) > 19 || !digits(v) {
		return "", "10", "报文格式错误: accNo is not a card number"
	}
	return v, "", ""
}

// customerInfo reads customerInfo with its encryptedInfo opened (unionpay.md §6). An
// absent customerInfo gives an empty map.
func (s *Server) customerInfo(x *exchange) (map[string]string, string, string) {
	v := x.r.str("customerInfo")
	if v == "" {
		return map[string]string{}, "", ""
	}
	ci, err := decodeCustomerInfo(v)
	if err != nil {
		return nil, "10", "报文格式错误: " + err.Error()
	}
	if ei := ci["encryptedInfo"]; ei != "" {
		if _, code, msg := s.encrypted(x); code != "" {
			return nil, code, msg
		}
		pt, ok := s.decrypt(x, ei)
		if !ok {
			return nil, "10", "报文格式错误: customerInfo.encryptedInfo cannot be decrypted"
		}
		inner, err := parseKV(string(pt))
		if err != nil {
			return nil, "10", "报文格式错误: customerInfo.encryptedInfo: " + err.Error()
		}
		for k, val := range inner {
			ci[k] = val
		}
		delete(ci, "encryptedInfo")
	} else if !x.m.PlainAccNo && (ci["phoneNo"] != "" || ci["cvn2"] != "" || ci["expired"] != "") {
		return nil, "10", "报文格式错误: phoneNo, cvn2 and expired must travel in customerInfo.encryptedInfo"
	}
	return ci, "", ""
}
