package wechat

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestQuery_PaidOrderReadsAmountsAndBeijingTime(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, golden(t, "orderquery_success.xml"))
	res, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1415757673"})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2014, 11, 11, 17, 0, 43, 0, clock.Beijing())
	if res.Status != channel.StatusSucceeded || res.ChannelStatus != "SUCCESS" || res.Amount != money.Fen(101) ||
		res.PaidAmount != money.Fen(100) || !res.PaidAt.Equal(want) || res.PaidAt.Location() != clock.Beijing() ||
		res.ChannelTxnID != "1008450740201411110005820873" || res.OrderNo != "1415757673" || res.BankType != "CMC" {
		t.Fatalf("result = %+v", res)
	}
	if got := lookup(e.rec.last("/pay/orderquery"), "out_trade_no"); got != "1415757673" {
		t.Errorf("out_trade_no sent = %q", got)
	}
}

func TestQuery_ByTransactionIDSendsOnlyIt(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, golden(t, "orderquery_notpay.xml"))
	res, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1415757673", ChannelTxnID: "1008450740201411110005820873"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != channel.StatusPending || !res.PaidAt.IsZero() {
		t.Fatalf("NOTPAY → %+v", res)
	}
	sent := e.rec.last("/pay/orderquery")
	if lookup(sent, "transaction_id") != "1008450740201411110005820873" || lookup(sent, "out_trade_no") != "" {
		t.Errorf("sent %v", sent)
	}
}

func TestQuery_TradeStateMapsToStatus(t *testing.T) {
	tests := map[string]channel.Status{
		"SUCCESS": channel.StatusSucceeded, "REFUND": channel.StatusRefunded, "NOTPAY": channel.StatusPending,
		"CLOSED": channel.StatusClosed, "REVOKED": channel.StatusReversed, "USERPAYING": channel.StatusProcessing,
		"PAYERROR": channel.StatusFailed, "ACCEPT": channel.StatusProcessing, "SOMETHING_NEW": channel.StatusUnknown,
	}
	for state, want := range tests {
		t.Run(state, func(t *testing.T) {
			e := newEnv(t, nil)
			e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, signedXML(t, map[string]string{
				"result_code": "SUCCESS", "trade_state": state, "out_trade_no": "1", "total_fee": "5", "time_end": "20261122093000"}))
			res, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != want || res.ChannelStatus != state {
				t.Fatalf("trade_state %s → %v, want %v", state, res.Status, want)
			}
			if res.PaidAt.IsZero() != !want.Paid() {
				t.Errorf("PaidAt %v for %v", res.PaidAt, want)
			}
		})
	}
}

func TestQuery_NotFoundAndMissingState(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, golden(t, "orderquery_notexist.xml"))
	_, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	wantErr(t, err, channel.KindNotFound, "ORDERNOTEXIST", false)

	e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, signedXML(t, map[string]string{"result_code": "SUCCESS"}))
	_, err = e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	wantErr(t, err, channel.KindUnknown, "BAD_RESPONSE", true)

	e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, signedXML(t, map[string]string{"result_code": "SUCCESS", "trade_state": "SUCCESS", "total_fee": "1.00"}))
	_, err = e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	wantErr(t, err, channel.KindUnknown, "BAD_RESPONSE", true)
}

func TestClose_Outcomes(t *testing.T) {
	tests := []struct {
		file   string
		status channel.Status
		kind   channel.Kind
		code   string
	}{
		{"closeorder_success.xml", channel.StatusClosed, 0, ""},
		{"closeorder_orderclosed.xml", channel.StatusClosed, 0, ""},
		{"closeorder_orderpaid.xml", 0, channel.KindAlreadyDone, "ORDERPAID"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			e := newEnv(t, nil)
			e.respond(t, "/pay/closeorder", demoKey, sign.WeChatMD5, golden(t, tc.file))
			res, err := e.c.Close(context.Background(), &channel.CloseRequest{OrderNo: "1415757673"})
			if tc.code != "" {
				wantErr(t, err, tc.kind, tc.code, false)
				return
			}
			if err != nil || res.Status != tc.status || res.OrderNo != "1415757673" {
				t.Fatalf("res %+v err %v", res, err)
			}
		})
	}
}

func TestClose_NeedsOrderNo(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.c.Close(context.Background(), &channel.CloseRequest{ChannelTxnID: "42"})
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)
}

func TestCancel_ReversesAndAsksAgainOnRecall(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/secapi/pay/reverse", demoKey, sign.WeChatMD5, golden(t, "reverse_success.xml"))
	res, err := e.c.Cancel(context.Background(), &channel.CancelRequest{OrderNo: "MP1"})
	if err != nil || res.Status != channel.StatusReversed || res.RetryNeeded {
		t.Fatalf("res %+v err %v", res, err)
	}
	if lookup(e.rec.last("/secapi/pay/reverse"), "out_trade_no") != "MP1" {
		t.Error("out_trade_no not sent")
	}
	e.respond(t, "/secapi/pay/reverse", demoKey, sign.WeChatMD5, golden(t, "reverse_recall.xml"))
	res, err = e.c.Cancel(context.Background(), &channel.CancelRequest{OrderNo: "MP1"})
	if err != nil || res.Status != channel.StatusUnknown || !res.RetryNeeded || res.ChannelStatus != "SYSTEMERROR" {
		t.Fatalf("recall: res %+v err %v", res, err)
	}
	e.respond(t, "/secapi/pay/reverse", demoKey, sign.WeChatMD5, signedXML(t, map[string]string{"result_code": "FAIL", "err_code": "REVERSE_EXPIRE", "recall": "N"}))
	_, err = e.c.Cancel(context.Background(), &channel.CancelRequest{OrderNo: "MP1"})
	wantErr(t, err, channel.KindDeclined, "REVERSE_EXPIRE", false)
	e.mt.RegisterResponder(http.MethodPost, testBase+"/secapi/pay/reverse", httpmock.NewErrorResponder(timeoutErr{}))
	_, err = e.c.Cancel(context.Background(), &channel.CancelRequest{OrderNo: "MP1"})
	wantErr(t, err, channel.KindUnknown, "TRANSPORT", true)
}

func TestSecureCalls_NeedTheClientCertificate(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TLSClient = nil })
	_, err := e.c.Cancel(context.Background(), &channel.CancelRequest{OrderNo: "MP1"})
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)
	_, err = e.c.Refund(context.Background(), &channel.RefundRequest{RefundNo: "R", OrderNo: "1", Amount: money.Fen(1), OrderAmount: money.Fen(1)})
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)
	if n := e.mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("%d calls sent without a certificate", n)
	}
}
