package alipay

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// goldenSpec describes one golden response under testdata/golden/<name>.json. Field
// order and values follow the real samples quoted in alipay.md §6 and §9.
type goldenSpec struct {
	name, method, node string
	signer             string // key file that signs, "" = unsigned
	cert               string // cert file whose SN goes in alipay_cert_sn, "" = key mode
}

const (
	tradeNo = "2026112222001401015712427691"
	buyer   = "2088912489701010"
)

func goldenSpecs(t testing.TB) []goldenSpec {
	alipay2Cert := base64.StdEncoding.EncodeToString(readTestdata(t, "keys", "alipay2_cert.crt"))
	rogueCert := base64.StdEncoding.EncodeToString(readTestdata(t, "keys", "rogue_cert.crt"))
	k1 := "alipay_private.pem"
	return []goldenSpec{
		{"precreate_ok", methodPrecreate, `{"code":"10000","msg":"Success","out_trade_no":"T1001","qr_code":"https://qr.alipay.com/bax03431ljhokirwl38f00a7"}`, k1, ""},
		{"pay_ok", methodPay, `{"code":"10000","msg":"Success","buyer_logon_id":"150******31","buyer_pay_amount":"88.88","buyer_user_id":"` + buyer + `","fund_bill_list":[{"amount":"88.88","fund_channel":"ALIPAYACCOUNT"}],"gmt_payment":"2026-11-22 10:00:05","invoice_amount":"88.88","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"88.88","total_amount":"88.88","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"pay_waiting", methodPay, `{"code":"10003","msg":" order success pay inprocess","buyer_logon_id":"150******31","buyer_pay_amount":"0.00","buyer_user_id":"` + buyer + `","invoice_amount":"0.00","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"0.00","total_amount":"88.88","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"pay_system_error", methodPay, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统错误","buyer_pay_amount":"0.00","invoice_amount":"0.00","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"0.00"}`, k1, ""},
		{"pay_20000", methodPay, `{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error","sub_msg":"系统繁忙"}`, k1, ""},
		{"pay_has_success", methodPay, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_HAS_SUCCESS","sub_msg":"交易已被支付","out_trade_no":"T1001"}`, k1, ""},
		{"pay_balance", methodPay, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.BUYER_BALANCE_NOT_ENOUGH","sub_msg":"买家余额不足","out_trade_no":"T1001"}`, k1, ""},
		{"query_success", methodQuery, `{"code":"10000","msg":"Success","buyer_logon_id":"150******31","buyer_pay_amount":"88.88","buyer_user_id":"` + buyer + `","fund_bill_list":[{"amount":"88.88","fund_channel":"ALIPAYACCOUNT"}],"invoice_amount":"88.88","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"88.88","send_pay_date":"2026-11-22 10:00:05","total_amount":"88.88","trade_no":"` + tradeNo + `","trade_status":"TRADE_SUCCESS"}`, k1, ""},
		{"query_wait", methodQuery, `{"code":"10000","msg":"Success","buyer_logon_id":"150******31","buyer_pay_amount":"0.00","buyer_user_id":"` + buyer + `","invoice_amount":"0.00","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"0.00","total_amount":"88.88","trade_no":"` + tradeNo + `","trade_status":"WAIT_BUYER_PAY"}`, k1, ""},
		{"query_closed_unpaid", methodQuery, `{"code":"10000","msg":"Success","buyer_pay_amount":"0.00","invoice_amount":"0.00","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"0.00","total_amount":"88.88","trade_no":"` + tradeNo + `","trade_status":"TRADE_CLOSED"}`, k1, ""},
		{"query_closed_refunded", methodQuery, `{"code":"10000","msg":"Success","buyer_logon_id":"150******31","buyer_pay_amount":"88.88","buyer_user_id":"` + buyer + `","invoice_amount":"88.88","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"88.88","send_pay_date":"2026-11-22 10:00:05","total_amount":"88.88","trade_no":"` + tradeNo + `","trade_status":"TRADE_CLOSED"}`, k1, ""},
		{"query_not_exist", methodQuery, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在","buyer_pay_amount":"0.00","invoice_amount":"0.00","out_trade_no":"T1001","point_amount":"0.00","receipt_amount":"0.00"}`, k1, ""},
		{"close_ok", methodClose, `{"code":"10000","msg":"Success","out_trade_no":"T1001","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"close_status_error", methodClose, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR","sub_msg":"交易状态不合法","out_trade_no":"T1001"}`, k1, ""},
		{"cancel_close", methodCancel, `{"code":"10000","msg":"Success","action":"close","out_trade_no":"T1001","retry_flag":"N","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"cancel_refund", methodCancel, `{"code":"10000","msg":"Success","action":"refund","gmt_refund_pay":"2026-11-22 10:01:00","out_trade_no":"T1001","retry_flag":"N","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"cancel_retry", methodCancel, `{"code":"10000","msg":"Success","out_trade_no":"T1001","retry_flag":"Y","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"refund_ok", methodRefund, `{"code":"10000","msg":"Success","buyer_logon_id":"kgm***@sandbox.com","buyer_user_id":"` + buyer + `","fund_change":"Y","gmt_refund_pay":"2026-11-22 11:16:57","out_trade_no":"T1001","refund_fee":"30.00","send_back_fee":"0.00","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"refund_repeat", methodRefund, `{"code":"10000","msg":"Success","buyer_logon_id":"kgm***@sandbox.com","buyer_user_id":"` + buyer + `","fund_change":"N","gmt_refund_pay":"2026-11-22 11:16:57","out_trade_no":"T1001","refund_fee":"30.00","send_back_fee":"0.00","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"refund_fee_err", methodRefund, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.REASON_TRADE_REFUND_FEE_ERR","sub_msg":"退款金额无效","out_trade_no":"T1001","refund_fee":"0.00","send_back_fee":"0.00"}`, k1, ""},
		{"refund_discordant", methodRefund, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.DISCORDANT_REPEAT_REQUEST","sub_msg":"请求信息不一致","out_trade_no":"T1001","refund_fee":"0.00","send_back_fee":"0.00"}`, k1, ""},
		{"refund_query_success", methodRefundQuery, `{"code":"10000","msg":"Success","gmt_refund_pay":"2026-11-22 11:16:57","out_request_no":"R2001","out_trade_no":"T1001","refund_amount":"30.00","refund_status":"REFUND_SUCCESS","total_amount":"88.88","trade_no":"` + tradeNo + `"}`, k1, ""},
		{"refund_query_empty", methodRefundQuery, `{"code":"10000","msg":"Success"}`, k1, ""},
		{"bill_url", methodBillURL, `{"code":"10000","msg":"Success","bill_download_url":"http://dwbillcenter.test/downloadBillFile.resource?bizType=trade&fileType=csv.zip&bizDates=20261121"}`, k1, ""},
		{"bill_not_exist", methodBillURL, `{"code":"40004","msg":"Business Failed","sub_code":"isp.bill_not_exist","sub_msg":"账单不存在"}`, k1, ""},
		{"invalid_app_id", methodQuery, `{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}`, "", ""},
		{"query_success_cert", methodQuery, `{"code":"10000","msg":"Success","buyer_pay_amount":"88.88","out_trade_no":"T1001","send_pay_date":"2026-11-22 10:00:05","total_amount":"88.88","trade_no":"` + tradeNo + `","trade_status":"TRADE_SUCCESS"}`, k1, "alipay_cert.crt"},
		{"query_success_rotated", methodQuery, `{"code":"10000","msg":"Success","buyer_pay_amount":"88.88","out_trade_no":"T1001","send_pay_date":"2026-11-22 10:00:05","total_amount":"88.88","trade_no":"` + tradeNo + `","trade_status":"TRADE_SUCCESS"}`, "alipay2_private.pem", "alipay2_cert.crt"},
		{"cert_download", certDownloadMethod, `{"code":"10000","msg":"Success","alipay_cert_content":"` + alipay2Cert + `"}`, "alipay2_private.pem", "alipay2_cert.crt"},
		{"cert_download_rogue", certDownloadMethod, `{"code":"10000","msg":"Success","alipay_cert_content":"` + rogueCert + `"}`, "alipay2_private.pem", "alipay2_cert.crt"},
	}
}

// buildGolden signs one spec.
func buildGolden(t testing.TB, g goldenSpec) string {
	var sn string
	if g.cert != "" {
		sn = certSN(t, g.cert)
	}
	if g.signer == "" {
		return signedBody(t, nil, g.method, g.node, sn)
	}
	return signedBody(t, testKey(t, g.signer), g.method, g.node, sn)
}

// golden returns the committed golden response name.
func golden(t testing.TB, name string) string {
	t.Helper()
	return string(readTestdata(t, "golden", name+".json"))
}

// TestGolden_UpToDate regenerates every golden response (PKCS#1 v1.5 signatures are
// deterministic) and compares it with the committed file; -update rewrites them.
func TestGolden_UpToDate(t *testing.T) {
	for _, g := range goldenSpecs(t) {
		want := buildGolden(t, g)
		path := filepath.Join("testdata", "golden", g.name+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -run TestGolden_UpToDate -update)", g.name, err)
		}
		if string(got) != want {
			t.Errorf("%s: golden file is stale; run go test -run TestGolden_UpToDate -update", g.name)
		}
	}
}
