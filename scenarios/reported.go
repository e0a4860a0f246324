package scenarios

import (
	"go.yaml.in/yaml/v3"
)

// refundedNotReported lists the toolkit channels whose payment and refund results never
// carry a refunded amount (core/channel PaymentResult.RefundedAmount and
// RefundResult.RefundedTotal are filled "where the channel reports it": only Alipay's
// trade answers carry refund_fee). A `refunded_amount` check on those would always read
// zero, so the file is refused instead.
var refundedNotReported = map[string]bool{"wechat": true, "unionpay": true, "bank": true}

// checkReported refuses result checks the step's channel cannot answer.
func (c *stepCtx) checkReported(st *Step, n *yaml.Node, path string) {
	e := st.Expect
	if e == nil || e.RefundedAmount == nil || !refundedNotReported[st.Channel] {
		return
	}
	c.d.errorf(n, join(path, "refunded_amount"), "not reported by this channel: %s %s results carry no refunded amount; check the refund's own step (status, amount) or the statement instead", st.Channel, st.Action)
}
