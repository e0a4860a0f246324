package unionpay_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

// download asks for the file of settleDate and unpacks base64(zlib(zip)) (unionpay.md §9).
func (e *env) download(settleDate string) (map[string]string, map[string][]byte) {
	e.t.Helper()
	m := e.call(unionpay.PathFile, e.fields("76", "01", "000000", map[string]string{"fileType": "00", "settleDate": settleDate, "orderId": ""}))
	if m["respCode"] != "00" {
		return m, nil
	}
	raw, err := base64.StdEncoding.DecodeString(m["fileContent"])
	if err != nil {
		e.t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	z, err := io.ReadAll(zr)
	if err != nil {
		e.t.Fatal(err)
	}
	ar, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		e.t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range ar.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = b
	}
	return m, files
}

// zmField cuts a ZM field by 0-based offset and width (unionpay.md §9.1).
func zmField(line string, off, width int) string { return strings.TrimRight(line[off:off+width], " ") }

func zmLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\r\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestFile_ClearingDayTurnsAt2300: a consume at 22:59:59 is in the file of 0603, one at
// 23:00:01 in the file of 0604; refunds and undos are listed with their fee returned.
func TestFile_ClearingDayTurnsAt2300(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	e.setTime(2024, 6, 3, 22, 59, 59)
	a, orderA, _ := e.consume(t, trID, token, "476800")
	e.setTime(2024, 6, 3, 23, 0, 1)
	b, orderB, _ := e.consume(t, trID, token, "1000")
	want(t, a, "settleDate", "0603")
	want(t, b, "settleDate", "0604")
	r := e.call(unionpay.PathBack, e.fields("04", "00", "000201", map[string]string{"origQryId": b["queryId"], "txnAmt": "400", "currencyCode": "156", "backUrl": backURL, "reqReserved": "refund-one"}))
	want(t, r, "respCode", "00")

	// Not before 09:00 on the next day.
	m, _ := e.download("0603")
	want(t, m, "respCode", "98")
	e.setTime(2024, 6, 5, 9, 0, 0)
	m, files := e.download("0603")
	want(t, m, "respCode", "00", "fileName", unionpay.DemoMerID+"_20240603.zip")
	zm := zmLines(files["INN24060388ZM_"+unionpay.DemoMerID])
	if len(zm) != 1 {
		t.Fatalf("0603 ZM has %d lines, want 1: %q", len(zm), zm)
	}
	l := zm[0]
	if len(l) != unionpay.ZMRecordLen {
		t.Errorf("ZM record length %d, want %d", len(l), unionpay.ZMRecordLen)
	}
	for _, c := range []struct {
		off, width int
		want       string
	}{
		{46, 19, "622155******0000"}, {66, 12, "000000476800"}, {87, 21, a["queryId"]}, {112, 32, orderA},
		{166, 13, "D000000002861"}, {180, 13, "C000000473939"}, {215, 2, "01"}, {218, 2, "01"}, {221, 6, "000902"},
		{293, 15, unionpay.DemoMerID}, {374, 13, "C000000473939"},
	} {
		if got := zmField(l, c.off, c.width); got != c.want {
			t.Errorf("ZM field at %d = %q, want %q", c.off, got, c.want)
		}
	}
	rd := files["RD201024060301_"+unionpay.DemoMerID]
	text, err := simplifiedchinese.GBK.NewDecoder().Bytes(rd)
	if err != nil || !strings.Contains(string(text), "中国银联全渠道商户交易汇总表") || !strings.Contains(string(text), "4739.39") {
		t.Errorf("RD report (GBK): %v\n%s", err, text)
	}

	_, files = e.download("0604")
	zm = zmLines(files["INN24060488ZM_"+unionpay.DemoMerID])
	if len(zm) != 2 {
		t.Fatalf("0604 ZM has %d lines, want consume + refund", len(zm))
	}
	if zmField(zm[0], 112, 32) != orderB || zmField(zm[1], 215, 2) != "04" || zmField(zm[1], 271, 21) != b["queryId"] ||
		zmField(zm[1], 166, 13) != "C000000000002" || zmField(zm[1], 180, 13) != "D000000000398" || zmField(zm[1], 476, 32) != orderB {
		t.Errorf("0604 lines:\n%s\n%s", zm[0], zm[1])
	}
}

