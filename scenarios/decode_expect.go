package scenarios

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/simulator"
)

// faultKeys maps the fault plan's JSON field names to the scenario's keys where they differ.
var faultKeys = map[string]string{"out_trade_no": "order"}

func (c *stepCtx) fault(st *Step, m *mapNode) *simulator.FaultPlan {
	d := c.d
	p := &simulator.FaultPlan{Channel: st.Channel}
	p.Kind = simulator.FaultKind(m.required("kind"))
	p.Op = m.str("op")
	p.OutTradeNo = m.str("order")
	st.Order = p.OutTradeNo
	p.First = m.intVal("first", 0, 0)
	p.Every = m.intVal("every", 0, 0)
	if n := m.get("probability"); n != nil {
		if s, ok := d.scalar(n, m.field("probability")); ok {
			// A probability, not money: a float is the simulator's own type for it.
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || v > 1 {
				d.errorf(n, m.field("probability"), "want a number within 0..1, got %q", s)
			}
			p.Probability = v
		}
	}
	p.Delay = simulator.Duration(m.duration("delay"))
	p.DelayMode = m.str("delay_mode")
	p.Stage = m.str("stage")
	p.Hold = m.boolVal("hold")
	p.Status = m.intVal("status", 0, 0)
	p.Code = m.str("code")
	p.Message = m.str("message")
	p.Process = m.boolVal("process")
	p.Body = m.str("body")
	p.Count = m.intVal("count", 0, 0)
	p.Spacing = simulator.Duration(m.duration("spacing"))
	p.Amount = m.amount("amount")
	p.Tamper = m.str("tamper")
	if t, ok := m.timeVal("until"); ok {
		p.Until = &t
	}
	if p.Kind == "" {
		return p
	}
	if msg := checkFaultOp(st.Channel, p.Kind, p.Op); msg != "" {
		d.errorf(m.vals["op"], m.field("op"), "%s", msg)
	}
	if err := p.Validate(); err != nil {
		var fe *simulator.FieldError
		if errors.As(err, &fe) {
			key := fe.Field
			if k, ok := faultKeys[key]; ok {
				key = k
			}
			node := m.vals[key]
			if node == nil {
				node = m.n
			}
			msg := fe.Reason
			if key == "kind" {
				names := []string{}
				for _, k := range simulator.FaultKinds() {
					names = append(names, string(k))
				}
				msg += "; known: " + strings.Join(names, ", ")
			}
			d.errorf(node, m.field(key), "%s", msg)
		} else {
			d.errorf(m.n, m.path, "%v", err)
		}
	}
	return p
}

// expect decodes an expect block. top is the scenario-level block (no result checks).
func (c *stepCtx) expect(n *yaml.Node, path, defChannel string, top bool) *Expect {
	d := c.d
	m := d.mapping(n, path)
	if m == nil {
		return nil
	}
	if defChannel == "" {
		defChannel = c.s.Channel
	}
	e := &Expect{Pos: d.pos(m.n)}
	if !top {
		if sn := m.get("status"); sn != nil {
			for i, it := range d.oneOrMany(sn, m.field("status")) {
				if v, ok := d.scalar(it, fmt.Sprintf("%s[%d]", m.field("status"), i)); ok {
					s, err := parseStatus(v)
					if err != nil {
						d.errorf(it, m.field("status"), "%v", err)
						continue
					}
					e.Status = append(e.Status, s)
				}
			}
		}
		if en := m.get("error"); en != nil {
			for _, it := range d.oneOrMany(en, m.field("error")) {
				if v, ok := d.scalar(it, m.field("error")); ok {
					if v == "any" {
						e.AnyError = true
						continue
					}
					k, err := parseKind(v)
					if err != nil {
						d.errorf(it, m.field("error"), "%v", err)
						continue
					}
					e.Error = append(e.Error, k)
				}
			}
		}
		e.Code = m.str("code")
		e.Retryable = m.boolPtr("retryable")
		e.Amount = m.amount("amount")
		e.RefundedAmount = m.amount("refunded_amount")
		e.Final = m.boolPtr("final")
		e.Frozen = m.amount("frozen")
	}
	if cn := m.get("callbacks"); cn != nil {
		for i, it := range d.oneOrMany(cn, m.field("callbacks")) {
			if ce := c.callbackExpect(it, fmt.Sprintf("%s[%d]", m.field("callbacks"), i), defChannel); ce != nil {
				e.Callbacks = append(e.Callbacks, *ce)
			}
		}
	}
	if rn := m.get("records"); rn != nil {
		for i, it := range d.oneOrMany(rn, m.field("records")) {
			if re := c.recordExpect(it, fmt.Sprintf("%s[%d]", m.field("records"), i), defChannel); re != nil {
				e.Records = append(e.Records, *re)
			}
		}
	}
	c.targetExpect(e, m)
	if !top {
		c.resultExpect(e, m)
	}
	if sn := m.get("statement"); sn != nil {
		for i, it := range d.oneOrMany(sn, m.field("statement")) {
			if se := c.statementExpect(it, fmt.Sprintf("%s[%d]", m.field("statement"), i), defChannel, top); se != nil {
				e.Statements = append(e.Statements, *se)
			}
		}
	}
	m.finish()
	return e
}

