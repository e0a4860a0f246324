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
	// ToSim sends the request to the scenario's simulator (its control API, unsigned)
	// instead of the target: `to: simulator`.
	ToSim bool
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

var templateRef = regexp.MustCompile(`\$\{([^}]*)\}`)

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
	if e.Result != nil {
		h := *e.Result
		h.JSON = append([]JSONCheck(nil), e.Result.JSON...)
		for i := range h.JSON {
			if h.JSON[i].Equals != nil {
				v, err := r.expand(*h.JSON[i].Equals)
				if err != nil {
					return nil, err
				}
				h.JSON[i].Equals = &v
			}
		}
		cp.Result = &h
	}
	return &cp, nil
}

// execTarget runs the steps of target.go's world; ok is false for other actions.
func (r *run) execTarget(ctx context.Context, st *Step) (outcome, bool, error) {
	if isCoreAction(st.Action) {
		out, err := r.execCore(ctx, st)
		return out, true, err
	}
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
	h := st.HTTP
	base, client, sign := "", (*http.Client)(nil), false
	switch {
	case h.ToSim:
		base, client = strings.TrimRight(r.simURL, "/"), r.client
	case t == nil || t.kind == TargetAdapters || t.base == "":
		return outcome{}, errors.New("http: the scenario has no target to call; set `target: gateway` or `target: http`")
	default:
		base, client, sign = t.base, t.client, t.kind == TargetGateway && t.sign != nil
	}
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
	req, err := http.NewRequestWithContext(rctx, h.Method, base+p, bytes.NewReader(body))
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
	if sign {
		if err := t.sign(req, body); err != nil {
			return outcome{}, fmt.Errorf("http: signing the request: %w", err)
		}
	}
	if len(body) > 0 {
		r.logf("  request %s", clip(string(body), 300))
	}
	resp, err := client.Do(req)
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
