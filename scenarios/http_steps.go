package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/simulator"
)

// HTTPStep is an http step: one request to the system under test.
type HTTPStep struct {
	Method string
	// Path is appended to the target's base URL ("/orders/${order_id}").
	Path    string
	Headers map[string]string
	// JSON is a JSON body (a mapping, templated in its string values); Form a form body.
	JSON json.RawMessage
	Form map[string]string
	// Timeout bounds the request in wall time (0 = 30 s).
	Timeout time.Duration
	// Capture names variables set from the JSON answer: variable -> JSON path.
	Capture map[string]string
}

// HTTPExpect checks an http step's response.
type HTTPExpect struct {
	Pos    Pos
	Status []int
	// JSON maps JSON paths of the answer to checks.
	JSON []JSONCheck
	// BodyContains must occur in the raw body; BodyRegex must match it.
	BodyContains string
	BodyRegex    *regexp.Regexp
}

// JSONCheck is one check of a JSON path: equal to Equals (compared as text), matching
// Regex, or present/absent.
type JSONCheck struct {
	Path   string
	Equals *string
	Regex  *regexp.Regexp
	Exists *bool
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

var templateRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// targetArgs decodes the steps that talk to the system under test or the merchant side.
func (c *stepCtx) targetArgs(st *Step, n *yaml.Node, path string) {
	d := c.d
	m := d.mapping(n, path)
	if m == nil {
		return
	}
	defer m.finish()
	switch st.Action {
	case ActHTTP:
		h := &HTTPStep{Method: strings.ToUpper(m.str("method")), Path: m.required("path")}
		if h.Method == "" {
			h.Method = http.MethodGet
		}
		switch h.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
		default:
			d.errorf(m.get("method"), m.field("method"), "unknown HTTP method %q; known: GET, POST, PUT, PATCH, DELETE, HEAD", h.Method)
		}
		if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
			d.errorf(m.get("path"), m.field("path"), "want a path starting with / (the target's base URL is given to the runner)")
		}
		h.Headers = c.stringMap(m, "headers")
		h.Form = c.stringMap(m, "form")
		if jn := m.get("json"); jn != nil {
			v, ok := d.plain(jn, m.field("json"), 0)
			if ok {
				if b, err := json.Marshal(v); err == nil {
					h.JSON = b
				}
			}
		}
		if h.JSON != nil && h.Form != nil {
			d.errorf(m.n, m.field("json"), "give json or form, not both")
		}
		h.Timeout = m.duration("timeout")
		h.Capture = c.stringMap(m, "capture")
		for k := range h.Capture {
			if !varName.MatchString(k) {
				d.errorf(m.get("capture"), m.field("capture"), "variable name %q: want letters, digits and _", k)
			}
		}
		st.HTTP = h
	case ActWaitAcks:
		st.Channel = m.str("channel")
		if st.Channel != "" {
			c.known(m.get("channel"), m.field("channel"), st.Channel)
		} else {
			st.Channel = c.s.Channel
		}
		st.Order = m.str("order")
		st.Count = m.intVal("count", 1, 1)
		st.NotifyOf = c.notifyType(m)
		st.Duration = m.duration("within")
		if st.Duration == 0 {
			st.Duration = DefaultWithin
		}
	case ActMisbehave:
		p := &Misbehaviour{At: m.str("at"), Respond: m.required("respond"), Body: m.str("body")}
		if p.At == "" {
			p.At = "notify"
		}
		if p.At != "notify" && p.At != "webhooks" {
			d.errorf(m.get("at"), m.field("at"), "want notify (the channels' callbacks) or webhooks (the gateway's webhooks), got %q", p.At)
		}
		known := false
		for _, k := range respondKinds {
			known = known || k == p.Respond
		}
		if p.Respond != "" && !known {
			d.errorf(m.get("respond"), m.field("respond"), "unknown answer %q; known: %s", p.Respond, strings.Join(respondKinds, ", "))
		}
		p.Status = m.intVal("status", 0, 0)
		if p.Status != 0 && (p.Status < 400 || p.Status > 599) {
			d.errorf(m.get("status"), m.field("status"), "want a status within 400..599")
		}
		if p.Status != 0 && p.Respond != RespondStatus {
			d.errorf(m.get("status"), m.field("status"), "only with respond: status")
		}
		p.First = m.intVal("first", 0, 0)
		st.Misbehave = p
	}
}

