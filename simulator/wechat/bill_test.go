package wechat

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// billDay plays one business day (Beijing, 2024-06-03) and an order created at
// 23:59:59 that is paid at 00:00:01 on 2024-06-04.
func billDay(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	e := newEnv(t, cfg)
	o1 := nativeOrder("B-1", "1")
	o1.Set("body", "for testing")
	o1.Set("attach", "cipher code")
	e.call("/pay/unifiedorder", o1)
	e.advance(5 * time.Second)
	e.pay("B-1")

	e.setTime(beijing(2024, 6, 3, 12, 30, 0))
	o2 := nativeOrder("B-2", "1000")
	o2.Set("trade_type", "JSAPI")
	o2.Set("openid", "ofyak5qR_1wYsC99CsWA6R9MJazA")
	o2.Set("device_info", "WEB")
	e.call("/pay/unifiedorder", o2)
	e.pay("B-2")

	e.setTime(beijing(2024, 6, 3, 15, 0, 0))
	wantFields(t, e.call("/secapi/pay/refund", refundReq("B-2", "BR-1", "1000", "300")), map[string]string{"result_code": "SUCCESS"})

	e.setTime(beijing(2024, 6, 3, 16, 0, 0))
	wantFields(t, e.call("/pay/micropay", micropayReq("B-M", "250")), map[string]string{"result_code": "SUCCESS"})

	e.setTime(beijing(2024, 6, 3, 17, 0, 0))
	e.call("/pay/unifiedorder", nativeOrder("B-UNPAID", "999")) // never paid: never in a bill

	e.setTime(beijing(2024, 6, 3, 23, 59, 59))
	e.call("/pay/unifiedorder", nativeOrder("B-MIDNIGHT", "777"))
	e.advance(2 * time.Second)
	e.pay("B-MIDNIGHT")
	return e
}

func (e *testEnv) bill(date, typ, tar string) (string, []byte, map[string]string) {
	e.t.Helper()
	p := params("bill_date", date, "bill_type", typ, "tar_type", tar)
	_, ct, body := e.raw("POST", "/pay/downloadbill", buildXML(signed(p, DemoKey, sign.WeChatMD5), false))
	if bytes.HasPrefix(body, []byte("<xml")) {
		_, m := parseResp(e.t, body)
		if m["sign"] != "" {
			e.t.Errorf("bill failure is signed: %s", body)
		}
		return ct, body, m
	}
	return ct, body, nil
}

func TestBill_AllSuccessRefundGolden_CrossMidnightPaymentInNextDay(t *testing.T) {
	e := billDay(t, Config{})
	e.setTime(beijing(2024, 6, 4, 10, 0, 0))
	for _, tt := range []struct{ typ, file string }{
		{"ALL", "bill_20240603_all.txt"},
		{"SUCCESS", "bill_20240603_success.txt"},
		{"REFUND", "bill_20240603_refund.txt"},
	} {
		ct, body, fail := e.bill("20240603", tt.typ, "")
		if fail != nil {
			t.Fatalf("%s: %v", tt.typ, fail)
		}
		if !strings.HasPrefix(ct, "text/plain") || bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) || bytes.Contains(body, []byte("\r")) {
			t.Errorf("%s: content type %q, BOM or CR present", tt.typ, ct)
		}
		if bytes.Contains(body, []byte("B-MIDNIGHT")) || bytes.Contains(body, []byte("B-UNPAID")) {
			t.Errorf("%s bill of 06-03 lists an order paid on 06-04 or never paid:\n%s", tt.typ, body)
		}
		golden(t, tt.file, body)
	}
	// The order created at 23:59:59 and paid at 00:00:01 is in the next day's bill.
	_, _, fail := e.bill("20240604", "ALL", "")
	wantFields(t, fail, map[string]string{"return_code": "FAIL", "return_msg": "Bill Creating"})
	e.setTime(beijing(2024, 6, 5, 9, 0, 0))
	_, body, fail := e.bill("20240604", "ALL", "")
	if fail != nil {
		t.Fatalf("06-04 bill: %v", fail)
	}
	if !strings.Contains(string(body), "`2024-06-04 00:00:01,") || !strings.Contains(string(body), "`B-MIDNIGHT,") {
		t.Errorf("06-04 bill lacks the cross-midnight payment:\n%s", body)
	}
}

func TestBill_TotalsAndFeesExact(t *testing.T) {
	e := billDay(t, Config{})
	e.setTime(beijing(2024, 6, 4, 10, 0, 0))
	_, body, _ := e.bill("20240603", "ALL", "")
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) != 1+4+2 {
		t.Fatalf("%d lines, want header + 4 rows + 2 totals:\n%s", len(lines), body)
	}
	if cols := strings.Split(lines[0], ","); len(cols) != 27 {
		t.Errorf("header has %d columns, want 27", len(cols))
	}
	// 0.01 + 10.00 + 2.50 paid; 3.00 refunded; fees 0.6%: 0.00006 + 0.06000 + 0.01500 - 0.01800.
	if got, want := lines[len(lines)-1], "`4,`12.51,`3.00,`0.00,`0.05706,`12.51,`3.00"; got != want {
		t.Errorf("totals row %q, want %q", got, want)
	}
	if !strings.Contains(lines[1], "`0.00006,`0.60%,`0.01,`0.00,`") {
		t.Errorf("first row fee/rate: %s", lines[1])
	}
}

