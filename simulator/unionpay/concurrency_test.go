package unionpay_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

// TestConcurrentConsumes_EachOnceAndBalanced: 16 clients consume and refund at once on one
// token; every consume succeeds once, every duplicate orderId is refused, and the file
// lists each consume and refund once (run with -race).
func TestConcurrentConsumes_EachOnceAndBalanced(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "11")
	token := e.openToken(t, trID)
	tpd := "{trId=" + trID + "&token=" + token + "}"
	txnTime := e.now()
	post := func(path string, f map[string]string) map[string]string {
		canonical := []byte(sign.CanonicalMap(f, sign.UnionPayCanonical()))
		sig, _ := sign.UnionPaySecureKeySign("11", canonical, unionpay.DemoSecureKey)
		v := toValues(f)
		v.Set("signature", sig)
		res, err := e.sim.Client().Post(e.sim.URL+path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
		if err != nil {
			t.Error(err)
			return nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		m, err := parseLine(string(b))
		if err != nil {
			t.Error(err)
		}
		return m
	}
	base := func(txnType, orderID string) map[string]string {
		return map[string]string{"version": "5.1.0", "encoding": "UTF-8", "signMethod": "11", "txnType": txnType, "txnSubType": "01",
			"bizType": "000902", "accessType": "0", "merId": unionpay.DemoMerID, "orderId": orderID, "txnTime": txnTime,
			"txnAmt": "100", "currencyCode": "156", "backUrl": backURL}
	}
	const n = 16
	var wg sync.WaitGroup
	codes := make([][2]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			orderID := fmt.Sprintf("PAR%08d", i)
			f := base("01", orderID)
			f["tokenPayData"] = tpd
			f["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=111111}"))
			first := post(unionpay.PathBack, f)
			again := post(unionpay.PathBack, f) // the identical request again: 12
			codes[i] = [2]string{first["respCode"], again["respCode"]}
			if first["respCode"] == "00" {
				r := base("04", "REF"+orderID)
				r["txnSubType"], r["origQryId"], r["txnAmt"] = "00", first["queryId"], "40"
				if m := post(unionpay.PathBack, r); m["respCode"] != "00" {
					t.Errorf("refund %d: %v", i, m["respCode"])
				}
			}
		}(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != [2]string{"00", "12"} {
			t.Errorf("client %d: %v, want first 00 then 12", i, c)
		}
	}
	e.deliver(24 * time.Hour)
	_, files := e.download("0603")
	zm := zmLines(files["INN24060388ZM_"+unionpay.DemoMerID])
	consumes, refunds := 0, 0
	for _, l := range zm {
		switch zmField(l, 215, 2) {
		case "01":
			consumes++
		case "04":
			refunds++
		}
	}
	if consumes != n || refunds != n {
		t.Errorf("file: %d consumes, %d refunds, want %d each", consumes, refunds, n)
	}
}

func TestTxnTimeTolerance(t *testing.T) {
	e := newEnv(t, unionpay.Config{TxnTimeTolerance: 10 * time.Minute}, "01")
	want(t, e.query("NOSUCHORDER1", e.now()), "respCode", "34")
	m := e.call(unionpay.PathQuery, e.fields("00", "00", "000000", map[string]string{"txnTime": "20240603080000"}))
	want(t, m, "respCode", "10")
	if !strings.Contains(m["respMsg"], "txnTime") {
		t.Errorf("respMsg %q", m["respMsg"])
	}
}
