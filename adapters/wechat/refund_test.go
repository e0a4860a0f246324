package wechat

import (
	"context"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func refundReq() *channel.RefundRequest {
	return &channel.RefundRequest{RefundNo: "R1415757673", OrderNo: "1415757673", Amount: money.Fen(50),
		OrderAmount: money.Fen(101), Reason: "商品已售完"}
}

func TestRefund_AcceptedIsProcessingAndSendsBothAmounts(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/secapi/pay/refund", demoKey, sign.WeChatMD5, golden(t, "refund_success.xml"))
	res, err := e.c.Refund(context.Background(), refundReq())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != channel.StatusProcessing || res.RefundNo != "R1415757673" || res.ChannelRefundID != "2008450740201411110000174436" ||
		res.Amount != money.Fen(50) || res.OrderNo != "1415757673" || res.ChannelTxnID != "1008450740201411110005820873" || !res.MoneyMoved {
		t.Fatalf("result = %+v", res)
	}
	sent := e.rec.last("/secapi/pay/refund")
	for k, v := range map[string]string{"out_refund_no": "R1415757673", "out_trade_no": "1415757673", "total_fee": "101",
		"refund_fee": "50", "refund_desc": "商品已售完", "notify_url": "https://merchant.test/notify/wechat"} {
		if lookup(sent, k) != v {
			t.Errorf("sent %s = %q, want %q", k, lookup(sent, k), v)
		}
	}
}

func TestRefund_ValidatesAndMapsRetryableErrors(t *testing.T) {
	e := newEnv(t, nil)
	r := refundReq()
	r.OrderAmount = money.Amount{}
	_, err := e.c.Refund(context.Background(), r)
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)
	r = refundReq()
	r.Amount = money.Fen(200)
	_, err = e.c.Refund(context.Background(), r)
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)

	e.respond(t, "/secapi/pay/refund", demoKey, sign.WeChatMD5, golden(t, "refund_bizerr_need_retry.xml"))
	_, err = e.c.Refund(context.Background(), refundReq())
	wantErr(t, err, channel.KindUnknown, "BIZERR_NEED_RETRY", true)

	e.respond(t, "/secapi/pay/refund", demoKey, sign.WeChatMD5, signedXML(t, map[string]string{"result_code": "FAIL", "err_code": "NOTENOUGH"}))
	_, err = e.c.Refund(context.Background(), refundReq())
	wantErr(t, err, channel.KindInsufficientFunds, "NOTENOUGH", false)
}

func TestQueryRefund_PicksTheRefundAskedFor(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/refundquery", demoKey, sign.WeChatMD5, golden(t, "refundquery_success.xml"))
	res, err := e.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R1415757673"})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2014, 11, 11, 17, 5, 3, 0, clock.Beijing())
	if res.Status != channel.StatusSucceeded || res.ChannelStatus != "SUCCESS" || res.Amount != money.Fen(50) ||
		res.ChannelRefundID != "2008450740201411110000174436" || !res.CompletedAt.Equal(want) {
		t.Fatalf("result = %+v", res)
	}
	if lookup(e.rec.last("/pay/refundquery"), "out_refund_no") != "R1415757673" {
		t.Error("out_refund_no not sent")
	}
	res, err = e.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{ChannelRefundID: "2008450740201411110000174400"})
	if err != nil || res.Status != channel.StatusProcessing || res.RefundNo != "R0" || !res.CompletedAt.IsZero() {
		t.Fatalf("by refund_id: %+v %v", res, err)
	}
	if lookup(e.rec.last("/pay/refundquery"), "refund_id") != "2008450740201411110000174400" {
		t.Error("refund_id not sent")
	}
	_, err = e.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R-absent"})
	wantErr(t, err, channel.KindUnknown, "BAD_RESPONSE", true)

	e.respond(t, "/pay/refundquery", demoKey, sign.WeChatMD5, golden(t, "refundquery_notexist.xml"))
	_, err = e.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R9"})
	wantErr(t, err, channel.KindNotFound, "REFUNDNOTEXIST", false)
}

func TestRefundStatus_Mapping(t *testing.T) {
	for in, want := range map[string]channel.Status{
		"SUCCESS": channel.StatusSucceeded, "PROCESSING": channel.StatusProcessing, "CHANGE": channel.StatusProcessing,
		"REFUNDCLOSE": channel.StatusFailed, "": channel.StatusUnknown, "NEW": channel.StatusUnknown,
	} {
		if got := RefundStatus(in); got != want {
			t.Errorf("RefundStatus(%q) = %v, want %v", in, got, want)
		}
	}
}
