package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Steps run against the in-process gateway's store and ledger: the back-office work that
// has no HTTP route (reconciliation, settlement, funds arriving, verifying the ledger,
// editing the database behind the core's back). The scenarios package imports no part of
// the payment core, so GatewayTarget.Core runs them; the runner only decodes their
// arguments, hands them over, and checks the JSON result they give back.
const (
	ActRecon        Action = "recon"
	ActReconResolve Action = "recon_resolve"
	ActSettle       Action = "settle"
	ActFundsArrived Action = "funds_arrived"
	ActLedgerVerify Action = "ledger_verify"
	ActTamperDB     Action = "tamper_db"
	ActPayment      Action = "payment"
	ActAudit        Action = "audit"
)

// CoreActions lists the core steps in documentation order.
func CoreActions() []Action {
	return []Action{ActRecon, ActReconResolve, ActSettle, ActFundsArrived, ActLedgerVerify, ActTamperDB, ActPayment, ActAudit}
}

// CoreStep is a core step's arguments (already validated and normalised: days as
// 2026-11-20, amounts as yuan, a space and the currency: "12.50 CNY") and the
// variables it captures from its result.
type CoreStep struct {
	Args    map[string]string
	Capture map[string]string
}

// CoreCall is what GatewayTarget.Core runs: a core action with its arguments, ${variables}
// already replaced.
type CoreCall struct {
	Action Action
	Args   map[string]string
}

// coreArg kinds.
const (
	argText   = "text"
	argDay    = "day"
	argAmount = "amount"
)

type coreArg struct {
	name     string
	kind     string
	required bool
	oneOf    []string
}

type coreSpec struct {
	args []coreArg
	// results are the top-level fields of the step's JSON result: a `result:` check on any
	// other field is a typo, refused when the file is read.
	results []string
}

// coreSpecs describes each core step. Keep docs/SCENARIOS.md's table in step.
var coreSpecs = map[Action]coreSpec{
	ActRecon: {
		args:    []coreArg{{name: "account", required: true}, {name: "day", kind: argDay, required: true}},
		results: []string{"ok", "agrees", "counts", "open", "waiting", "carried", "carried_matched", "channel_records", "local_records", "channel_net", "local_net", "balance", "items", "classes", "totals_mismatch"},
	},
	ActReconResolve: {
		args: []coreArg{{name: "item", required: true}, {name: "action", required: true, oneOf: []string{"confirm", "exception", "adjust"}},
			{name: "reason"}, {name: "actor"}},
		results: []string{"id", "status", "class", "kind", "no", "note"},
	},
	ActSettle: {
		args:    []coreArg{{name: "day", kind: argDay, required: true}},
		results: []string{"created", "existing", "posted", "items", "batches", "error"},
	},
	ActFundsArrived: {
		args:    []coreArg{{name: "channel", required: true}, {name: "day", kind: argDay, required: true}, {name: "amount", kind: argAmount, required: true}, {name: "ref"}},
		results: []string{"due", "difference", "entry_seq"},
	},
	ActLedgerVerify: {
		args:    []coreArg{{name: "day", kind: argDay}, {name: "account"}},
		results: []string{"ok", "failed", "checks", "overdue"},
	},
	ActPayment: {
		args:    []coreArg{{name: "id", required: true}},
		results: []string{"id", "merchant", "order_no", "channel", "channel_order_no", "state", "amount", "refunded_amount"},
	},
	ActAudit: {
		args:    []coreArg{{name: "account"}, {name: "actor"}, {name: "action"}},
		results: []string{"count", "results", "verified", "records"},
	},
	ActTamperDB: {
		args:    []coreArg{{name: "sql", required: true}},
		results: []string{"rows"},
	},
}

func isCoreAction(a Action) bool {
	_, ok := coreSpecs[a]
	return ok
}