// stringMap decodes an optional mapping of scalars.
func (c *stepCtx) stringMap(m *mapNode, key string) map[string]string {
	n := m.get(key)
	if n == nil {
		return nil
	}
	mm := c.d.mapping(n, m.field(key))
	if mm == nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range mm.keys {
		if v, ok := c.d.scalar(mm.get(k.Value), mm.field(k.Value)); ok {
			out[k.Value] = v
		}
	}
	mm.finish()
	return out
}

// httpExpect decodes an expect block's `http:` and `webhooks:` (both optional).
func (c *stepCtx) targetExpect(e *Expect, m *mapNode) {
	d := c.d
	if hn := m.get("http"); hn != nil {
		hm := d.mapping(hn, m.field("http"))
		if hm != nil {
			he := &HTTPExpect{Pos: d.pos(hm.n), BodyContains: hm.str("body_contains")}
			if sn := hm.get("status"); sn != nil {
				for i, it := range d.oneOrMany(sn, hm.field("status")) {
					if v, ok := d.scalar(it, fmt.Sprintf("%s[%d]", hm.field("status"), i)); ok {
						code, err := strconv.Atoi(v)
						if err != nil || code < 100 || code > 599 {
							d.errorf(it, hm.field("status"), "want an HTTP status (100..599), got %q", v)
							continue
						}
						he.Status = append(he.Status, code)
					}
				}
			}
			if v := hm.str("body_regex"); v != "" {
				re, err := regexp.Compile(v)
				if err != nil {
					d.errorf(hm.get("body_regex"), hm.field("body_regex"), "bad regular expression: %v", err)
				}
				he.BodyRegex = re
			}
			if jn := hm.get("json"); jn != nil {
				jm := d.mapping(jn, hm.field("json"))
				if jm != nil {
					for _, k := range jm.keys {
						he.JSON = append(he.JSON, c.jsonCheck(k.Value, jm.get(k.Value), jm.field(k.Value)))
					}
					jm.finish()
				}
			}
			hm.finish()
			e.HTTP = he
		}
	}
	if wn := m.get("webhooks"); wn != nil {
		for i, it := range d.oneOrMany(wn, m.field("webhooks")) {
			path := fmt.Sprintf("%s[%d]", m.field("webhooks"), i)
			wm := d.mapping(it, path)
			if wm == nil {
				continue
			}
			we := WebhookExpect{Pos: d.pos(wm.n), Type: wm.str("type"), Order: wm.str("order"), Answered: wm.intVal("answered", 0, 0),
				Count: wm.intPtr("count", 0), Min: wm.intPtr("min", 0), Max: wm.intPtr("max", 0), Events: wm.boolVal("events")}
			if we.Count == nil && we.Min == nil && we.Max == nil {
				one := 1
				we.Min = &one
			}
			wm.finish()
			e.Webhooks = append(e.Webhooks, we)
		}
	}
}

func (c *stepCtx) jsonCheck(path string, n *yaml.Node, field string) JSONCheck {
	d := c.d
	jc := JSONCheck{Path: path}
	if _, err := splitJSONPath(path); err != nil {
		d.errorf(n, field, "%v", err)
	}
	n = d.deref(n, field)
	if n == nil {
		return jc
	}
	if n.Kind == yaml.MappingNode {
		m := d.mapping(n, field)
		if v := m.str("regex"); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				d.errorf(m.get("regex"), m.field("regex"), "bad regular expression: %v", err)
			}
			jc.Regex = re
		}
		if m.has("equals") {
			v := m.str("equals")
			jc.Equals = &v
		}
		jc.Exists = m.boolPtr("exists")
		if jc.Regex == nil && jc.Equals == nil && jc.Exists == nil {
			d.errorf(n, field, "say what to check: equals, regex or exists")
		}
		m.finish()
		return jc
	}
	if isNull(n) {
		f := false
		jc.Exists = &f
		return jc
	}
	if v, ok := d.scalar(n, field); ok {
		jc.Equals = &v
	}
	return jc
}

// expand replaces ${name} with the scenario's variables.
func (r *run) expand(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var missing []string
	out := templateRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		if v, ok := r.vars()[name]; ok {
			return v
		}
		missing = append(missing, name)
		return ref
	})
	if len(missing) > 0 {
		known := make([]string, 0, len(r.vars()))
		for k := range r.vars() {
			known = append(known, k)
		}
		sort.Strings(known)
		return "", fmt.Errorf("variable ${%s} is not set (capture it in an earlier http step; set so far: %s)", missing[0], orNone(known))
	}
	return out, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (r *run) vars() map[string]string {
	if r.tgt == nil {
		r.tgt = &targetRun{kind: TargetAdapters, vars: map[string]string{}}
	}
	return r.tgt.vars
}

