package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

// ParseOptions tunes Parse.
type ParseOptions struct {
	// Channels are the channel names a scenario may use; empty = any lower-case name.
	Channels []string
	// ReadFile reads the files named by `include:` steps (paths joined to the including
	// file's folder); nil refuses includes. LoadPaths sets it.
	ReadFile func(name string) ([]byte, error)
}

var channelName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Parse decodes one scenario file. file names it in error messages. Every problem is
// reported with file:line:col and the field's path, as a *ParseError wrapping
// ErrBadScenario: unknown keys, missing required fields, bad amounts, durations, times,
// statuses and error kinds, steps with zero or two actions. A file with a `matrix:` of
// more than one combination is refused here: read it with ParseAll.
func Parse(file string, data []byte, opts ParseOptions) (*Scenario, error) {
	list, err := ParseAll(file, data, opts)
	if err != nil {
		return nil, err
	}
	if len(list) != 1 {
		return nil, &ParseError{File: file, Errs: []*FieldError{{Pos: list[0].Pos, Field: "matrix", Msg: fmt.Sprintf("this file defines %d scenarios; read it with ParseAll or LoadPaths", len(list))}}}
	}
	return list[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(file string, err error) *FieldError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{Pos: Pos{File: file, Line: line}, Msg: "YAML syntax: " + m[2]}
	}
	return &FieldError{Pos: Pos{File: file}, Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (d *decoder) scenario(doc *yaml.Node, opts ParseOptions) *Scenario {
	m := d.mapping(doc, "")
	if m == nil {
		return nil
	}
	s := &Scenario{Pos: d.pos(m.n), Seed: 1}
	s.Name = m.required("name")
	s.Description = m.str("description")
	s.Target = d.target(m)
	if n := m.get("tags"); n != nil {
		items, _ := d.seq(n, "tags")
		for i, it := range items {
			if t, ok := d.scalar(it, fmt.Sprintf("tags[%d]", i)); ok {
				s.Tags = append(s.Tags, t)
			}
		}
	}
	s.Start, _ = parseTime(DefaultStart)
	if t, ok := m.timeVal("start"); ok {
		s.Start = t
	}
	if n := m.get("seed"); n != nil {
		if v, ok := d.scalar(n, "seed"); ok {
			seed, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				d.errorf(n, "seed", "want a non-negative whole number, got %q", v)
			}
			s.Seed = seed
		}
	}
	known := func(n *yaml.Node, path, c string) bool {
		if c == "" {
			return false
		}
		if !channelName.MatchString(c) {
			d.errorf(n, path, "bad channel name %q", c)
			return false
		}
		if len(opts.Channels) == 0 {
			return true
		}
		for _, k := range opts.Channels {
			if k == c {
				return true
			}
		}
		d.errorf(n, path, "unknown channel %q; known: %s", c, strings.Join(opts.Channels, ", "))
		return false
	}
	if n := m.get("channel"); n != nil {
		s.Channel = m.str("channel")
		known(n, "channel", s.Channel)
	}
	aliases := map[string]string{} // merchant alias -> channel
	if n := m.get("merchants"); n != nil {
		items, _ := d.seq(n, "merchants")
		for i, it := range items {
			path := fmt.Sprintf("merchants[%d]", i)
			mm := d.mapping(it, path)
			if mm == nil {
				continue
			}
			mc := Merchant{Pos: d.pos(mm.n), Channel: mm.required("channel"), As: mm.str("as")}
			known(mm.get("channel"), mm.field("channel"), mc.Channel)
			if mc.As != "" {
				if _, dup := aliases[mc.As]; dup {
					d.errorf(mm.get("as"), mm.field("as"), "merchant alias %q used twice", mc.As)
				}
				aliases[mc.As] = mc.Channel
			}
			cfg, ad := mm.get("config"), mm.get("adapter")
			if cfg == nil && ad == nil {
				d.errorf(mm.n, mm.field("config"), "required: the channel's merchant document (e.g. mch_id, appids, key for wechat), or `adapter:` options for the demo merchant")
			}
			if cfg != nil {
				if raw, err := d.toJSON(cfg, mm.field("config")); err == nil {
					mc.Config = raw
				}
			}
			if ad != nil {
				if raw, err := d.toJSON(ad, mm.field("adapter")); err == nil {
					mc.Adapter = raw
				}
			}
			mm.finish()
			s.Merchants = append(s.Merchants, mc)
		}
	}
	if s.Channel == "" {
		if chs := s.Channels(); len(chs) == 1 {
			s.Channel = chs[0]
		}
	}
	st := &stepCtx{d: d, s: s, aliases: aliases, known: known}
	if n := m.get("steps"); n == nil {
		d.errorf(m.n, "steps", "required: a list of steps")
	} else {
		items, ok := d.seq(n, "steps")
		if len(items) == 0 && ok {
			d.errorf(n, "steps", "at least one step")
		}
		for i, it := range items {
			if step := st.step(it, i); step != nil {
				s.Steps = append(s.Steps, *step)
			}
		}
	}
	if n := m.get("expect"); n != nil {
		s.Expect = st.expect(n, "expect", "", true)
	}
	m.finish()
	return s
}

// toJSON converts a YAML subtree (mappings with string keys, lists, scalars) into JSON,
// keeping numbers and booleans as YAML typed them.
func (d *decoder) toJSON(n *yaml.Node, path string) (json.RawMessage, error) {
	if n.Kind != yaml.MappingNode && n.Kind != yaml.AliasNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return nil, errors.New("not a mapping")
	}
	v, ok := d.plain(n, path, 0)
	if !ok {
		return nil, errors.New("bad value")
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.errorf(n, path, "cannot convert to JSON: %v", err)
		return nil, err
	}
	return b, nil
}