func (c *stepCtx) callbackExpect(n *yaml.Node, path, defChannel string) *CallbackExpect {
	m := c.d.mapping(n, path)
	if m == nil {
		return nil
	}
	ce := &CallbackExpect{Pos: c.d.pos(m.n), Channel: m.str("channel"), Order: m.str("order")}
	if ce.Channel == "" {
		ce.Channel = defChannel
	} else {
		c.known(m.get("channel"), m.field("channel"), ce.Channel)
	}
	ce.Type = c.notifyType(m)
	ce.Parsed = m.intPtr("parsed", 0)
	ce.Rejected = m.intPtr("rejected", 0)
	ce.Acked = m.intPtr("acked", 0)
	if v := m.str("last_status"); v != "" {
		s, err := parseStatus(v)
		if err != nil {
			c.d.errorf(m.get("last_status"), m.field("last_status"), "%v", err)
		}
		ce.LastStatus = &s
	}
	if ce.Parsed == nil && ce.Rejected == nil && ce.Acked == nil && ce.LastStatus == nil {
		c.d.errorf(m.n, path, "say what to check: parsed, rejected, acked or last_status")
	}
	m.finish()
	return ce
}

var recordKinds = []string{simulator.RecordCall, simulator.RecordCallback, simulator.RecordPayer,
	simulator.RecordFault, simulator.RecordClock, simulator.RecordEvent}

func (c *stepCtx) recordExpect(n *yaml.Node, path, defChannel string) *RecordExpect {
	m := c.d.mapping(n, path)
	if m == nil {
		return nil
	}
	re := &RecordExpect{Pos: c.d.pos(m.n), Channel: m.str("channel"), Kind: m.str("kind"),
		Op: m.str("op"), Order: m.str("order"), Fault: m.str("fault")}
	if re.Channel == "" {
		re.Channel = defChannel
	}
	if re.Kind != "" {
		ok := false
		for _, k := range recordKinds {
			ok = ok || k == re.Kind
		}
		if !ok {
			c.d.errorf(m.get("kind"), m.field("kind"), "unknown record kind %q; known: %s", re.Kind, strings.Join(recordKinds, ", "))
		}
	}
	re.Count = m.intPtr("count", 0)
	re.Min = m.intPtr("min", 0)
	re.Max = m.intPtr("max", 0)
	if re.Count == nil && re.Min == nil && re.Max == nil {
		one := 1
		re.Min = &one
	}
	c.recordWindow(re, m, defChannel)
	m.finish()
	return re
}

func (c *stepCtx) statementExpect(n *yaml.Node, path, defChannel string, top bool) *StatementExpect {
	m := c.d.mapping(n, path)
	if m == nil {
		return nil
	}
	se := &StatementExpect{Pos: c.d.pos(m.n)}
	if top {
		se.Channel = m.str("channel")
		if se.Channel == "" {
			se.Channel = defChannel
		}
		if se.Channel == "" {
			c.d.errorf(m.n, m.field("channel"), "required (no scenario-level `channel:`)")
		}
		se.Merchant = m.str("merchant")
		if se.Merchant != "" {
			if _, ok := c.aliases[se.Merchant]; !ok {
				c.d.errorf(m.get("merchant"), m.field("merchant"), "no merchant with `as: %s` under merchants", se.Merchant)
			}
		}
		se.Day = m.date("day")
		if !m.has("day") {
			c.d.errorf(m.n, m.field("day"), "required at scenario level (e.g. 2026-11-20)")
		}
	}
	se.Count = m.intPtr("count", 0)
	if tn := m.get("totals"); tn != nil {
		if top {
			c.d.errorf(tn, m.field("totals"), "totals are checked on a download_statement step")
		} else if tm := c.d.mapping(tn, m.field("totals")); tm != nil {
			se.Totals = &TotalsExpect{Pos: c.d.pos(tm.n), Count: tm.intPtr("count", 0), PaymentCount: tm.intPtr("payment_count", 0),
				RefundCount: tm.intPtr("refund_count", 0), PayoutCount: tm.intPtr("payout_count", 0), ReturnCount: tm.intPtr("return_count", 0),
				PaymentAmount: tm.amount("payment_amount"), RefundAmount: tm.amount("refund_amount"), PayoutAmount: tm.amount("payout_amount"),
				ReturnAmount: tm.amount("return_amount"), Fee: tm.amount("fee")}
			tm.finish()
		}
	}
	for _, key := range []string{"contains", "lacks"} {
		ln := m.get(key)
		if ln == nil {
			continue
		}
		for i, it := range c.d.oneOrMany(ln, m.field(key)) {
			if l := c.statementLine(it, fmt.Sprintf("%s[%d]", m.field(key), i)); l != nil {
				if key == "contains" {
					se.Contains = append(se.Contains, *l)
				} else {
					se.Lacks = append(se.Lacks, *l)
				}
			}
		}
	}
	m.finish()
	return se
}

func (c *stepCtx) statementLine(n *yaml.Node, path string) *StatementLine {
	m := c.d.mapping(n, path)
	if m == nil {
		return nil
	}
	l := &StatementLine{Pos: c.d.pos(m.n), Order: m.str("order"), Refund: m.str("refund"), Payout: m.str("payout")}
	if t := m.str("type"); t != "" {
		switch channel.RecordType(t) {
		case channel.RecordPayment, channel.RecordRefund, channel.RecordReversal, channel.RecordPayout, channel.RecordPayoutReturn, channel.RecordOther,
			channel.RecordPreAuth, channel.RecordCapture, channel.RecordDispute:
			l.Type = channel.RecordType(t)
		default:
			c.d.errorf(m.get("type"), m.field("type"), "unknown record type %q; known: payment, refund, reversal, payout, payout_return, preauth, capture, dispute, other", t)
		}
	}
	l.Amount = m.amount("amount")
	if v := m.str("status"); v != "" {
		s, err := parseStatus(v)
		if err != nil {
			c.d.errorf(m.get("status"), m.field("status"), "%v", err)
		}
		l.Status = &s
	}
	l.Day = m.date("day")
	if l.Order == "" && l.Refund == "" && l.Payout == "" {
		c.d.errorf(m.n, path, "name the record: order, refund or payout")
	}
	m.finish()
	return l
}