// expandStep returns st with its ${variables} replaced (st itself when it has none).
func (r *run) expandStep(st *Step) (*Step, error) {
	cp := *st
	var err error
	for _, f := range []*string{&cp.Order, &cp.Refund, &cp.Payout, &cp.Bind} {
		if *f, err = r.expand(*f); err != nil {
			return nil, err
		}
	}
	if cp.Fault != nil && strings.Contains(cp.Fault.OutTradeNo, "${") {
		p := *cp.Fault
		if p.OutTradeNo, err = r.expand(p.OutTradeNo); err != nil {
			return nil, err
		}
		cp.Fault = &p
	}
	if cp.Expect, err = r.expandExpect(cp.Expect); err != nil {
		return nil, err
	}
	return &cp, nil
}

// expandExpect returns e with the ${variables} of its order numbers replaced.
func (r *run) expandExpect(e *Expect) (*Expect, error) {
	if e == nil {
		return nil, nil
	}
	cp := *e
	var err error
	cp.Callbacks = append([]CallbackExpect(nil), e.Callbacks...)
	for i := range cp.Callbacks {
		if cp.Callbacks[i].Order, err = r.expand(cp.Callbacks[i].Order); err != nil {
			return nil, err
		}
	}
	cp.Records = append([]RecordExpect(nil), e.Records...)
	for i := range cp.Records {
		re := &cp.Records[i]
		if re.Order, err = r.expand(re.Order); err != nil {
			return nil, err
		}
		if re.After != nil {
			a := *re.After
			if a.Order, err = r.expand(a.Order); err != nil {
				return nil, err
			}
			re.After = &a
		}
	}
	cp.Webhooks = append([]WebhookExpect(nil), e.Webhooks...)
	for i := range cp.Webhooks {
		if cp.Webhooks[i].Order, err = r.expand(cp.Webhooks[i].Order); err != nil {
			return nil, err
		}
	}
	if e.HTTP != nil {
		h := *e.HTTP
		h.JSON = append([]JSONCheck(nil), e.HTTP.JSON...)
		for i := range h.JSON {
			if h.JSON[i].Equals != nil {
				v, err := r.expand(*h.JSON[i].Equals)
				if err != nil {
					return nil, err
				}
				h.JSON[i].Equals = &v
			}
		}
		cp.HTTP = &h
	}
	return &cp, nil
}

// execTarget runs the steps of target.go's world; ok is false for other actions.
func (r *run) execTarget(ctx context.Context, st *Step) (outcome, bool, error) {
	switch st.Action {
	case ActHTTP:
		out, err := r.httpStep(ctx, st)
		return out, true, err
	case ActWaitAcks:
		out, err := r.waitAcks(ctx, st)
		return out, true, err
	case ActMisbehave:
		p := st.Misbehave
		if p.At == "webhooks" {
			r.tgt.hooks.mis.set(p)
		} else {
			r.coll.mis.set(p)
		}
		return outcome{summary: "the merchant's " + p.At + " endpoint will " + p.Respond}, true, nil
	}
	return outcome{}, false, nil
}