// coreArgs decodes a core step's mapping.
func (c *stepCtx) coreArgs(st *Step, n *yaml.Node, path string) {
	d := c.d
	spec := coreSpecs[st.Action]
	cs := &CoreStep{Args: map[string]string{}}
	st.Core = cs
	if n == nil {
		n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	} else if isNull(n) { // `ledger_verify:` with nothing after it: no arguments
		n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	}
	m := d.mapping(n, path)
	if m == nil {
		return
	}
	defer m.finish()
	for _, a := range spec.args {
		if a.required && m.get(a.name) == nil {
			d.errorf(m.n, m.field(a.name), "required")
			continue
		}
		switch a.kind {
		case argDay:
			if day := m.date(a.name); day.Valid() {
				cs.Args[a.name] = day.String()
			}
		case argAmount:
			if v := m.amount(a.name); v != nil {
				if !v.IsPositive() {
					d.errorf(m.get(a.name), m.field(a.name), "want a positive amount, got %s", v)
				}
				cs.Args[a.name] = v.Decimal() + " " + string(v.Currency())
			}
		default:
			v := m.str(a.name)
			if v == "" {
				continue
			}
			if len(a.oneOf) > 0 && !contains(a.oneOf, v) {
				d.errorf(m.get(a.name), m.field(a.name), "unknown %s %q; known: %s", a.name, v, strings.Join(a.oneOf, ", "))
			}
			cs.Args[a.name] = v
		}
	}
	cs.Capture = c.stringMap(m, "capture")
	for k, p := range cs.Capture {
		if !varName.MatchString(k) {
			d.errorf(m.get("capture"), m.field("capture"), "variable name %q: want letters, digits and _", k)
		}
		c.checkResultField(st.Action, p, m.get("capture"), m.field("capture"))
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// checkResultField refuses a JSON path into a core step's result whose first field the
// step never reports.
func (c *stepCtx) checkResultField(a Action, path string, n *yaml.Node, field string) {
	parts, err := splitJSONPath(path)
	if err != nil || len(parts) == 0 {
		return // jsonCheck reports a bad path
	}
	first := fmt.Sprint(parts[0])
	spec := coreSpecs[a]
	if !contains(spec.results, first) {
		c.d.errorf(n, field, "a %s step's result has no field %q; known: %s", a, first, strings.Join(spec.results, ", "))
	}
}

// resultExpect decodes an expect block's `result:` (core steps only; checked in
// checkExpect).
func (c *stepCtx) resultExpect(e *Expect, m *mapNode) {
	rn := m.get("result")
	if rn == nil {
		return
	}
	d := c.d
	rm := d.mapping(rn, m.field("result"))
	if rm == nil {
		return
	}
	e.Result = &HTTPExpect{Pos: d.pos(rm.n)}
	for _, k := range rm.keys {
		e.Result.JSON = append(e.Result.JSON, c.jsonCheck(k.Value, rm.get(k.Value), rm.field(k.Value)))
	}
	rm.finish()
}

// execCore runs a core step through the in-process gateway.
func (r *run) execCore(ctx context.Context, st *Step) (outcome, error) {
	t := r.tgt
	if t == nil || t.kind != TargetGateway || t.core == nil {
		return outcome{}, fmt.Errorf("%s: runs against the in-process gateway only (`target: gateway`, no --gateway-url)", st.Action)
	}
	call := CoreCall{Action: st.Action, Args: map[string]string{}}
	keys := make([]string, 0, len(st.Core.Args))
	for k, v := range st.Core.Args {
		ev, err := r.expand(v)
		if err != nil {
			return outcome{}, err
		}
		call.Args[k] = ev
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.logf("  %s=%s", k, clip(call.Args[k], 200))
	}
	raw, err := t.core(ctx, call)
	if err != nil {
		if st.Expect != nil && st.Expect.AnyError {
			return outcome{err: err, summary: "refused: " + err.Error()}, nil
		}
		return outcome{}, fmt.Errorf("%s: %w", st.Action, err)
	}
	r.logf("  => %s", clip(string(raw), 600))
	doc, err := decodeJSON(raw)
	if err != nil {
		return outcome{}, fmt.Errorf("%s: result is not JSON: %w", st.Action, err)
	}
	for name, jp := range st.Core.Capture {
		v, ok := lookupJSON(doc, jp)
		if !ok {
			return outcome{}, fmt.Errorf("%s: capture %s: the result has no %s", st.Action, name, jp)
		}
		r.vars()[name] = jsonText(v)
		r.logf("  ${%s} = %s", name, jsonText(v))
	}
	if st.Expect != nil && st.Expect.Result != nil {
		if err := checkCoreResult(st.Expect.Result, raw, doc); err != nil {
			r.fail(st.Expect.Result.Pos, st.Index, err.Error())
			return outcome{}, errStop
		}
	}
	return outcome{}, nil
}

func checkCoreResult(e *HTTPExpect, raw []byte, doc any) error {
	err := checkHTTP(e, 200, raw, doc, true)
	if err == nil {
		return nil
	}
	// checkHTTP speaks of "the answer"; a core step has a result.
	return errors.New(strings.ReplaceAll(err.Error(), "the answer", "the result"))
}

func coreNames() string {
	names := make([]string, 0, len(coreSpecs))
	for _, a := range CoreActions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}
