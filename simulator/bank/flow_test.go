package bank_test

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/bank"
)

func TestBindPayRefund_HappyPathWithNotificationsAndStatement(t *testing.T) {
	e := newEnv(t, bank.Config{})
	pno := e.bind("B1", "U1", g1Card)

	q := e.c.call(bank.TxBindQuery, map[string]string{"userId": "U1"})
	bs, _ := q.data["bindings"].([]any)
	if q.code() != "0000" || len(bs) != 1 || bs[0].(map[string]any)["cardNoMasked"] != "621626*********0018" {
		t.Fatalf("BIND_QUERY: %s %v", q.code(), q.data)
	}

	a := e.c.call(bank.TxPay, payData("P1", "U1", pno, "10000"))
	if a.code() != "0000" || a.d("status") != "SUCCESS" || a.d("amount") != "10000" || a.d("bankSerial") == "" || a.d("settleDate") != "20240603" {
		t.Fatalf("PAY: %s %v", a.code(), a.data)
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "P1"}); q.code() != "0000" || q.d("status") != "SUCCESS" || q.d("bankSerial") != a.d("bankSerial") {
		t.Fatalf("PAY_QUERY: %s %v", q.code(), q.data)
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"bankSerial": a.d("bankSerial")}); q.d("orderNo") != "P1" {
		t.Fatalf("PAY_QUERY by bankSerial: %v", q.data)
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "NOPE"}); q.code() != "4001" {
		t.Fatalf("unknown order: %s", q.code())
	}
	r := e.c.call(bank.TxRefund, map[string]string{"refundNo": "R1", "orderNo": "P1", "amount": "4000", "notifyUrl": "http://merchant.test/notify"})
	if r.code() != "0000" || r.d("status") != "SUCCESS" {
		t.Fatalf("REFUND same day: %s %v", r.code(), r.data)
	}
	if r := e.c.call(bank.TxRefund, map[string]string{"refundNo": "R2", "orderNo": "P1", "amount": "6001"}); r.code() != "4002" {
		t.Fatalf("over-refund: %s", r.code())
	}
	e.advance(0)
	ns := e.notices()
	if len(ns) != 2 || ns[0].f["txCode"] != bank.NotifyPay || ns[1].f["txCode"] != bank.NotifyRefund {
		t.Fatalf("notifications: %d %v", len(ns), ns)
	}
	for _, n := range ns {
		if err := e.c.verify(n.f); err != nil {
			t.Fatalf("notification signature: %v", err)
		}
	}
	if ns[0].d("orderNo") != "P1" || ns[0].d("status") != "SUCCESS" || ns[1].d("refundNo") != "R1" {
		t.Fatalf("notification data: %v %v", ns[0].data, ns[1].data)
	}

	// Next day: a refund of yesterday's payment is PROCESSING, then SUCCESS and notified.
	e.advance(24 * time.Hour)
	r = e.c.call(bank.TxRefund, map[string]string{"refundNo": "R3", "orderNo": "P1", "amount": "1000", "notifyUrl": "http://merchant.test/notify"})
	if r.code() != "0001" || r.d("status") != "PROCESSING" {
		t.Fatalf("REFUND next day: %s %v", r.code(), r.data)
	}
	e.advance(time.Minute)
	if q := e.c.call(bank.TxRefundQuery, map[string]string{"refundNo": "R3"}); q.d("status") != "SUCCESS" {
		t.Fatalf("REFUND_QUERY: %v", q.data)
	}
	if n := e.notices(); len(n) != 3 || n[2].d("refundNo") != "R3" {
		t.Fatalf("refund notification: %d", len(n))
	}

	// Statement of 2024-06-03: PAY 10000 fee 30 (0.3%), REFUND 4000.
	body := e.statement("20240603")
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "H|BDC|1.0|M0000001|20240603|") {
		t.Fatalf("statement:\n%s", body)
	}
	if !strings.HasPrefix(lines[1], "D|1|PAY|"+a.d("bankSerial")+"|P1||") || !strings.HasSuffix(lines[1], "|20240603|10000|30|9970|SUCCESS|621626*********0018|DC|"+pno) {
		t.Fatalf("PAY line: %s", lines[1])
	}
	if !contains(lines[2], "|REFUND|", "|R1|P1|", "|4000|0|4000|SUCCESS|") {
		t.Fatalf("REFUND line: %s", lines[2])
	}
	if lines[3] != "T|2|1|10000|1|4000|0|0|0|0|30" {
		t.Fatalf("T line: %s", lines[3])
	}
	if strings.Contains(body, "6216261000000000018") || strings.Contains(body, "13552535506") {
		t.Fatal("statement leaks a full card number or mobile")
	}
}

