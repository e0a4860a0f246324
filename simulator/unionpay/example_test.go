package unionpay_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

// Example queries an order the simulated UnionPay does not know, signing with the demo
// merchant's secure key (signMethod 11): the answer is respCode 34.
func Example() {
	up, err := unionpay.New(unionpay.Config{})
	if err != nil {
		panic(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{up}})
	if err != nil {
		panic(err)
	}
	f := sign.Params{
		{Key: "version", Value: "5.1.0"}, {Key: "encoding", Value: "UTF-8"}, {Key: "signMethod", Value: "11"},
		{Key: "txnType", Value: "00"}, {Key: "txnSubType", Value: "00"}, {Key: "bizType", Value: "000000"},
		{Key: "accessType", Value: "0"}, {Key: "merId", Value: unionpay.DemoMerID},
		{Key: "orderId", Value: "EXAMPLE0001"}, {Key: "txnTime", Value: "20240603100000"},
	}
	sig, err := sign.UnionPaySecureKeySign("11", []byte(sign.Canonical(f, sign.UnionPayCanonical())), unionpay.DemoSecureKey)
	if err != nil {
		panic(err)
	}
	form := url.Values{"signature": {sig}}
	for _, kv := range f {
		form.Set(kv.Key, kv.Value)
	}
	w := httptest.NewRecorder()
	sim.ServeHTTP(w, httptest.NewRequest("POST", unionpay.PathQuery, strings.NewReader(form.Encode())))
	for _, kv := range strings.Split(w.Body.String(), "&") {
		if strings.HasPrefix(kv, "respCode=") || strings.HasPrefix(kv, "signMethod=") {
			fmt.Println(kv)
		}
	}
	// Output:
	// respCode=34
	// signMethod=11
}