func TestFile_StatementFaultsApply(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	_, o1, _ := e.consume(t, trID, token, "100")
	_, o2, _ := e.consume(t, trID, token, "200")
	e.fault(simulator.FaultPlan{Kind: simulator.FaultStatementMissingRecord, OutTradeNo: o1})
	amt := simulatorAmount(t, "3.00")
	e.fault(simulator.FaultPlan{Kind: simulator.FaultStatementAmountChanged, OutTradeNo: o2, Amount: &amt})
	e.setTime(2024, 6, 4, 10, 0, 0)
	_, files := e.download("0603")
	zm := zmLines(files["INN24060388ZM_"+unionpay.DemoMerID])
	if len(zm) != 1 || zmField(zm[0], 112, 32) != o2 || zmField(zm[0], 66, 12) != "000000000300" {
		t.Errorf("faulted file: %q", zm)
	}
}

func TestFile_LatePaymentIsAnException(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	f := e.fields("01", "01", "000201", map[string]string{"txnAmt": "900", "currencyCode": "156", "frontUrl": "http://merchant.test/return",
		"backUrl": backURL, "payTimeout": "20240603101500"})
	if status, _ := e.postRaw(unionpay.PathFront, e.signReq(f).Encode()); status != 200 {
		t.Fatal(status)
	}
	e.deliver(20 * time.Minute)
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: f["orderId"]}); err == nil {
		t.Fatal("paid after payTimeout")
	}
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: f["orderId"], Options: map[string]string{"late": "true"}}); err != nil {
		t.Fatal(err)
	}
	want(t, e.query(f["orderId"], f["txnTime"]), "origRespCode", "42")
	e.setTime(2024, 6, 4, 10, 0, 0)
	_, files := e.download("0603")
	zme := zmLines(files["INN24060388ZME_"+unionpay.DemoMerID])
	if len(zme) != 1 || len(zme[0]) != 339 || !strings.Contains(zme[0], f["orderId"]) {
		t.Errorf("ZME: %q", zme)
	}
}

func TestFile_ByHostRoot(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	v := e.signReq(e.fields("76", "01", "000000", map[string]string{"fileType": "00", "settleDate": "0602", "orderId": ""}))
	req, _ := http.NewRequest(http.MethodPost, e.sim.URL+"/", strings.NewReader(v.Encode()))
	req.Host = "filedownload.test.95516.com"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := e.sim.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m, err := parseLine(string(b))
	if err != nil {
		t.Fatal(err)
	}
	want(t, m, "respCode", "00", "fileName", unionpay.DemoMerID+"_20240602.zip")
}

func TestGatewayConsume_CashierPayReturnsToFrontURL(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	client := e.sim.Client()
	f := e.fields("01", "01", "000201", map[string]string{"txnAmt": "1234", "currencyCode": "156", "frontUrl": "http://merchant.test/return", "backUrl": backURL})
	status, page := e.postRaw(unionpay.PathFront, e.signReq(f).Encode())
	i := strings.Index(string(page), unionpay.CashierPrefix)
	if status != 200 || i < 0 || !strings.Contains(string(page), "12.34") {
		t.Fatalf("cashier: %d %s", status, page)
	}
	p := string(page[i:])
	cashier := p[:strings.Index(p, "/pay")]
	res, err := client.Post(e.sim.URL+cashier+"/pay", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `action="http://merchant.test/return"`) || !strings.Contains(string(b), `name="signature"`) {
		t.Errorf("return form: %s", b)
	}
	want(t, e.query(f["orderId"], f["txnTime"]), "origRespCode", "00", "txnAmt", "1234")
	ns := e.sink.all()
	if len(ns) != 1 || ns[0].Get("orderId") != f["orderId"] || e.verifyNotify(ns[0]) != nil {
		t.Errorf("notifications: %v", ns)
	}
	// A second order cancelled at the cashier stays unknown (34).
	g := e.fields("01", "01", "000201", map[string]string{"txnAmt": "100", "currencyCode": "156", "frontUrl": "http://merchant.test/return", "backUrl": backURL})
	e.postRaw(unionpay.PathFront, e.signReq(g).Encode())
	if _, err := e.sim.Cancel(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: g["orderId"]}); err != nil {
		t.Fatal(err)
	}
	want(t, e.query(g["orderId"], g["txnTime"]), "respCode", "34")
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: g["orderId"]}); err == nil {
		t.Error("paid a cancelled order")
	}
}