// statement applies for day and downloads the file, checking fileSm3 and the one-time
// token.
func (e *env) statement(day string) string {
	e.t.Helper()
	a := e.c.call(bank.TxStmtApply, map[string]string{"stmtDate": day, "stmtType": "TRADE"})
	if a.code() != "0000" {
		e.t.Fatalf("STMT_APPLY: %s %s", a.code(), a.f["respMsg"])
	}
	if a.d("fileName") != "BDC_M0000001_"+day+".txt.gz" {
		e.t.Fatalf("fileName %s", a.d("fileName"))
	}
	url := e.sim.URL + bank.FilesPrefix + a.d("fileId") + "?token=" + a.d("downloadToken")
	resp, err := e.c.hc.Get(url)
	if err != nil {
		e.t.Fatal(err)
	}
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sign.SM3(gz)
	if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != a.d("fileSm3") || a.d("fileSize") != strconv.Itoa(len(gz)) {
		e.t.Fatalf("download: %d, sm3 %x vs %s", resp.StatusCode, sum, a.d("fileSm3"))
	}
	if again, _ := e.c.hc.Get(url); again.StatusCode != http.StatusGone {
		e.t.Fatalf("second download: %d", again.StatusCode)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	return string(raw)
}

func TestStatement_NotReadyBefore0600NextDay(t *testing.T) {
	e := newEnv(t, bank.Config{})
	// 2024-06-03 10:00; the statement of 06-03 is ready at 06-04 06:00.
	if a := e.c.call(bank.TxStmtApply, map[string]string{"stmtDate": "20240603"}); a.code() != "4006" {
		t.Fatalf("today: %s", a.code())
	}
	e.advance(19*time.Hour + 59*time.Minute)
	if a := e.c.call(bank.TxStmtApply, map[string]string{"stmtDate": "20240603"}); a.code() != "4006" {
		t.Fatalf("05:59: %s", a.code())
	}
	e.advance(time.Minute)
	if body := e.statement("20240603"); body != "" && !strings.HasSuffix(body, "T|0|0|0|0|0|0|0|0|0|0\n") {
		t.Fatalf("empty day:\n%s", body)
	}
	resp, _ := e.c.hc.Get(e.sim.URL + bank.FilesPrefix + "Fnope?token=x")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown file: %d", resp.StatusCode)
	}
}