// httpStep sends one request to the target and checks the answer.
func (r *run) httpStep(ctx context.Context, st *Step) (outcome, error) {
	t := r.tgt
	if t == nil || t.kind == TargetAdapters || t.base == "" {
		return outcome{}, errors.New("http: the scenario has no target to call; set `target: gateway` or `target: http`")
	}
	h := st.HTTP
	p, err := r.expand(h.Path)
	if err != nil {
		return outcome{}, err
	}
	var body []byte
	ctype := ""
	switch {
	case h.JSON != nil:
		v, err := decodeJSON(h.JSON)
		if err != nil {
			return outcome{}, err
		}
		if v, err = r.expandJSON(v); err != nil {
			return outcome{}, err
		}
		body, _ = json.Marshal(v)
		ctype = "application/json"
	case h.Form != nil:
		f := url.Values{}
		for k, v := range h.Form {
			ev, err := r.expand(v)
			if err != nil {
				return outcome{}, err
			}
			f.Set(k, ev)
		}
		body = []byte(f.Encode())
		ctype = "application/x-www-form-urlencoded"
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, h.Method, t.base+p, bytes.NewReader(body))
	if err != nil {
		return outcome{}, fmt.Errorf("http: %w", err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range h.Headers {
		ev, err := r.expand(v)
		if err != nil {
			return outcome{}, err
		}
		req.Header.Set(k, ev)
	}
	if t.kind == TargetGateway && t.sign != nil {
		if err := t.sign(req, body); err != nil {
			return outcome{}, fmt.Errorf("http: signing the request: %w", err)
		}
	}
	if len(body) > 0 {
		r.logf("  request %s", clip(string(body), 300))
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return outcome{}, fmt.Errorf("http %s %s: %w", h.Method, p, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return outcome{}, fmt.Errorf("http %s %s: reading the answer: %w", h.Method, p, err)
	}
	r.logf("  => HTTP %d %s", resp.StatusCode, clip(strings.TrimSpace(string(rb)), 400))
	doc, jsonErr := decodeJSON(rb)
	for name, jp := range h.Capture {
		if jsonErr != nil {
			return outcome{}, fmt.Errorf("http: capture %s: the answer is not JSON (HTTP %d): %s", name, resp.StatusCode, clip(string(rb), 200))
		}
		v, ok := lookupJSON(doc, jp)
		if !ok {
			return outcome{}, fmt.Errorf("http: capture %s: the answer (HTTP %d) has no %s: %s", name, resp.StatusCode, jp, clip(string(rb), 200))
		}
		r.vars()[name] = jsonText(v)
		r.logf("  ${%s} = %s", name, jsonText(v))
	}
	if st.Expect != nil && st.Expect.HTTP != nil {
		if err := checkHTTP(st.Expect.HTTP, resp.StatusCode, rb, doc, jsonErr == nil); err != nil {
			r.fail(st.Expect.HTTP.Pos, st.Index, err.Error())
			return outcome{}, errStop
		}
	} else if resp.StatusCode >= 400 {
		return outcome{}, fmt.Errorf("http %s %s answered %d: %s (add `expect: {http: {status: %d}}` if that is intended)", h.Method, p, resp.StatusCode, clip(string(rb), 200), resp.StatusCode)
	}
	return outcome{}, nil
}

func (r *run) expandJSON(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return r.expand(x)
	case map[string]any:
		for k, e := range x {
			ev, err := r.expandJSON(e)
			if err != nil {
				return nil, err
			}
			x[k] = ev
		}
	case []any:
		for i, e := range x {
			ev, err := r.expandJSON(e)
			if err != nil {
				return nil, err
			}
			x[i] = ev
		}
	}
	return v, nil
}

func checkHTTP(he *HTTPExpect, status int, body []byte, doc any, isJSON bool) error {
	if len(he.Status) > 0 {
		ok := false
		for _, s := range he.Status {
			ok = ok || s == status
		}
		if !ok {
			want := make([]string, len(he.Status))
			for i, s := range he.Status {
				want[i] = strconv.Itoa(s)
			}
			return fmt.Errorf("expected HTTP status %s, got %d: %s", strings.Join(want, " or "), status, clip(string(body), 300))
		}
	}
	if he.BodyContains != "" && !bytes.Contains(body, []byte(he.BodyContains)) {
		return fmt.Errorf("expected the answer to contain %q: %s", he.BodyContains, clip(string(body), 300))
	}
	if he.BodyRegex != nil && !he.BodyRegex.Match(body) {
		return fmt.Errorf("expected the answer to match %s: %s", he.BodyRegex, clip(string(body), 300))
	}
	for _, jc := range he.JSON {
		if !isJSON {
			return fmt.Errorf("expected a JSON answer with %s, got: %s", jc.Path, clip(string(body), 300))
		}
		v, ok := lookupJSON(doc, jc.Path)
		if jc.Exists != nil && ok != *jc.Exists {
			if ok {
				return fmt.Errorf("expected no %s in the answer, got %s", jc.Path, jsonText(v))
			}
			return fmt.Errorf("expected %s in the answer: %s", jc.Path, clip(string(body), 300))
		}
		if jc.Equals == nil && jc.Regex == nil {
			continue
		}
		if !ok {
			return fmt.Errorf("expected %s in the answer: %s", jc.Path, clip(string(body), 300))
		}
		got := jsonText(v)
		if jc.Equals != nil && got != *jc.Equals {
			return fmt.Errorf("expected %s = %s, got %s", jc.Path, *jc.Equals, got)
		}
		if jc.Regex != nil && !jc.Regex.MatchString(got) {
			return fmt.Errorf("expected %s to match %s, got %s", jc.Path, jc.Regex, got)
		}
	}
	return nil
}

// splitJSONPath splits "$.a.b[0].c" (the "$." is optional) into keys and indices.
func splitJSONPath(p string) ([]any, error) {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
	if p == "" {
		return nil, errors.New("empty JSON path")
	}
	var out []any
	for _, part := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" && rest == "" {
			return nil, fmt.Errorf("JSON path %q: empty name", p)
		}
		if name != "" {
			out = append(out, name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil || n < 0 {
				return nil, fmt.Errorf("JSON path %q: want [index]", p)
			}
			out = append(out, n)
			rest = strings.TrimPrefix(after, "[")
			if after != "" && !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("JSON path %q: unexpected %q", p, after)
			}
		}
	}
	return out, nil
}