func (d *decoder) plain(n *yaml.Node, path string, depth int) (any, bool) {
	n = d.deref(n, path)
	if n == nil {
		return nil, false
	}
	if depth > 20 {
		d.errorf(n, path, "nested too deeply")
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := d.mapping(n, path)
		if m == nil {
			return nil, false
		}
		out := map[string]any{}
		ok := true
		for _, k := range m.keys {
			v, vok := d.plain(m.get(k.Value), join(path, k.Value), depth+1)
			ok = ok && vok
			out[k.Value] = v
		}
		return out, ok
	case yaml.SequenceNode:
		out := []any{}
		ok := true
		for i, it := range n.Content {
			v, vok := d.plain(it, fmt.Sprintf("%s[%d]", path, i), depth+1)
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool":
			return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
		case "!!int":
			if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return v, true
			}
			return n.Value, true
		case "!!float":
			// Kept as the literal text: a merchant document never needs a float.
			return json.Number(n.Value), json.Valid([]byte(n.Value))
		}
		return n.Value, true
	}
	d.errorf(n, path, "unsupported YAML node")
	return nil, false
}

// stepCtx carries what step decoding needs across steps.
type stepCtx struct {
	d       *decoder
	s       *Scenario
	aliases map[string]string
	known   func(n *yaml.Node, path, c string) bool
}

func (c *stepCtx) step(n *yaml.Node, i int) *Step {
	d := c.d
	path := fmt.Sprintf("steps[%d]", i)
	m := d.mapping(n, path)
	if m == nil {
		return nil
	}
	var action Action
	var argNode *yaml.Node
	for _, a := range Actions() {
		if m.has(string(a)) {
			if action != "" {
				d.errorf(m.n, path, "a step has exactly one action; found %q and %q", action, a)
				continue
			}
			action, argNode = a, m.get(string(a))
		}
	}
	st := &Step{Pos: d.pos(m.n), Index: i + 1, Action: action}
	if action == "" {
		names := make([]string, 0, len(Actions()))
		for _, a := range Actions() {
			names = append(names, string(a))
		}
		d.errorf(m.n, path, "a step needs one action: %s", strings.Join(names, ", "))
		for _, a := range Actions() {
			m.get(string(a))
		}
		m.get("expect")
		m.finish()
		return nil
	}
	apath := join(path, string(action))
	switch action {
	case ActAdvance:
		st.Duration = d.durationNode(argNode, apath)
	case ActSetTime:
		st.Time, _ = d.timeNode(argNode, apath)
	case ActHTTP, ActWaitAcks, ActMisbehave:
		c.targetArgs(st, argNode, apath)
	case ActRecon, ActReconResolve, ActSettle, ActFundsArrived, ActLedgerVerify, ActTamperDB, ActPayment, ActAudit:
		c.coreArgs(st, argNode, apath)
	case ActClearFaults:
		if a := d.deref(argNode, apath); a != nil && !isNull(a) && (a.Kind != yaml.MappingNode || len(a.Content) != 0) {
			if a.Kind != yaml.ScalarNode || a.Value != "true" {
				d.errorf(a, apath, "write `clear_faults: true`")
			}
		}
	default:
		am := d.mapping(argNode, apath)
		if am == nil {
			break
		}
		c.args(st, am, apath)
		am.finish()
	}
	for _, a := range Actions() {
		m.get(string(a))
	}
	if en := m.get("expect"); en != nil {
		st.Expect = c.expect(en, join(path, "expect"), st.Channel, false)
		c.checkExpect(st, en, join(path, "expect"))
		c.checkReported(st, en, join(path, "expect"))
	}
	m.finish()
	return st
}