func TestPayout_SucceedsThenReturnedNextDay(t *testing.T) {
	e := newEnv(t, bank.Config{})
	d := map[string]string{"payoutNo": "O1", "cardNo": "6216261000000000034", "holderName": "李四", "amount": "50000",
		"purpose": "salary", "notifyUrl": "http://merchant.test/notify"}
	a := e.c.call(bank.TxPayout, d)
	if a.code() != "0001" || a.d("status") != "PROCESSING" {
		t.Fatalf("PAYOUT: %s %v", a.code(), a.data)
	}
	if b := e.c.call(bank.TxBalanceQuery, map[string]string{}); b.d("available") != "99950000" || b.d("frozen") != "50000" {
		t.Fatalf("balance while processing: %v", b.data)
	}
	e.advance(5 * time.Second)
	if q := e.c.call(bank.TxPayoutQuery, map[string]string{"payoutNo": "O1"}); q.d("status") != "SUCCESS" {
		t.Fatalf("after 5 s: %v", q.data)
	}
	e.advance(24 * time.Hour)
	if q := e.c.call(bank.TxPayoutQuery, map[string]string{"payoutNo": "O1"}); q.d("status") != "RETURNED" {
		t.Fatalf("after a day: %v", q.data)
	}
	if b := e.c.call(bank.TxBalanceQuery, map[string]string{}); b.d("available") != "100000000" || b.d("frozen") != "0" {
		t.Fatalf("balance after return: %v", b.data)
	}
	ns := e.notices()
	if len(ns) != 2 || ns[0].d("status") != "SUCCESS" || ns[1].d("status") != "RETURNED" || ns[0].f["reqSerial"] == ns[1].f["reqSerial"] {
		t.Fatalf("payout notifications: %v", ns)
	}
	// The return is listed on the day it happened, the payout on its own day.
	e.advance(24 * time.Hour)
	if body := e.statement("20240604"); !contains(body, "|RETURN|", "|O1|O1|", "T|1|0|0|0|0|0|0|1|50000|0") {
		t.Fatalf("return day statement:\n%s", body)
	}
	if body := e.statement("20240603"); !contains(body, "|PAYOUT|", "|O1||", "T|1|0|0|0|0|1|50000|0|0|0") {
		t.Fatalf("payout day statement:\n%s", body)
	}
	// Credit card: 3008; more than the balance: 4005, nothing done.
	if a := e.c.call(bank.TxPayout, map[string]string{"payoutNo": "O2", "cardNo": "6258100000000004", "holderName": "全渠道", "amount": "1", "purpose": "x", "notifyUrl": "http://m.test/n"}); a.code() != "3008" {
		t.Fatalf("credit card payout: %s", a.code())
	}
	if a := e.c.call(bank.TxPayout, map[string]string{"payoutNo": "O3", "cardNo": "6216261000000000026", "holderName": "张三", "amount": "100000001", "purpose": "x", "notifyUrl": "http://m.test/n"}); a.code() != "4005" {
		t.Fatalf("over balance: %s", a.code())
	}
	if b := e.c.call(bank.TxBalanceQuery, map[string]string{}); b.d("available") != "100000000" {
		t.Fatalf("balance changed by a refused payout: %v", b.data)
	}
}

func TestNotification_ResentOnScheduleUntilOK(t *testing.T) {
	e := newEnv(t, bank.Config{})
	e.sink.fail = 2
	pno := e.bind("B1", "U1", g1Card)
	e.c.call(bank.TxPay, payData("P1", "U1", pno, "100"))
	e.advance(0)
	if n := len(e.sink.all()); n != 1 {
		t.Fatalf("first attempt: %d", n)
	}
	e.advance(14 * time.Second)
	if n := len(e.sink.all()); n != 1 {
		t.Fatalf("resent early: %d", n)
	}
	e.advance(time.Second)
	e.advance(time.Minute)
	ns := e.notices()
	if len(ns) != 3 || ns[0].f["reqSerial"] != ns[2].f["reqSerial"] || ns[0].f["respTime"] == ns[2].f["respTime"] {
		t.Fatalf("resends: %d", len(ns))
	}
	e.advance(24 * time.Hour)
	if n := len(e.sink.all()); n != 3 {
		t.Fatalf("sent again after OK: %d", n)
	}
}

