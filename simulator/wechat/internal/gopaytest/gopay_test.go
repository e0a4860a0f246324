// Package gopaytest checks that a widely used third-party WeChat Pay v2 client, gopay
// (github.com/go-pay/gopay/wechat), works against the simulator with only its base URL
// changed, and that every response it gets verifies with gopay's own wechat.VerifySign
// (over its response structs and over the raw BodyMap). It is a separate module so that
// gopay never enters tongdao's go.mod; see README.md for how to run it.
package gopaytest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	gpwechat "github.com/go-pay/gopay/wechat"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// merchant is an in-process merchant server that handles notifications with gopay's own
// helpers, exactly as a gopay user would.
type merchant struct {
	t        *testing.T
	mu       sync.Mutex
	payments []gopay.BodyMap
	refunds  []*gpwechat.RefundNotify
	signType string
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ack := (&gpwechat.NotifyResponse{ReturnCode: gopay.SUCCESS, ReturnMsg: "OK"}).ToXmlString()
	switch r.URL.Path {
	case "/notify/pay":
		bm, err := gpwechat.ParseNotifyToBodyMap(r)
		if err != nil {
			m.t.Errorf("gopay ParseNotifyToBodyMap: %v", err)
			return
		}
		m.mu.Lock()
		st := m.signType
		m.mu.Unlock()
		ok, err := gpwechat.VerifySign(wechat.DemoKey, st, bm)
		if err != nil || !ok {
			m.t.Errorf("gopay VerifySign(payment notification, %s) = %v, %v", st, ok, err)
		}
		m.mu.Lock()
		m.payments = append(m.payments, bm)
		m.mu.Unlock()
	case "/notify/refund":
		n, err := gpwechat.ParseRefundNotify(r)
		if err != nil {
			m.t.Errorf("gopay ParseRefundNotify: %v", err)
			return
		}
		plain, err := gpwechat.DecryptRefundNotifyReqInfo(n.ReqInfo, wechat.DemoKey)
		if err != nil {
			m.t.Errorf("gopay DecryptRefundNotifyReqInfo: %v", err)
			return
		}
		m.mu.Lock()
		m.refunds = append(m.refunds, plain)
		m.mu.Unlock()
	}
	_, _ = w.Write([]byte(ack))
}

func start(t *testing.T) (*simulator.TestServer, *gpwechat.Client, *merchant) {
	t.Helper()
	w, err := wechat.New(wechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := &merchant{t: t, signType: gpwechat.SignType_MD5}
	ts := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{w}, Seed: 7,
		CallbackTransport: simulator.HandlerTransport(m)})
	// §13: isProd=true, and only the base URL changed.
	c := gpwechat.NewClient(wechat.DemoAppID, wechat.DemoMchID, wechat.DemoKey, true)
	c.BaseURL = ts.URL
	return ts, c, m
}

func verifyStruct(t *testing.T, what, signType string, rsp any) {
	t.Helper()
	ok, err := gpwechat.VerifySign(wechat.DemoKey, signType, rsp)
	if err != nil || !ok {
		t.Errorf("gopay VerifySign(%s struct) = %v, %v: %+v", what, ok, err, rsp)
	}
}

func verifyMap(t *testing.T, what, signType string, bm gopay.BodyMap) {
	t.Helper()
	ok, err := gpwechat.VerifySign(wechat.DemoKey, signType, bm)
	if err != nil || !ok {
		t.Errorf("gopay VerifySign(%s BodyMap) = %v, %v: %v", what, ok, err, bm)
	}
}

