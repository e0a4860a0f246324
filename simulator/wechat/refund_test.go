package wechat

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

func refundReq(outTradeNo, outRefundNo, total, fee string) sign.Params {
	return params("out_trade_no", outTradeNo, "out_refund_no", outRefundNo, "total_fee", total, "refund_fee", fee)
}

func paidOrder(t *testing.T, e *testEnv, outTradeNo, fee string) string {
	t.Helper()
	e.call("/pay/unifiedorder", nativeOrder(outTradeNo, fee))
	return e.pay(outTradeNo).ChannelTxnID
}

func TestRefund_PartialRetryAndOverRefundRules(t *testing.T) {
	e := newEnv(t, Config{})
	txn := paidOrder(t, e, "R-ORD-1", "100")

	r1 := e.call("/secapi/pay/refund", refundReq("R-ORD-1", "RF-1", "100", "30"))
	wantFields(t, r1, map[string]string{"result_code": "SUCCESS", "transaction_id": txn, "out_refund_no": "RF-1",
		"refund_fee": "30", "total_fee": "100", "cash_refund_fee": "30"})
	if len(r1["refund_id"]) != 29 || !strings.HasPrefix(r1["refund_id"], "50300") {
		t.Errorf("refund_id %q", r1["refund_id"])
	}
	// Same out_refund_no, same amounts: the same refund, not a second one.
	again := e.call("/secapi/pay/refund", refundReq("R-ORD-1", "RF-1", "100", "30"))
	wantFields(t, again, map[string]string{"result_code": "SUCCESS", "refund_id": r1["refund_id"]})
	// Same out_refund_no, different amount: refused.
	wantFields(t, e.call("/secapi/pay/refund", refundReq("R-ORD-1", "RF-1", "100", "31")), map[string]string{"err_code": "ERROR"})
	// 30 + 80 > 100: over-refund refused, nothing changes.
	over := e.call("/secapi/pay/refund", refundReq("R-ORD-1", "RF-2", "100", "80"))
	wantFields(t, over, map[string]string{"result_code": "FAIL", "err_code": "ERROR", "err_code_des": "申请退款金额超过订单可退金额"})
	// total_fee must be the order total.
	wantFields(t, e.call("/secapi/pay/refund", refundReq("R-ORD-1", "RF-3", "99", "10")), map[string]string{"err_code": "PARAM_ERROR"})
	// The rest, by transaction_id.
	rest := params("transaction_id", txn, "out_refund_no", "RF-4", "total_fee", "100", "refund_fee", "70")
	wantFields(t, e.call("/secapi/pay/refund", rest), map[string]string{"result_code": "SUCCESS", "refund_fee": "70"})
	wantFields(t, e.call("/secapi/pay/refund", refundReq("R-ORD-1", "RF-5", "100", "1")),
		map[string]string{"err_code": "ERROR", "err_code_des": "订单已全额退款"})

	q := e.call("/pay/refundquery", params("out_trade_no", "R-ORD-1"))
	wantFields(t, q, map[string]string{"result_code": "SUCCESS", "refund_count": "2", "refund_fee": "100",
		"out_refund_no_0": "RF-1", "refund_fee_0": "30", "refund_status_0": "SUCCESS",
		"out_refund_no_1": "RF-4", "refund_fee_1": "70", "refund_status_1": "SUCCESS",
		"refund_success_time_0": "2024-06-03 10:00:00"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "R-ORD-1")), map[string]string{"trade_state": "REFUND"})
	wantFields(t, e.call("/pay/refundquery", params("refund_id", r1["refund_id"])), map[string]string{"refund_count": "1", "out_refund_no_0": "RF-1"})
	wantFields(t, e.call("/pay/refundquery", params("out_refund_no", "NOPE")), map[string]string{"err_code": "REFUNDNOTEXIST"})
	wantFields(t, e.call("/pay/refundquery", params("out_trade_no", "R-ORD-1", "offset", "5")), map[string]string{"err_code": "PARAM_ERROR"})
	wantFields(t, e.call("/pay/refundquery", params("out_trade_no", "R-ORD-1", "offset", "1")),
		map[string]string{"refund_count": "1", "total_refund_count": "2", "out_refund_no_0": "RF-4"})
}

func TestRefund_UnpaidOrUnknownOrders(t *testing.T) {
	e := newEnv(t, Config{})
	e.call("/pay/unifiedorder", nativeOrder("R-UNPAID", "100"))
	wantFields(t, e.call("/secapi/pay/refund", refundReq("R-UNPAID", "RF-U", "100", "1")), map[string]string{"err_code": "ERROR"})
	wantFields(t, e.call("/secapi/pay/refund", refundReq("R-NONE", "RF-N", "100", "1")), map[string]string{"err_code": "ORDERNOTEXIST"})
	byTxn := params("transaction_id", "4200000000202406030000000000", "out_refund_no", "RF-T", "total_fee", "1", "refund_fee", "1")
	wantFields(t, e.call("/secapi/pay/refund", byTxn), map[string]string{"err_code": "INVALID_TRANSACTIONID"})
}