func TestFaults_TimeoutAfterProcessingThenReplayAndForgedCallback(t *testing.T) {
	e := newEnv(t, bank.Config{})
	pno := e.bind("B1", "U1", g1Card)
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: bank.Name, Op: bank.TxPay, First: 1}); err != nil {
		t.Fatal(err)
	}
	b, _ := jsonMarshal(e.c.envelope(bank.TxPay, "SER-1", payData("P1", "U1", pno, "500")))
	if a := e.c.post(b, "application/json"); a.status == 200 {
		t.Fatalf("timeout_after answered: %s", a.raw)
	}
	// Done on the bank: the identical retry replays the stored SUCCESS.
	a := e.c.callSerial(bank.TxPay, "SER-1", payData("P1", "U1", pno, "500"))
	if a.code() != "0000" || a.d("status") != "SUCCESS" {
		t.Fatalf("replay: %s %v", a.code(), a.data)
	}
	// SYSTEM_ERROR after processing: 9999 now, the truth on query.
	e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: bank.Name, Op: bank.TxPay, Code: simulator.CodeSystemError, Process: true, First: 1})
	if a := e.c.call(bank.TxPay, payData("P2", "U1", pno, "500")); a.code() != "9999" {
		t.Fatalf("system error: %s", a.code())
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "P2"}); q.d("status") != "SUCCESS" {
		t.Fatalf("P2 after 9999: %v", q.data)
	}
	// Without Process nothing happens: 4001 on query.
	e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: bank.Name, Op: bank.TxPay, Code: "9001", First: 1})
	if a := e.c.call(bank.TxPay, payData("P3", "U1", pno, "500")); a.code() != "9001" {
		t.Fatalf("busy: %s", a.code())
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "P3"}); q.code() != "4001" {
		t.Fatalf("P3 after 9001: %s", q.code())
	}
	// bad_signature: the answer does not verify.
	e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultBadSignature, Channel: bank.Name, Op: bank.TxPayQuery, First: 1})
	b, _ = jsonMarshal(e.c.envelope(bank.TxPayQuery, "SER-Q", map[string]string{"orderNo": "P1"}))
	if a := e.c.post(b, "application/json"); a.status != 200 || e.c.verify(a.f) == nil {
		t.Fatalf("bad_signature answer verifies: %d", a.status)
	}
	// A forged notification is signed with another key.
	e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Channel: bank.Name, Op: bank.NotifyPay, First: 1})
	e.c.call(bank.TxPay, payData("P4", "U1", pno, "500"))
	e.advance(0)
	bad := 0
	for _, n := range e.notices() {
		if e.c.verify(n.f) != nil {
			bad++
		}
	}
	if bad != 1 {
		t.Fatalf("forged notifications: %d", bad)
	}
}

func TestStatementFaults_MissingExtraChanged(t *testing.T) {
	e := newEnv(t, bank.Config{})
	pno := e.bind("B1", "U1", g1Card)
	e.c.call(bank.TxPay, payData("P1", "U1", pno, "1000"))
	e.c.call(bank.TxPay, payData("P2", "U1", pno, "2000"))
	e.c.call(bank.TxRefund, map[string]string{"refundNo": "R1", "orderNo": "P1", "amount": "500"})
	e.advance(24 * time.Hour)
	amt := money.Fen(2001)
	for _, p := range []simulator.FaultPlan{
		{Kind: simulator.FaultStatementMissingRecord, Channel: bank.Name, OutTradeNo: "P1", First: 1},
		{Kind: simulator.FaultStatementAmountChanged, Channel: bank.Name, OutTradeNo: "P2", Amount: &amt, First: 1},
		{Kind: simulator.FaultStatementExtraRecord, Channel: bank.Name, Code: "PX", First: 1},
	} {
		if _, err := e.sim.AddFault(p); err != nil {
			t.Fatal(err)
		}
	}
	body := e.statement("20240603")
	// P1 is missing; P2 says 2001 (fee still 6 of the true 2000); R1 stays; PX is extra.
	if strings.Contains(body, "|P1||") || !contains(body, "|P2||", "|2001|6|1995|", "|R1|P1|", "|PAY|SIMX", "|PX||") {
		t.Fatalf("faulted statement:\n%s", body)
	}
	if !strings.Contains(body, "\nT|3|2|4002|1|500|") {
		t.Fatalf("T line does not count what is listed:\n%s", body)
	}
	// The next application is clean again.
	if body := e.statement("20240603"); !contains(body, "|P1||", "|P2||", "|2000|6|1994|", "\nT|3|2|3000|1|500|0|0|0|0|9") {
		t.Fatalf("clean statement:\n%s", body)
	}
}

