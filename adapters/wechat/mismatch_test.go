package wechat

import (
	"context"
	"errors"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// TestCall_SignedAnswerAboutAnotherOrderIsUnknown feeds each order call a correctly
// signed answer that is about another order (or amount) than the one asked for: the
// outcome of ours is unknown (KindUnknown, RESPONSE_MISMATCH), retryable exactly where
// the operation's other unknown outcomes are.
func TestCall_SignedAnswerAboutAnotherOrderIsUnknown(t *testing.T) {
	query := map[string]string{"result_code": "SUCCESS", "trade_state": "SUCCESS", "out_trade_no": "1415757673",
		"transaction_id": "1008450740201411110005820873", "total_fee": "101", "time_end": "20141111170043"}
	micropay := map[string]string{"result_code": "SUCCESS", "out_trade_no": "MP20140903131540",
		"transaction_id": "4200000925202101284997714292", "total_fee": "888", "time_end": "20140903131540"}
	refund := map[string]string{"result_code": "SUCCESS", "out_trade_no": "1415757673", "transaction_id": "1008450740201411110005820873",
		"out_refund_no": "R1415757673", "refund_id": "2008450740201411110000174436", "refund_fee": "50", "total_fee": "101"}
	with := func(base map[string]string, k, v string) map[string]string {
		m := make(map[string]string, len(base))
		for bk, bv := range base {
			m[bk] = bv
		}
		m[k] = v
		return m
	}
	doQuery := func(e *testEnv) error {
		_, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1415757673"})
		return err
	}
	doQueryByTxn := func(e *testEnv) error {
		_, err := e.c.Query(context.Background(), &channel.QueryRequest{ChannelTxnID: "1008450740201411110005820873"})
		return err
	}
	doMicropay := func(e *testEnv) error {
		req := payReq(channel.MethodBarcode)
		req.AuthCode, req.OrderNo, req.Amount = "134567890123456789", "MP20140903131540", money.Fen(888)
		_, err := e.c.Pay(context.Background(), req)
		return err
	}
	doRefund := func(e *testEnv) error {
		_, err := e.c.Refund(context.Background(), refundReq())
		return err
	}
	refundQuery := map[string]string{"result_code": "SUCCESS", "out_trade_no": "1415757673", "transaction_id": "1008450740201411110005820873",
		"refund_count": "1", "out_refund_no_0": "R1415757673", "refund_id_0": "2008450740201411110000174436",
		"refund_fee_0": "50", "refund_status_0": "PROCESSING"}
	doQueryRefund := func(e *testEnv) error {
		_, err := e.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R1415757673", OrderNo: "1415757673"})
		return err
	}
	tests := []struct {
		name   string
		path   string
		fields map[string]string
		do     func(*testEnv) error
		retry  bool
	}{
		{"query: another out_trade_no", "/pay/orderquery", with(query, "out_trade_no", "1415757674"), doQuery, true},
		{"query by id: another transaction_id", "/pay/orderquery", with(query, "transaction_id", "1008450740201411110005820874"), doQueryByTxn, true},
		{"micropay: another out_trade_no", "/pay/micropay", with(micropay, "out_trade_no", "MP20140903131541"), doMicropay, false},
		{"micropay: another total_fee", "/pay/micropay", with(micropay, "total_fee", "1"), doMicropay, false},
		{"micropay: another currency", "/pay/micropay", with(micropay, "fee_type", "USD"), doMicropay, false},
		{"refund: another out_trade_no", "/secapi/pay/refund", with(refund, "out_trade_no", "1415757674"), doRefund, true},
		{"refund: another out_refund_no", "/secapi/pay/refund", with(refund, "out_refund_no", "R1415757674"), doRefund, true},
		{"refund: another refund_fee", "/secapi/pay/refund", with(refund, "refund_fee", "51"), doRefund, true},
		{"refund query: another out_trade_no", "/pay/refundquery", with(refundQuery, "out_trade_no", "1415757674"), doQueryRefund, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.respond(t, tc.path, demoKey, sign.WeChatMD5, signedXML(t, tc.fields))
			ce := wantErr(t, tc.do(e), channel.KindUnknown, "RESPONSE_MISMATCH", tc.retry)
			if !errors.Is(ce, channel.ErrUnknownOutcome) {
				t.Errorf("errors.Is(err, ErrUnknownOutcome) = false")
			}
		})
	}
	// The same answers about our own order are accepted (the table's failures come from
	// the one field changed, not from the base answers).
	for _, tc := range []struct {
		path   string
		fields map[string]string
		do     func(*testEnv) error
	}{{"/pay/orderquery", query, doQuery}, {"/pay/orderquery", query, doQueryByTxn}, {"/pay/micropay", micropay, doMicropay}, {"/secapi/pay/refund", refund, doRefund}, {"/pay/refundquery", refundQuery, doQueryRefund}} {
		e := newEnv(t, nil)
		e.respond(t, tc.path, demoKey, sign.WeChatMD5, signedXML(t, tc.fields))
		if err := tc.do(e); err != nil {
			t.Errorf("%s, own order: %v", tc.path, err)
		}
	}
}