// channelArgs decodes channel and merchant, with defaults.
func (c *stepCtx) channelArgs(st *Step, m *mapNode, path string) {
	st.Channel = m.str("channel")
	if st.Channel != "" {
		c.known(m.get("channel"), m.field("channel"), st.Channel)
	}
	st.Merchant = m.str("merchant")
	if st.Merchant != "" {
		ch, ok := c.aliases[st.Merchant]
		switch {
		case !ok:
			c.d.errorf(m.get("merchant"), m.field("merchant"), "no merchant with `as: %s` under merchants", st.Merchant)
		case st.Channel == "":
			st.Channel = ch
		case st.Channel != ch:
			c.d.errorf(m.get("merchant"), m.field("merchant"), "merchant %q is a %s merchant, not %s", st.Merchant, ch, st.Channel)
		}
	}
	if st.Channel == "" {
		st.Channel = c.s.Channel
	}
	if st.Channel == "" {
		c.d.errorf(m.n, m.field("channel"), "required (no scenario-level `channel:` to default to)")
	}
}

// positiveAmount reads a required amount that must be greater than zero.
func (c *stepCtx) positiveAmount(m *mapNode, key string) money.Amount {
	a := m.amount(key)
	switch {
	case a == nil && !m.has(key):
		c.d.errorf(m.n, m.field(key), "required")
	case a == nil:
		// m.amount reported the bad value.
	case !a.IsPositive():
		c.d.errorf(m.get(key), m.field(key), "must be positive")
	default:
		return *a
	}
	return money.Amount{}
}

func (c *stepCtx) args(st *Step, m *mapNode, path string) {
	d := c.d
	c.channelArgs(st, m, path)
	switch st.Action {
	case ActPay:
		st.Order = m.required("order")
		st.Amount = c.positiveAmount(m, "amount")
		st.Method = channel.MethodQR
		if v := m.str("method"); v != "" {
			st.Method = channel.Method(v)
			if !st.Method.Valid() {
				names := []string{}
				for _, x := range channel.Methods() {
					names = append(names, string(x))
				}
				d.errorf(m.get("method"), m.field("method"), "unknown method %q; known: %s", v, strings.Join(names, ", "))
			}
		}
		st.Subject = m.str("subject")
		if st.Subject == "" {
			st.Subject = "scenario " + st.Order
		}
		st.AuthCode = m.str("auth_code")
		if st.Method == channel.MethodBarcode && st.AuthCode == "" {
			st.AuthCode = "134567890123456789"
		}
		st.PayerID = m.str("payer_id")
		st.Attach = m.str("attach")
		st.Bind = m.str("bind")
		if st.Bind != "" && !m.has("method") {
			st.Method = channel.MethodToken
		}
		st.NoNotify = m.boolVal("no_notify")
		st.ExpiresIn = m.duration("expires_in")
		st.SMSCode = m.str("sms_code")
		if st.Method == channel.MethodToken && st.Bind == "" {
			d.errorf(m.n, m.field("bind"), "required for method token: the bind step whose token pays")
		}
	case ActQuery, ActClose, ActCancel, ActPayerCancel:
		st.Order = m.required("order")
	case ActPayerPay:
		st.Order = m.required("order")
		st.Card = m.str("card")
	case ActRefund:
		st.Order = m.required("order")
		st.Refund = m.required("refund")
		st.Amount = c.positiveAmount(m, "amount")
		if a := m.amount("order_amount"); a != nil {
			st.OrderAmount = *a
		}
		st.Reason = m.str("reason")
		st.NoNotify = m.boolVal("no_notify")
	case ActQueryRefund:
		st.Order = m.str("order")
		st.Refund = m.required("refund")
	case ActWaitCallbacks:
		st.Order = m.str("order")
		st.Count = m.intVal("count", 1, 1)
		st.NotifyOf = c.notifyType(m)
		st.Duration = m.duration("within")
		if st.Duration == 0 {
			st.Duration = DefaultWithin
		}
	case ActDownloadStatement:
		st.Day = m.date("day")
		if !m.has("day") {
			d.errorf(m.n, m.field("day"), "required (e.g. 2026-11-20)")
		}
		if t := m.str("type"); t != "" {
			switch channel.StatementType(t) {
			case channel.StatementAll, channel.StatementPayments, channel.StatementRefunds:
				st.StatementType = channel.StatementType(t)
			default:
				d.errorf(m.get("type"), m.field("type"), "unknown statement type %q; known: all, payments, refunds", t)
			}
		}
	case ActFault:
		st.Fault = c.fault(st, m)
	case ActBind:
		st.Bind = m.required("bind")
		st.User = m.required("user")
		st.BankCard = c.card(m, true)
	case ActResendSMS:
		st.Bind = m.required("bind")
		st.SMSNo = m.str("sms")
	case ActConfirmBind:
		st.Bind = m.required("bind")
		st.SMSCode = m.str("code")
	case ActUnbind, ActQueryBinding:
		st.Bind = m.required("bind")
	case ActPayout:
		st.Payout = m.required("payout")
		st.Amount = c.positiveAmount(m, "amount")
		st.BankCard = c.card(m, false)
		st.Purpose = m.str("purpose")
		if st.Purpose == "" {
			st.Purpose = "scenario " + st.Payout
		}
		st.NoNotify = m.boolVal("no_notify")
	case ActQueryPayout, ActReturnPayout:
		st.Payout = m.required("payout")
	case ActBalance:
	default:
		c.cardArgs(st, m)
	}
}