func TestFrontTokenOpenAndOpenAndConsume(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	f := e.fields("79", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}", "frontUrl": "http://merchant.test/return", "backUrl": backURL})
	e.postRaw(unionpay.PathFront, e.signReq(f).Encode())
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: f["orderId"], Card: unionpay.DemoDebitCard}); err != nil {
		t.Fatal(err)
	}
	e.deliver(0)
	ns := e.sink.all()
	if len(ns) != 1 || !strings.Contains(ns[0].Get("tokenPayData"), "token=") || ns[0].Get("txnType") != "79" {
		t.Fatalf("open notification: %v", ns)
	}
	q := e.call(unionpay.PathBack, e.fields("78", "02", "000902", map[string]string{"orderId": f["orderId"], "txnTime": f["txnTime"]}))
	want(t, q, "respCode", "00", "tokenPayData", ns[0].Get("tokenPayData"))

	g := e.fields("01", "01", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}", "txnAmt": "300", "currencyCode": "156",
		"frontUrl": "http://merchant.test/return", "backUrl": backURL})
	e.postRaw(unionpay.PathFront, e.signReq(g).Encode())
	ap := e.call(unionpay.PathBack, e.fields("79", "05", "000902", map[string]string{"orderId": g["orderId"], "txnTime": g["txnTime"], "tokenPayData": "{trId=" + trID + "&tokenType=01}"}))
	want(t, ap, "respCode", "34")
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: g["orderId"], Card: "6212345678901234"}); err != nil {
		t.Fatal(err)
	}
	ap = e.call(unionpay.PathBack, e.fields("79", "05", "000902", map[string]string{"orderId": g["orderId"], "txnTime": g["txnTime"], "tokenPayData": "{trId=" + trID + "&tokenType=01}"}))
	want(t, ap, "respCode", "00", "accNo", "621234******1234")
}

// TestCompleteAfterMidnight_ClearingDayOfTheCompletion: a front consume started at 22:50
// whose payment the fault defers to 00:00:01 belongs to the next clearing day; a payment at
// 22:50 belongs to the same day.
func TestCompleteAfterMidnight_ClearingDayOfTheCompletion(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	e.setTime(2024, 6, 3, 22, 50, 0)
	front := func() map[string]string {
		f := e.fields("01", "01", "000201", map[string]string{"txnAmt": "100", "currencyCode": "156", "frontUrl": "http://merchant.test/return", "backUrl": backURL})
		if status, _ := e.postRaw(unionpay.PathFront, e.signReq(f).Encode()); status != 200 {
			t.Fatal(status)
		}
		return f
	}
	a, b := front(), front()
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: a["orderId"]}); err != nil {
		t.Fatal(err)
	}
	e.fault(simulator.FaultPlan{Kind: simulator.FaultCompleteAfterMidnight, OutTradeNo: b["orderId"]})
	out, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: unionpay.Name, OutTradeNo: b["orderId"]})
	if err != nil || out.ScheduledAt == nil {
		t.Fatalf("%v %v", out, err)
	}
	want(t, e.query(b["orderId"], b["txnTime"]), "respCode", "34") // not paid yet
	e.deliver(75 * time.Minute)
	want(t, e.query(a["orderId"], a["txnTime"]), "settleDate", "0603")
	want(t, e.query(b["orderId"], b["txnTime"]), "origRespCode", "00", "settleDate", "0604")
}
