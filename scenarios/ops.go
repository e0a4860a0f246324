package scenarios

import (
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// sameAmount reports whether two amounts are equal in value and currency.
func sameAmount(a, b money.Amount) bool {
	c, err := a.Cmp(b)
	return err == nil && c == 0
}

// callFaults are the fault kinds that act on an inbound call, whose `op` is an operation
// name the contract aliases below can stand for.
var callFaults = map[simulator.FaultKind]bool{
	simulator.FaultDelay: true, simulator.FaultTimeoutAfter: true, simulator.FaultTimeoutBefore: true,
	simulator.FaultReset: true, simulator.FaultHTTP5xx: true, simulator.FaultMalformedBody: true,
	simulator.FaultTruncatedBody: true, simulator.FaultBadSignature: true, simulator.FaultBusinessCode: true,
}

// opAliases maps the contract's operation names, as a scenario may write them in a call
// fault's `op`, to each simulated channel's own operation names. "pay" depends on the
// method (barcode goes to a different endpoint), hence payBarcode.
var opAliases = map[string]map[string]string{
	// wechat-v2.md §6
	"wechat": {
		"pay": "unifiedorder", "pay_barcode": "micropay", "query": "orderquery", "close": "closeorder",
		"cancel": "reverse", "refund": "refund", "query_refund": "refundquery", "statement": "downloadbill",
	},
	// alipay.md §9
	"alipay": {
		"pay": "alipay.trade.precreate", "pay_barcode": "alipay.trade.pay", "query": "alipay.trade.query",
		"close": "alipay.trade.close", "cancel": "alipay.trade.cancel", "refund": "alipay.trade.refund",
		"query_refund": "alipay.trade.fastpay.refund.query", "statement": "alipay.data.dataservice.bill.downloadurl.query",
	},
}

// faultOp resolves a fault step's op: a contract alias becomes the channel's operation
// name (for "pay", the one the order's pay step will call); anything else is passed on.
func faultOp(sc *Scenario, st *Step) string {
	op := st.Fault.Op
	if op == "" || !callFaults[st.Fault.Kind] {
		return op
	}
	table := opAliases[st.Channel]
	if table == nil {
		return op
	}
	if op == "pay" && st.Order != "" {
		for i := range sc.Steps {
			p := &sc.Steps[i]
			if p.Action == ActPay && p.Order == st.Order && p.Channel == st.Channel && p.Method == channel.MethodBarcode {
				op = "pay_barcode"
				break
			}
		}
	}
	if v, ok := table[op]; ok {
		return v
	}
	return op
}