// card decodes a step's `card:` mapping: number and holder always, id and mobile for a
// binding (full elements: cvn2 and expiry too for a credit card).
func (c *stepCtx) card(m *mapNode, binding bool) *channel.Card {
	n := m.get("card")
	if n == nil {
		c.d.errorf(m.n, m.field("card"), "required: {number, holder%s}", map[bool]string{true: ", id, mobile (cvn2, expiry for a credit card)", false: ""}[binding])
		return nil
	}
	cm := c.d.mapping(n, m.field("card"))
	if cm == nil {
		return nil
	}
	k := &channel.Card{Number: cm.required("number"), HolderName: cm.required("holder"), IDType: "01"}
	if binding {
		k.IDNumber = cm.required("id")
		k.Mobile = cm.required("mobile")
		k.CVN2 = cm.str("cvn2")
		k.Expiry = cm.str("expiry")
	}
	cm.finish()
	return k
}

func (c *stepCtx) notifyType(m *mapNode) channel.NotificationType {
	t := m.str("type")
	switch channel.NotificationType(t) {
	case "", channel.NotifyPayment, channel.NotifyRefund, channel.NotifyCancel, channel.NotifyBinding, channel.NotifyPayout, channel.NotifyAuth:
		return channel.NotificationType(t)
	}
	c.d.errorf(m.get("type"), m.field("type"), "unknown notification type %q; known: payment, refund, cancel, binding, payout, auth", t)
	return ""
}

// checkExpect rejects result checks on steps that have no result.
func (c *stepCtx) checkExpect(st *Step, n *yaml.Node, path string) {
	e := st.Expect
	if e == nil {
		return
	}
	hasResult := false
	switch st.Action {
	case ActPay, ActQuery, ActClose, ActCancel, ActRefund, ActQueryRefund, ActPayerPay, ActPayerCancel, ActDownloadStatement, ActWaitCallbacks,
		ActBind, ActResendSMS, ActConfirmBind, ActUnbind, ActQueryBinding, ActPayout, ActQueryPayout, ActReturnPayout, ActBalance:
		hasResult = true
	case ActPaySMS, ActPreAuth, ActPreAuthUndo, ActCapture, ActCaptureUndo, ActQueryAuth:
		hasResult = true
	}
	if e.HTTP != nil && st.Action != ActHTTP {
		c.d.errorf(n, join(path, "http"), "only an http step has an HTTP answer to check")
	}
	if isCoreAction(st.Action) {
		if len(e.Status) > 0 || len(e.Error) > 0 || e.Code != "" || e.Retryable != nil || e.Amount != nil || e.RefundedAmount != nil || e.Final != nil || e.Frozen != nil {
			c.d.errorf(n, path, "a %s step is checked with `result:` (its JSON result) or `error: any` (it must fail)", st.Action)
		}
		if e.AnyError && e.Result != nil {
			c.d.errorf(n, join(path, "result"), "a step that must fail (`error: any`) has no result to check")
		}
		if e.Result != nil {
			for _, jc := range e.Result.JSON {
				c.checkResultField(st.Action, jc.Path, n, join(path, "result."+jc.Path))
			}
		}
		if len(e.Statements) > 0 {
			c.d.errorf(n, join(path, "statement"), "only a download_statement step (or the scenario-level expect) checks a statement")
		}
		return
	}
	if e.Result != nil {
		c.d.errorf(n, join(path, "result"), "only a core step (%s) has a result to check", coreNames())
	}
	if !hasResult && (len(e.Status) > 0 || len(e.Error) > 0 || e.AnyError || e.Code != "" || e.Retryable != nil || e.Amount != nil || e.RefundedAmount != nil || e.Final != nil || e.Frozen != nil) {
		c.d.errorf(n, path, "a %s step has no result to check; use callbacks, records or statement here", st.Action)
	}
	if e.Final != nil && st.Action != ActPayout && st.Action != ActQueryPayout {
		c.d.errorf(n, join(path, "final"), "only payout and query_payout steps have a payout result to check")
	}
	if e.Frozen != nil && st.Action != ActBalance {
		c.d.errorf(n, join(path, "frozen"), "only a balance step has a frozen amount")
	}
	if len(e.Statements) > 0 && st.Action != ActDownloadStatement {
		c.d.errorf(n, join(path, "statement"), "only a download_statement step (or the scenario-level expect) checks a statement")
	}
}