func TestBill_GzipIsTheSameText(t *testing.T) {
	e := billDay(t, Config{})
	e.setTime(beijing(2024, 6, 4, 10, 0, 0))
	_, plain, _ := e.bill("20240603", "ALL", "")
	ct, gz, fail := e.bill("20240603", "ALL", "GZIP")
	if fail != nil || ct != "application/octet-stream" {
		t.Fatalf("gzip bill: %q %v", ct, fail)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	un, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(un, plain) {
		t.Fatalf("gunzipped bill differs (%v)", err)
	}
}

func TestBill_Failures(t *testing.T) {
	e := billDay(t, Config{})
	e.setTime(beijing(2024, 6, 4, 8, 59, 59))
	tests := []struct {
		name, date, typ, tar, msg, code string
	}{
		{"before 09:00 next day", "20240603", "ALL", "", "Bill Creating", "20001"},
		{"empty day", "20240602", "ALL", "", "No Bill Exist", "20002"},
		{"future day", "20240605", "ALL", "", "invalid bill_date", "20001"},
		{"bad date", "2024-06-03", "ALL", "", "invalid bill_date", "20001"},
		{"bad type", "20240602", "WEEKLY", "", "invalid bill_type", "20001"},
		{"bad tar", "20240602", "ALL", "ZIP", "invalid tar_type: Only GZIP supported", "20001"},
		{"no recharge refunds", "20240601", "RECHARGE_REFUND", "", "No Bill Exist", "20002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body, fail := e.bill(tt.date, tt.typ, tt.tar)
			if fail == nil {
				t.Fatalf("got a bill:\n%s", body)
			}
			wantFields(t, fail, map[string]string{"return_code": "FAIL", "return_msg": tt.msg, "error_code": tt.code})
		})
	}
	p := signed(params("bill_date", "20240602", "bill_type", "ALL"), DemoKey, sign.WeChatMD5)
	p.Set("sign", strings.Repeat("A", 32))
	_, _, body := e.raw("POST", "/pay/downloadbill", buildXML(p, false))
	_, m := parseResp(t, body)
	wantFields(t, m, map[string]string{"return_code": "FAIL", "return_msg": "sign error"})
}

func TestBill_LegacyFormatAndStatementFaults(t *testing.T) {
	legacy := DemoMerchant()
	legacy.LegacyBill = true
	e := billDay(t, Config{NoDemoMerchant: true, Merchants: []Merchant{legacy}})
	e.setTime(beijing(2024, 6, 4, 10, 0, 0))
	_, body, _ := e.bill("20240603", "ALL", "")
	golden(t, "bill_20240603_all_legacy.txt", body)

	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultStatementMissingRecord, Channel: Name, OutTradeNo: "B-1"}); err != nil {
		t.Fatal(err)
	}
	_, body, _ = e.bill("20240603", "ALL", "")
	if strings.Contains(string(body), "`B-1,") {
		t.Errorf("statement_missing_record left B-1 in the bill")
	}
}

func TestBill_CompleteAfterMidnightFaultLandsInNextDay(t *testing.T) {
	e := newEnv(t, Config{BillReadyAtMidnight: true})
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultCompleteAfterMidnight, Channel: Name}); err != nil {
		t.Fatal(err)
	}
	e.setTime(beijing(2024, 6, 3, 23, 59, 59))
	e.call("/pay/unifiedorder", nativeOrder("CM-1", "100"))
	out := e.pay("CM-1")
	if out.ScheduledAt == nil {
		t.Fatalf("payment not deferred: %+v", out)
	}
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "CM-1")), map[string]string{"trade_state": "NOTPAY"})
	e.advance(2 * time.Second)
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "CM-1")), map[string]string{"trade_state": "SUCCESS", "time_end": "20240604000001"})
	if n := len(e.sink.all()); n != 1 {
		t.Errorf("%d notifications after the deferred completion, want 1", n)
	}
	e.setTime(beijing(2024, 6, 5, 0, 0, 0))
	_, _, fail := e.bill("20240603", "ALL", "")
	wantFields(t, fail, map[string]string{"return_msg": "No Bill Exist"})
	_, body, fail := e.bill("20240604", "ALL", "")
	if fail != nil || !strings.Contains(string(body), "`2024-06-04 00:00:01,") {
		t.Fatalf("06-04 bill: %v\n%s", fail, body)
	}
}

// The JSON statement said fee 1 fen where the raw bill says 0.00738 (issue 17): the
// normalised record now carries the exact fee as well.
func TestStatement_JSONShowsTheBillsExactFee(t *testing.T) {
	e := newEnv(t, Config{})
	e.call("/pay/unifiedorder", nativeOrder("FE-1", "123")) // 1.23 yuan at 0.6 % = 0.00738
	e.pay("FE-1")
	e.setTime(beijing(2024, 6, 4, 10, 0, 0))
	st, _, body := e.raw(http.MethodGet, "/_sim/statements/wechat/2024-06-03?merchant="+DemoMchID, nil)
	var v simulator.StatementView
	if err := json.Unmarshal(body, &v); err != nil || st != 200 {
		t.Fatalf("%d %s %v", st, body, err)
	}
	if len(v.Records) != 1 || v.Records[0].Fee.Minor() != 1 || v.Records[0].FeeExact != "0.00738" {
		t.Fatalf("records %+v, want fee 1 fen and fee_exact 0.00738", v.Records)
	}
	_, _, raw := e.raw(http.MethodGet, "/_sim/statements/wechat/2024-06-03?format=raw&merchant="+DemoMchID, nil)
	if !strings.Contains(string(raw), "`0.00738") {
		t.Errorf("raw bill does not show 0.00738:\n%s", raw)
	}
}
