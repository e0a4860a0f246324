package scenarios

import (
	"fmt"
	"sort"
	"strings"

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
	// unionpay.md §4 (the simulator's names, docs/SIMULATOR.md): "pay" follows the pay
	// step's method (token consume on backTransReq, app on appTransReq, web/h5 front).
	"unionpay": {
		"pay": "consume", "pay_token": "consume", "pay_app": "consume.app", "pay_web": "consume.front", "pay_h5": "consume.front",
		"query": "query", "cancel": "undo", "refund": "refund", "query_refund": "query", "statement": "file",
		"bind": "sms.open", "resend_sms": "sms.open", "confirm_bind": "token.open", "query_binding": "token.open_query", "unbind": "token.delete",
		"pay_sms": "sms.consume", "preauth": "preauth.app", "preauth_undo": "preauth.undo", "capture": "preauth.complete",
		"capture_undo": "preauth.complete_undo", "query_auth": "query",
	},
	// The bank direct-connect's txCodes (docs/SIMULATOR.md "Bank direct-connect").
	"bank": {
		"pay": "PAY", "query": "PAY_QUERY", "refund": "REFUND", "query_refund": "REFUND_QUERY", "statement": "STMT_APPLY",
		"bind": "BIND_APPLY", "resend_sms": "BIND_SMS_RESEND", "confirm_bind": "BIND_CONFIRM", "unbind": "UNBIND",
		"query_binding": "BIND_QUERY", "payout": "PAYOUT", "query_payout": "PAYOUT_QUERY", "balance": "BALANCE_QUERY",
	},
}

// callbackAliases maps the contract's callback kinds to a simulated channel's own, where
// they differ (the bank names notifications by txCode).
var callbackAliases = map[string]map[string]string{
	"bank": {"payment": "PAY_RESULT", "refund": "REFUND_RESULT", "payout": "PAYOUT_RESULT"},
}

// faultOp resolves a fault step's op: a contract alias becomes the channel's operation
// name (for "pay", the one the order's pay step will call); anything else is passed on.
func faultOp(sc *Scenario, st *Step) string {
	op := st.Fault.Op
	if op != "" && !callFaults[st.Fault.Kind] {
		if v, ok := callbackAliases[st.Channel][op]; ok {
			return v
		}
	}
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
			if p.Action != ActPay || p.Order != st.Order || p.Channel != st.Channel {
				continue
			}
			if _, ok := table["pay_"+string(p.Method)]; ok { // pay_barcode, UnionPay's pay_app …
				op = "pay_" + string(p.Method)
				break
			}
		}
	}
	if v, ok := table[op]; ok {
		return v
	}
	return op
}

// channelOps are the operation names each simulated channel identifies calls by, for
// checking a call fault's op when the scenario is read (a misspelt op would silently never
// match). Channels not listed are not checked.
var channelOps = map[string][]string{
	// wechat-v2.md §6, §9
	"wechat": {"unifiedorder", "micropay", "orderquery", "closeorder", "reverse", "refund", "refundquery",
		"downloadbill", "downloadfundflow", "getsignkey"},
	// alipay.md §9, §5
	"alipay": {"alipay.trade.precreate", "alipay.trade.pay", "alipay.trade.query", "alipay.trade.close",
		"alipay.trade.cancel", "alipay.trade.refund", "alipay.trade.fastpay.refund.query",
		"alipay.data.dataservice.bill.downloadurl.query", "alipay.trade.page.pay", "alipay.trade.wap.pay",
		"alipay.trade.app.pay", "alipay.trade.create", "alipay.open.app.alipaycert.download"},
	"bank": {"BIND_APPLY", "BIND_SMS_RESEND", "BIND_CONFIRM", "UNBIND", "BIND_QUERY", "PAY", "PAY_QUERY", "REFUND",
		"REFUND_QUERY", "PAYOUT", "PAYOUT_QUERY", "BALANCE_QUERY", "STMT_APPLY"},
	// docs/SIMULATOR.md "UnionPay" operations
	"unionpay": {"sms.open", "sms.consume", "token.open", "token.open.front", "token.open_query", "consume.open",
		"token.apply", "token.update", "token.delete", "consume", "consume.front", "consume.app", "undo", "refund",
		"preauth.front", "preauth.app", "preauth.undo", "preauth.complete", "preauth.complete_undo", "query",
		"cert.update", "file"},
}

// methodAlias reports the internal "pay_<method>" aliases faultOp picks by the pay
// step's method; a scenario writes "pay".
func methodAlias(op string) bool {
	return strings.HasPrefix(op, "pay_") && channel.Method(op[len("pay_"):]).Valid()
}

// callbackOps are the callback kinds callback faults match on.
var callbackOps = []string{"payment", "refund", "cancel", "binding", "payout", "reversal", "preauth", "token"}

// checkFaultOp reports a fault's op that can never match on chName, or "".
func checkFaultOp(chName string, kind simulator.FaultKind, op string) string {
	if op == "" {
		return ""
	}
	switch {
	case callFaults[kind]:
		known := channelOps[chName]
		if known == nil {
			return ""
		}
		if _, alias := opAliases[chName][op]; alias && !methodAlias(op) {
			return ""
		}
		for _, k := range known {
			if k == op {
				return ""
			}
		}
		aliases := make([]string, 0, len(opAliases[chName]))
		for a := range opAliases[chName] {
			if !methodAlias(a) {
				aliases = append(aliases, a)
			}
		}
		sort.Strings(aliases)
		return fmt.Sprintf("unknown %s operation %q; known: %s (or %s)", chName, op, strings.Join(aliases, ", "), strings.Join(known, ", "))
	case kind == simulator.FaultDuplicateCallbacks || kind == simulator.FaultReorderCallbacks ||
		kind == simulator.FaultMissingCallbacks || kind == simulator.FaultForgedCallback ||
		kind == simulator.FaultTamperedCallback:
		for _, k := range callbackOps {
			if k == op {
				return ""
			}
		}
		return fmt.Sprintf("a %s fault matches a callback kind: %s", kind, strings.Join(callbackOps, ", "))
	case kind == simulator.FaultCompleteAfterMidnight:
		if op != "pay" {
			return fmt.Sprintf("a %s fault matches the payer's %q action only (leave op out)", kind, "pay")
		}
	}
	return ""
}