// lookupJSON follows a JSON path through a decoded document.
func lookupJSON(doc any, p string) (any, bool) {
	parts, err := splitJSONPath(p)
	if err != nil {
		return nil, false
	}
	cur := doc
	for _, k := range parts {
		switch key := k.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[key]; !ok {
				return nil, false
			}
		case int:
			a, ok := cur.([]any)
			if !ok || key >= len(a) {
				return nil, false
			}
			cur = a[key]
		}
	}
	return cur, true
}

// decodeJSON decodes one JSON document keeping numbers as written (json.Number).
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

// jsonText is a JSON value as a scenario compares it: strings bare, numbers as written
// (json.Number never goes through a float), the rest as JSON.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// waitAcks advances the clock from one due timer to the next until the simulator has
// recorded count acknowledged callbacks (for the order), or `within` has passed: the
// merchant's side of notifications, whatever the target.
func (r *run) waitAcks(ctx context.Context, st *Step) (outcome, error) {
	if err := r.flush(ctx); err != nil {
		return outcome{}, err
	}
	deadline := r.now(ctx).Add(st.Duration)
	count := func() (int, error) {
		recs, err := r.drv.Records(ctx, simulator.RecordFilter{Channel: st.Channel, OutTradeNo: st.Order, Kind: simulator.RecordCallback})
		if err != nil {
			return 0, err
		}
		n := 0
		for i := range recs {
			// A forged or tampered attempt's acknowledgement is the merchant's mistake, not
			// an acknowledgement of the notification.
			if recs[i].Acked && (st.NotifyOf == "" || recs[i].Op == string(st.NotifyOf)) &&
				!hasFault(recs[i].Faults, string(simulator.FaultForgedCallback)) && !hasFault(recs[i].Faults, string(simulator.FaultTamperedCallback)) {
				n++
			}
		}
		return n, nil
	}
	const maxSteps = 100_000
	for i := 0; i < maxSteps; i++ {
		n, err := count()
		if err != nil {
			return outcome{}, err
		}
		if n >= st.Count {
			return outcome{summary: fmt.Sprintf("%d acknowledged callback(s) by %s", n, fmtTime(r.now(ctx)))}, nil
		}
		if err := ctx.Err(); err != nil {
			return outcome{}, err
		}
		next, ok, err := r.drv.NextDue(ctx)
		if err != nil {
			return outcome{}, fmt.Errorf("wait_acks: %w", err)
		}
		if !ok || next.After(deadline) {
			if err := r.drv.SetTime(ctx, deadline); err != nil {
				return outcome{}, err
			}
			_ = r.syncClock(ctx)
			if n, _ = count(); n >= st.Count {
				continue
			}
			what := st.Channel + " callback(s)"
			if st.Order != "" {
				what += " for order " + st.Order
			}
			return outcome{}, fmt.Errorf("wait_acks: %d of %d %s acknowledged by the merchant within %s (until %s)", n, st.Count, what, st.Duration, fmtTime(deadline))
		}
		if next.After(r.now(ctx)) {
			if err := r.drv.SetTime(ctx, next); err != nil {
				return outcome{}, err
			}
		} else if err := r.drv.Advance(ctx, 0); err != nil {
			return outcome{}, err
		}
		_ = r.syncClock(ctx)
	}
	return outcome{}, fmt.Errorf("wait_acks: the simulator kept scheduling timers (%d clock steps) without the acknowledgements", maxSteps)
}

// copyHooks appends the webhooks the merchant endpoint received since the last copy.
func (r *run) copyHooks() {
	if r.tgt == nil || r.tgt.hooks == nil {
		return
	}
	all := r.tgt.hooks.all()
	for i := r.tgt.hooksSeen; i < len(all); i++ {
		r.logf("  [%s] %s", fmtTime(all[i].Time), fmtHook(&all[i]))
	}
	r.tgt.hooksSeen = len(all)
}
