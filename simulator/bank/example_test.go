package bank_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Example binds the demo card to a user (BIND_APPLY with the 4 elements in a digital
// envelope, the SMS code read from the control API, BIND_CONFIRM) and pays 1.00 yuan
// with the agreement, talking to an in-process simulator as any client would.
func Example() {
	b, _ := bank.New(bank.Config{})
	sim, _ := simulator.New(simulator.Config{Protocols: []simulator.Protocol{b}, Seed: 1})
	hc := &http.Client{Transport: sim.Transport()}
	const base = "http://sim.test"

	merchantKey, _ := sign.ParseSM2PrivateKey(demo.MustFile(demo.BankMerchantPrivate), nil)
	bankSign, _ := sign.ParseSM2PublicKey(demo.MustFile(demo.BankSignPublic))
	bankEnc, _ := sign.ParseSM2PublicKey(demo.MustFile(demo.BankEncPublic))

	serial := 0
	call := func(txCode string, clear, secret map[string]string) map[string]string {
		data := map[string]string{}
		for k, v := range clear {
			data[k] = v
		}
		f := map[string]string{"version": "1.0", "merchantId": "M0000001", "txCode": txCode,
			"reqTime":  sim.Clock().Now().In(clock.Beijing()).Format("20060102150405"),
			"signType": "SM2", "certSerial": "68759663125"}
		serial++
		f["reqSerial"] = fmt.Sprintf("EX%04d", serial)
		if len(secret) > 0 { // digital envelope: fresh SM4 key, SM2-wrapped for the bank
			env, _ := sign.NewEnvelope(sign.EnvelopeOptions{})
			for k, v := range secret {
				data[k], _ = env.SealField([]byte(v))
			}
			f["encKey"], _ = env.WrapKey(bankEnc)
		}
		dj, _ := json.Marshal(data) // sorted keys, compact
		f["data"] = string(dj)
		sig, _ := sign.SignSM2(merchantKey, canonical(f), sign.SM2SignOptions{})
		f["sign"] = base64.StdEncoding.EncodeToString(sig)
		body, _ := json.Marshal(f)
		resp, err := hc.Post(base+bank.GatewayPath, "application/json", bytes.NewReader(body))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var ans map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		rs, _ := sign.DecodeText(ans["sign"], sign.TextBase64)
		if sign.VerifySM2(bankSign, canonical(ans), rs, sign.SM2SignOptions{}) != nil {
			panic("answer not signed by the bank")
		}
		var d map[string]string
		_ = json.Unmarshal([]byte(ans["data"]), &d)
		fmt.Println(txCode, ans["respCode"], ans["respMsg"])
		return d
	}

	call(bank.TxBindApply, map[string]string{"bindNo": "B1", "userId": "U1", "idType": "01"},
		map[string]string{"cardNo": "6216261000000000018", "holderName": "全渠道", "idNo": "341126197709218366", "mobile": "13552535506"})
	resp, _ := hc.Get(base + "/_sim/bank/sms?merchant=M0000001&bind_no=B1")
	var sms bank.SMS
	_ = json.NewDecoder(resp.Body).Decode(&sms)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := call(bank.TxBindConfirm, map[string]string{"bindNo": "B1", "smsCode": sms.Code}, nil)
	fmt.Println(d["cardNoMasked"])
	d = call(bank.TxPay, map[string]string{"orderNo": "P1", "userId": "U1", "protocolNo": d["protocolNo"],
		"amount": "100", "subject": "demo", "notifyUrl": "http://merchant.test/notify"}, nil)
	fmt.Println(d["status"], d["amount"], d["settleDate"])
	// Output:
	// BIND_APPLY 0000 success
	// BIND_CONFIRM 0000 success
	// 621626*********0018
	// PAY 0000 success
	// SUCCESS 100 20240603
}

// canonical is the signed string: every member but sign, empty values dropped, sorted by
// key, k=v joined by &, values exactly as sent.
func canonical(f map[string]string) []byte {
	keys := make([]string, 0, len(f))
	for k, v := range f {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + f[k]
	}
	return []byte(strings.Join(parts, "&"))
}