func unifiedOrder(no, tradeType, signType string) gopay.BodyMap {
	bm := make(gopay.BodyMap)
	bm.Set("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS").
		Set("body", "gopay compatibility").
		Set("out_trade_no", no).
		Set("total_fee", 101).
		Set("spbill_create_ip", "127.0.0.1").
		Set("notify_url", "https://merchant.example/notify/pay").
		Set("trade_type", tradeType).
		Set("sign_type", signType)
	if tradeType == gpwechat.TradeType_JsApi {
		bm.Set("openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
	}
	if tradeType == gpwechat.TradeType_Native {
		bm.Set("product_id", "P-1")
	}
	return bm
}

func TestGopay_FullFlow(t *testing.T) {
	for _, signType := range []string{gpwechat.SignType_MD5, gpwechat.SignType_HMAC_SHA256} {
		t.Run(signType, func(t *testing.T) {
			ts, c, m := start(t)
			m.signType = signType
			ctx := context.Background()

			// Unified order (NATIVE and JSAPI).
			for _, tt := range []struct{ no, typ string }{{"GP-NATIVE-1", gpwechat.TradeType_Native}, {"GP-JSAPI-1", gpwechat.TradeType_JsApi}} {
				rsp, err := c.UnifiedOrder(ctx, unifiedOrder(tt.no, tt.typ, signType))
				if err != nil {
					t.Fatalf("UnifiedOrder: %v", err)
				}
				if rsp.ReturnCode != "SUCCESS" || rsp.ResultCode != "SUCCESS" || rsp.PrepayId == "" {
					t.Fatalf("UnifiedOrder: %+v", rsp)
				}
				verifyStruct(t, "UnifiedOrderResponse", signType, rsp)
			}

			// The payer pays; the notification is parsed and verified by gopay.
			if _, err := ts.Pay(ctx, simulator.PayerAction{Channel: wechat.Name, OutTradeNo: "GP-NATIVE-1"}); err != nil {
				t.Fatal(err)
			}
			if len(m.payments) != 1 || m.payments[0].GetString("out_trade_no") != "GP-NATIVE-1" {
				t.Fatalf("payment notifications: %v", m.payments)
			}

			// Query.
			q := make(gopay.BodyMap)
			q.Set("nonce_str", "n1").Set("out_trade_no", "GP-NATIVE-1").Set("sign_type", signType)
			qr, qbm, err := c.QueryOrder(ctx, q)
			if err != nil {
				t.Fatalf("QueryOrder: %v", err)
			}
			if qr.TradeState != "SUCCESS" || qr.TotalFee != "101" || qr.TransactionId == "" {
				t.Fatalf("QueryOrder: %+v", qr)
			}
			verifyStruct(t, "QueryOrderResponse", signType, qr)
			verifyMap(t, "QueryOrder", signType, qbm)

			// Close the unpaid one.
			cl := make(gopay.BodyMap)
			cl.Set("nonce_str", "n2").Set("out_trade_no", "GP-JSAPI-1").Set("sign_type", signType)
			cr, err := c.CloseOrder(ctx, cl)
			if err != nil || cr.ResultCode != "SUCCESS" {
				t.Fatalf("CloseOrder: %+v %v", cr, err)
			}
			verifyStruct(t, "CloseOrderResponse", signType, cr)

			// Micropay, then reverse another one.
			for _, no := range []string{"GP-MICRO-1", "GP-MICRO-2"} {
				mp := make(gopay.BodyMap)
				mp.Set("nonce_str", "n3").Set("body", "pos").Set("out_trade_no", no).Set("total_fee", 1).
					Set("spbill_create_ip", "127.0.0.1").Set("auth_code", "134567890123456789").Set("sign_type", signType)
				mr, err := c.Micropay(ctx, mp)
				if err != nil || mr.ResultCode != "SUCCESS" || mr.TransactionId == "" {
					t.Fatalf("Micropay: %+v %v", mr, err)
				}
				verifyStruct(t, "MicropayResponse", signType, mr)
			}
			rv := make(gopay.BodyMap)
			rv.Set("nonce_str", "n4").Set("out_trade_no", "GP-MICRO-2").Set("sign_type", signType)
			rr, err := c.Reverse(ctx, rv)
			if err != nil || rr.ResultCode != "SUCCESS" || rr.Recall != "N" {
				t.Fatalf("Reverse: %+v %v", rr, err)
			}
			verifyStruct(t, "ReverseResponse", signType, rr)

			// Refund (gopay's TLS client; the simulator listens on plain HTTP here).
			rf := make(gopay.BodyMap)
			rf.Set("nonce_str", "n5").Set("out_trade_no", "GP-NATIVE-1").Set("out_refund_no", "GP-R-1").
				Set("total_fee", 101).Set("refund_fee", 1).Set("sign_type", signType).
				Set("notify_url", "https://merchant.example/notify/refund")
			fr, fbm, err := c.Refund(ctx, rf)
			if err != nil || fr.ResultCode != "SUCCESS" || fr.RefundId == "" || fr.RefundFee != "1" {
				t.Fatalf("Refund: %+v %v", fr, err)
			}
			verifyStruct(t, "RefundResponse", signType, fr)
			verifyMap(t, "Refund", signType, fbm)

			// Refund query; the refund notification arrives at the next clock movement.
			rq := make(gopay.BodyMap)
			rq.Set("nonce_str", "n6").Set("out_trade_no", "GP-NATIVE-1").Set("sign_type", signType)
			qrr, qrbm, err := c.QueryRefund(ctx, rq)
			if err != nil || qrr.ResultCode != "SUCCESS" || qrr.OutRefundNo0 != "GP-R-1" || qrr.RefundStatus0 != "SUCCESS" {
				t.Fatalf("QueryRefund: %+v %v", qrr, err)
			}
			verifyStruct(t, "QueryRefundResponse", signType, qrr)
			verifyMap(t, "QueryRefund", signType, qrbm)
			if err := ts.Advance(time.Second); err != nil {
				t.Fatal(err)
			}
			if len(m.refunds) != 1 || m.refunds[0].OutRefundNo != "GP-R-1" || m.refunds[0].RefundStatus != "SUCCESS" {
				t.Fatalf("refund notifications: %+v", m.refunds)
			}

			// The bill of the day, downloaded the next morning.
			day := clock.DateOf(ts.Clock().Now(), clock.Beijing())
			if err := ts.SetTime(day.AddDays(1).Start(clock.Beijing()).Add(10 * time.Hour)); err != nil {
				t.Fatal(err)
			}
			db := make(gopay.BodyMap)
			db.Set("nonce_str", "n7").Set("bill_date", day.Compact()).Set("bill_type", "ALL").Set("sign_type", signType)
			bill, err := c.DownloadBill(ctx, db)
			if err != nil {
				t.Fatalf("DownloadBill: %v", err)
			}
			if !strings.HasPrefix(bill, "交易时间,公众账号ID,") || !strings.Contains(bill, "`GP-NATIVE-1,") || !strings.Contains(bill, "`GP-R-1,") {
				t.Fatalf("bill:\n%s", bill)
			}
			ff := make(gopay.BodyMap)
			ff.Set("nonce_str", "n8").Set("bill_date", day.Compact()).Set("account_type", "Basic")
			flow, err := c.DownloadFundFlow(ctx, ff)
			if err != nil || !strings.HasPrefix(flow, "记账时间,微信支付业务单号,") || !strings.Contains(flow, "`退款,") {
				t.Fatalf("DownloadFundFlow: %v\n%s", err, flow)
			}
		})
	}
}

func TestGopay_ErrorsAreWeChatShaped(t *testing.T) {
	_, c, _ := start(t)
	ctx := context.Background()
	q := make(gopay.BodyMap)
	q.Set("nonce_str", "n1").Set("out_trade_no", "NO-SUCH-ORDER")
	qr, _, err := c.QueryOrder(ctx, q)
	if err != nil || qr.ReturnCode != "SUCCESS" || qr.ResultCode != "FAIL" || qr.ErrCode != "ORDERNOTEXIST" {
		t.Fatalf("QueryOrder unknown: %+v %v", qr, err)
	}
	verifyStruct(t, "QueryOrderResponse(FAIL)", gpwechat.SignType_MD5, qr)

	ac := make(gopay.BodyMap)
	ac.Set("nonce_str", "n2").Set("auth_code", "134567890123456789")
	ar, err := c.AuthCodeToOpenId(ctx, ac)
	if err != nil || ar.ResultCode != "SUCCESS" || ar.Openid == "" {
		t.Fatalf("AuthCodeToOpenId: %+v %v", ar, err)
	}
	verifyStruct(t, "AuthCodeToOpenIdResponse", gpwechat.SignType_MD5, ar)

	rp := make(gopay.BodyMap)
	rp.Set("nonce_str", "n3").Set("interface_url", "https://api.mch.weixin.qq.com/pay/unifiedorder").
		Set("execute_time", 120).Set("return_code", "SUCCESS").Set("return_msg", "OK").
		Set("result_code", "SUCCESS").Set("user_ip", "127.0.0.1")
	if rr, err := c.Report(ctx, rp); err != nil || rr.ReturnCode != "SUCCESS" || rr.ResultCode != "SUCCESS" {
		t.Fatalf("Report: %+v %v", rr, err)
	}

	bad := gpwechat.NewClient(wechat.DemoAppID, wechat.DemoMchID, strings.Repeat("0", 32), true)
	bad.BaseURL = c.BaseURL
	ur, err := bad.UnifiedOrder(ctx, unifiedOrder("GP-BAD-1", gpwechat.TradeType_Native, gpwechat.SignType_MD5))
	if err != nil || ur.ReturnCode != "FAIL" || ur.ReturnMsg != "签名错误" || ur.Sign != "" {
		t.Fatalf("UnifiedOrder with a wrong key: %+v %v", ur, err)
	}

	db := make(gopay.BodyMap)
	db.Set("nonce_str", "n7").Set("bill_date", "20240602").Set("bill_type", "ALL")
	bill, err := c.DownloadBill(ctx, db)
	if err != nil || !strings.Contains(bill, "No Bill Exist") || !strings.Contains(bill, "20002") {
		t.Fatalf("DownloadBill of an empty day: %q %v", bill, err)
	}
}
