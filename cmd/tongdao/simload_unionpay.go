package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

// unionpayJob sends UnionPay's encryption-certificate query (txnType 95 on
// backTransReq): a request the simulator verifies (RSA, the demo merchant's certificate)
// and answers with a signed ~3 KB answer carrying two certificates, and which changes no
// state, so one request signed here is sent again and again (signing RSA-2048 per request
// would make the load generator as busy as the server). The bare cost is what any server
// must spend on it: verifying that request and signing that answer's string with
// UnionPay's key.
func unionpayJob() (loadJob, error) {
	p12, err := sign.ParsePKCS12(demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword)
	if err != nil {
		return loadJob{}, err
	}
	key, err := p12.RSAKey()
	if err != nil {
		return loadJob{}, err
	}
	p := sign.Params{{Key: "version", Value: "5.1.0"}, {Key: "encoding", Value: "UTF-8"}, {Key: "signMethod", Value: "01"},
		{Key: "certId", Value: sign.CertID(p12.Certificate)}, {Key: "txnType", Value: "95"}, {Key: "txnSubType", Value: "00"},
		{Key: "bizType", Value: "000000"}, {Key: "accessType", Value: "0"}, {Key: "channelType", Value: "07"},
		{Key: "merId", Value: unionpay.DemoMerID}, {Key: "orderId", Value: "LOADCERT0001"}, {Key: "txnTime", Value: "20260101100000"},
		{Key: "certType", Value: "01"}}
	p.Sort()
	canonical := []byte(sign.Canonical(p, sign.UnionPayCanonical()))
	sig, err := sign.UnionPaySignRSA(key, canonical)
	if err != nil {
		return loadJob{}, err
	}
	form := url.Values{}
	for _, kv := range p {
		form.Set(kv.Key, kv.Value)
	}
	form.Set("signature", sig)
	body := []byte(form.Encode())
	answer, err := unionpayAnswerCanonical(body)
	if err != nil {
		return loadJob{}, err
	}
	upKey, err := sign.ParseRSAPrivateKey(demo.MustFile(demo.UnionPaySignPrivate))
	if err != nil {
		return loadJob{}, err
	}
	bare := func() time.Duration {
		const n = 500
		t0 := selfCPU()
		for range n {
			if sign.UnionPayVerifyRSA(&key.PublicKey, canonical, sig) != nil {
				return 0
			}
			if _, err := sign.UnionPaySignRSA(upKey, answer); err != nil {
				return 0
			}
		}
		return (selfCPU() - t0) / n
	}
	bareBefore := bare() // and again after the run: the lower of the two is the machine at its best
	return loadJob{path: unionpay.PathBack, contentType: "application/x-www-form-urlencoded;charset=UTF-8",
		next: func(_, _ int, w *bytes.Buffer) bool { w.Write(body); return true },
		ok: func(status int, resp []byte) bool {
			return status == http.StatusOK && bytes.Contains(resp, []byte("respCode=00"))
		},
		report: func(w io.Writer, r *loadResult) {
			bareAfter := bare()
			fmt.Fprintf(w, "bare CPU per request (this process: RSA-2048 verify of the request + sign of the answer's string): %v before, %v after the run\n", bareBefore, bareAfter)
			if !r.havePID || r.ok == 0 || bareBefore <= 0 || bareAfter <= 0 {
				fmt.Fprintln(w, "(give --pid to compare with the simulator's CPU per request)")
				return
			}
			per := r.srvCPU / time.Duration(r.ok+r.bad)
			fmt.Fprintf(w, "simulator CPU per request: %v; ratio to bare %.2f (to the lower; goal ≤ 1.25)\n", per, float64(per)/float64(min(bareBefore, bareAfter)))
		}}, nil
}

// unionpayAnswerCanonical asks an in-process simulator for the answer to body and returns
// the string its signature covers: the bare signing cost is measured on the real answer.
func unionpayAnswerCanonical(body []byte) ([]byte, error) {
	up, err := unionpay.New(unionpay.Config{})
	if err != nil {
		return nil, err
	}
	srv, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{up}, Seed: 1})
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, unionpay.PathBack, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	ans, _ := io.ReadAll(rec.Result().Body)
	if !bytes.Contains(ans, []byte("respCode=00")) {
		return nil, fmt.Errorf("unionpay load request refused by the simulator: %.200s", ans)
	}
	// The answer is `k=v&...` (values here hold no '&'); the signature covers every field
	// but itself.
	var p sign.Params
	for _, pair := range strings.Split(string(ans), "&") {
		if k, v, _ := strings.Cut(pair, "="); k != "signature" {
			p = append(p, sign.Param{Key: k, Value: v})
		}
	}
	return []byte(sign.Canonical(p, sign.UnionPayCanonical())), nil
}