func TestFaults_TimeoutBeforeChangesNothingAndDuplicateCallbacks(t *testing.T) {
	e := newEnv(t, bank.Config{})
	pno := e.bind("B1", "U1", g1Card)
	e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutBefore, Channel: bank.Name, Op: bank.TxPay, First: 1})
	b, _ := jsonMarshal(e.c.envelope(bank.TxPay, "SER-1", payData("P1", "U1", pno, "100")))
	if a := e.c.post(b, "application/json"); a.status == 200 {
		t.Fatalf("timeout_before answered: %s", a.raw)
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "P1"}); q.code() != "4001" {
		t.Fatalf("after timeout_before: %s", q.code())
	}
	if a := e.c.callSerial(bank.TxPay, "SER-1", payData("P1", "U1", pno, "100")); a.code() != "0000" {
		t.Fatalf("resend after timeout_before: %s", a.code())
	}
	e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Channel: bank.Name, Op: bank.NotifyPay, Count: 2, First: 1})
	e.c.call(bank.TxPay, payData("P2", "U1", pno, "100"))
	e.advance(time.Minute)
	ids := map[string]int{}
	for _, n := range e.notices() {
		if n.d("orderNo") == "P2" {
			ids[n.f["reqSerial"]]++
		}
	}
	if len(ids) != 1 {
		t.Fatalf("duplicates carry different notification ids: %v", ids)
	}
	for _, c := range ids {
		if c < 2 {
			t.Fatalf("no duplicate delivered: %v", ids)
		}
	}
}

func TestClearingDay_CutoffMovesLatePaymentsToTheNextDay(t *testing.T) {
	e := newEnv(t, bank.Config{Cutoff: 23 * time.Hour})
	pno := e.bind("B1", "U1", g1Card)
	e.advance(13*time.Hour - time.Second) // 22:59:59
	a := e.c.call(bank.TxPay, payData("P1", "U1", pno, "100"))
	e.advance(2 * time.Second) // 23:00:01
	b := e.c.call(bank.TxPay, payData("P2", "U1", pno, "100"))
	if a.d("settleDate") != "20240603" || b.d("settleDate") != "20240604" {
		t.Fatalf("settleDate %s / %s", a.d("settleDate"), b.d("settleDate"))
	}
	e.advance(8 * time.Hour) // 2024-06-04 07:00: day 03 is ready
	if body := e.statement("20240603"); !contains(body, "|P1||") || strings.Contains(body, "|P2||") {
		t.Fatalf("03:\n%s", body)
	}
	e.advance(24 * time.Hour)
	if body := e.statement("20240604"); !contains(body, "|P2||", "|20240603230001|20240604|") {
		t.Fatalf("04:\n%s", body)
	}
}

func TestControl_ReturnPayoutNowAndRawStatement(t *testing.T) {
	e := newEnv(t, bank.Config{})
	e.c.call(bank.TxPayout, map[string]string{"payoutNo": "O1", "cardNo": "6216261000000000026", "holderName": "张三", "amount": "300",
		"purpose": "p", "notifyUrl": "http://merchant.test/notify"})
	post := func(body string) int {
		resp, err := e.c.hc.Post(e.sim.URL+"/_sim/bank/payouts/return", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post(`{"merchant":"M0000001","payout_no":"O1"}`); st != http.StatusConflict {
		t.Fatalf("return of a PROCESSING payout: %d", st)
	}
	e.advance(5 * time.Second)
	if st := post(`{"payout_no":"O1"}`); st != 200 {
		t.Fatalf("return: %d", st)
	}
	if st := post(`{"payout_no":"NOPE"}`); st != http.StatusNotFound {
		t.Fatalf("unknown payout: %d", st)
	}
	if st := post(`{"payout_no":"O1","extra":1}`); st != http.StatusBadRequest {
		t.Fatalf("unknown field: %d", st)
	}
	if q := e.c.call(bank.TxPayoutQuery, map[string]string{"payoutNo": "O1"}); q.d("status") != "RETURNED" || q.d("returnTime") == "" {
		t.Fatalf("after return: %v", q.data)
	}
	e.advance(24 * time.Hour)
	resp, err := e.c.hc.Get(e.sim.URL + "/_sim/statements/bank/2024-06-03?merchant=M0000001&format=raw")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !contains(string(raw), "H|BDC|1.0|M0000001|20240603|", "|PAYOUT|", "|RETURN|", "T|2|0|0|0|0|1|300|1|300|0") {
		t.Fatalf("raw statement: %d\n%s", resp.StatusCode, raw)
	}
}