func TestRefund_DelayedCompletionAndEncryptedNotification(t *testing.T) {
	e := newEnv(t, Config{RefundDelay: 10 * time.Minute})
	paidOrder(t, e, "R-ASYNC", "500")
	r := params("out_trade_no", "R-ASYNC", "out_refund_no", "RF-A", "total_fee", "500", "refund_fee", "200",
		"notify_url", "https://merchant.example/notify/refund")
	wantFields(t, e.call("/secapi/pay/refund", r), map[string]string{"result_code": "SUCCESS"})
	wantFields(t, e.call("/pay/refundquery", params("out_refund_no", "RF-A")), map[string]string{"refund_status_0": "PROCESSING"})
	e.advance(10 * time.Minute)
	q := e.call("/pay/refundquery", params("out_refund_no", "RF-A"))
	wantFields(t, q, map[string]string{"refund_status_0": "SUCCESS", "refund_success_time_0": "2024-06-03 10:10:00"})

	var refundNote *notification
	for _, n := range e.sink.all() {
		if n.path == "/notify/refund" {
			refundNote = &n
		}
	}
	if refundNote == nil {
		t.Fatalf("no refund notification among %d", len(e.sink.all()))
	}
	_, outer := parseResp(t, refundNote.body)
	if outer["sign"] != "" || outer["return_code"] != "SUCCESS" || outer["mch_id"] != DemoMchID {
		t.Fatalf("outer refund notification: %s", refundNote.body)
	}
	plain, err := sign.DecryptWeChatRefundInfo(outer["req_info"], DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(plain), "<root>") {
		t.Fatalf("plaintext root: %s", plain)
	}
	_, inner := parseResp(t, plain)
	wantFields(t, inner, map[string]string{"out_refund_no": "RF-A", "out_trade_no": "R-ASYNC", "refund_fee": "200",
		"total_fee": "500", "refund_status": "SUCCESS", "success_time": "2024-06-03 10:10:00", "refund_request_source": "API"})
}

// The spec's computed vector (§10) pins req_info encryption end to end.
func TestReqInfo_SpecVector(t *testing.T) {
	plain := []byte("<root><out_refund_no><![CDATA[R1]]></out_refund_no><refund_status><![CDATA[SUCCESS]]></refund_status></root>")
	const want = "WBzGpzQuNpcFxIlFjUUD9BZv+lpBMzd2SHiKCkwfALWid5G8ZvfOussfMIHLbKJmcnxPKdb1ZJEqTAp8ysQv+xa1fj+Eorgndx3fNxf3KAYa3LPgsjvZgxaeYyrhV05Kbjkj6ywg27cEyTTaPZFYNg=="
	if got := reqInfo(plain, DemoKey); got != want {
		t.Fatalf("req_info = %s, want %s", got, want)
	}
}

func TestRefund_TimeoutAfterProcessingThenRetrySameNumberRefundsOnce(t *testing.T) {
	e := newEnv(t, Config{})
	paidOrder(t, e, "R-TO", "100")
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: Name, Op: OpRefund, First: 1}); err != nil {
		t.Fatal(err)
	}
	body := buildXML(signed(refundReq("R-TO", "RF-TO", "100", "60"), DemoKey, sign.WeChatMD5), false)
	req, _ := http.NewRequest("POST", "http://api.mch.weixin.qq.com/secapi/pay/refund", bytes.NewReader(body))
	if resp, err := e.hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("timeout_after fault answered HTTP %d", resp.StatusCode)
	}
	// The refund happened on the channel; the retry with the same number returns it.
	r := e.call("/secapi/pay/refund", refundReq("R-TO", "RF-TO", "100", "60"))
	wantFields(t, r, map[string]string{"result_code": "SUCCESS", "refund_fee": "60"})
	q := e.call("/pay/refundquery", params("out_trade_no", "R-TO"))
	wantFields(t, q, map[string]string{"refund_count": "1", "refund_fee": "60"})
}

func TestRefund_FaultEndsChangeOrRefundClose(t *testing.T) {
	for _, end := range []string{"CHANGE", "REFUNDCLOSE"} {
		t.Run(end, func(t *testing.T) {
			e := newEnv(t, Config{RefundDelay: time.Minute})
			paidOrder(t, e, "R-END", "100")
			if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: Name, Op: OpRefund, Code: end, First: 1}); err != nil {
				t.Fatal(err)
			}
			r := refundReq("R-END", "RF-END", "100", "100")
			r.Set("notify_url", "https://merchant.example/notify/refund")
			wantFields(t, e.call("/secapi/pay/refund", r), map[string]string{"result_code": "SUCCESS"})
			e.advance(time.Minute)
			q := e.call("/pay/refundquery", params("out_refund_no", "RF-END"))
			wantFields(t, q, map[string]string{"refund_status_0": end})
			if _, has := q["refund_success_time_0"]; has {
				t.Errorf("%s refund has a success time", end)
			}
			notes := e.sink.all()
			_, outer := parseResp(t, notes[len(notes)-1].body)
			plain, err := sign.DecryptWeChatRefundInfo(outer["req_info"], DemoKey)
			if err != nil {
				t.Fatal(err)
			}
			_, inner := parseResp(t, plain)
			if inner["refund_status"] != end || inner["success_time"] != "" {
				t.Errorf("notification plaintext %s", plain)
			}
			// A closed refund gives its amount back; an abnormal one still holds it.
			again := e.call("/secapi/pay/refund", refundReq("R-END", "RF-END-2", "100", "100"))
			want := map[string]string{"CHANGE": "FAIL", "REFUNDCLOSE": "SUCCESS"}[end]
			if again["result_code"] != want {
				t.Errorf("second full refund after %s: %v", end, again)
			}
		})
	}
}

func TestFaults_MatchOrdersNamedByTransactionOrRefundNumber(t *testing.T) {
	e := newEnv(t, Config{})
	txn := paidOrder(t, e, "FM-1", "100")
	e.call("/secapi/pay/refund", refundReq("FM-1", "FMR-1", "100", "10"))
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: Name, OutTradeNo: "FM-1",
		Code: simulator.CodeSystemError}); err != nil {
		t.Fatal(err)
	}
	wantFields(t, e.call("/pay/orderquery", params("transaction_id", txn)), map[string]string{"err_code": "SYSTEMERROR"})
	wantFields(t, e.call("/pay/refundquery", params("out_refund_no", "FMR-1")), map[string]string{"err_code": "SYSTEMERROR"})
}
