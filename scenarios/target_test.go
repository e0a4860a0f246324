package scenarios

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

// TestParse_TargetStepsErrorsNameFileLineAndField pins the messages for mistakes in the
// target, http, wait_acks, misbehave and record-window syntax.
func TestParse_TargetStepsErrorsNameFileLineAndField(t *testing.T) {
	const head = "name: x\nchannel: toy\nsteps:\n"
	tests := []struct {
		name, src, want string
	}{
		{"unknown target", "name: x\ntarget: gatway\nsteps:\n  - advance: 1s\n",
			`f.yaml:2:9: target: unknown target "gatway"; known: adapters, gateway, http (the URL of a gateway or service is given to the runner: --target-url)`},
		{"http without path", head + "  - http: {method: POST}\n", `f.yaml:4:11: steps[0].http.path: required`},
		{"http relative path", head + "  - http: {path: orders}\n", `f.yaml:4:18: steps[0].http.path: want a path starting with / (the target's base URL is given to the runner)`},
		{"http bad method", head + "  - http: {method: FETCH, path: /x}\n", `f.yaml:4:20: steps[0].http.method: unknown HTTP method "FETCH"; known: GET, POST, PUT, PATCH, DELETE, HEAD`},
		{"http json and form", head + "  - http: {path: /x, json: {a: 1}, form: {b: 2}}\n", `f.yaml:4:11: steps[0].http.json: give json or form, not both`},
		{"http bad capture name", head + "  - http: {path: /x, capture: {order-id: id}}\n", `f.yaml:4:31: steps[0].http.capture: variable name "order-id": want letters, digits and _`},
		{"http bad status", head + "  - http: {path: /x}\n    expect: {http: {status: 99}}\n", `f.yaml:5:29: steps[0].expect.http.status: want an HTTP status (100..599), got "99"`},
		{"http bad json path", head + "  - http: {path: /x}\n    expect: {http: {json: {\"a[x]\": 1}}}\n", `f.yaml:5:36: steps[0].expect.http.json.a[x]: JSON path "a[x]": want [index]`},
		{"http check on another step", head + "  - advance: 1s\n    expect: {http: {status: 200}}\n", `f.yaml:5:13: steps[0].expect.http: only an http step has an HTTP answer to check`},
		{"misbehave unknown answer", head + "  - misbehave: {respond: teapot}\n", `f.yaml:4:26: steps[0].misbehave.respond: unknown answer "teapot"; known: ok, wrong_ack, status, down, slow`},
		{"misbehave status without respond status", head + "  - misbehave: {respond: down, status: 500}\n", `f.yaml:4:40: steps[0].misbehave.status: only with respond: status`},
		{"misbehave unknown endpoint", head + "  - misbehave: {at: hooks, respond: down}\n", `f.yaml:4:21: steps[0].misbehave.at: want notify (the channels' callbacks) or webhooks (the gateway's webhooks), got "hooks"`},
		{"within without after", head + "  - advance: 1s\nexpect:\n  records: {kind: call, within: 30s}\n", `f.yaml:6:33: expect.records[0].within: within needs after: the event the window starts at`},
		{"anchor with a count", head + "  - advance: 1s\nexpect:\n  records: {kind: call, after: {kind: call, count: 1}}\n", `f.yaml:6:32: expect.records[0].after: the anchor names one event: no count, max or after of its own`},
		{"bad distinct field", head + "  - advance: 1s\nexpect:\n  records: {kind: call, distinct: \"a b\"}\n", `f.yaml:6:35: expect.records[0].distinct: want a request field name (e.g. out_refund_no), got "a b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src), ParseOptions{Channels: []string{"toy", "wechat"}})
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			if !errors.Is(err, ErrBadScenario) {
				t.Errorf("error does not wrap ErrBadScenario: %v", err)
			}
			if first := strings.SplitN(err.Error(), "\n", 2)[0]; first != tc.want {
				t.Errorf("got  %s\nwant %s", first, tc.want)
			}
		})
	}
}

func TestParse_TargetStepsDecode(t *testing.T) {
	src := `name: x
target: http
channel: toy
vars: {id: "7"}
steps:
  - misbehave: {at: webhooks, respond: status, status: 503, first: 2}
  - http:
      method: post
      path: /orders/${id}
      headers: {X-Trace: "t-${id}"}
      json: {order_id: A1, amount_fen: 100, items: [{sku: s1}]}
      timeout: 5s
      capture: {out: out_trade_no}
    expect:
      http:
        status: [200, 201]
        body_contains: A1
        json: {status: pending, "$.items[0].sku": s1, code_url: {regex: "^weixin://"}, error: null}
  - wait_acks: {order: "${out}", count: 2, within: 5m}
expect:
  records:
    - {kind: call, op: orderquery, order: A1, min: 1, within: 30s, after: {kind: call, op: unifiedorder, fault: timeout_after}}
    - {kind: callback, acked: false, count: 0}
    - {kind: call, op: refund, distinct: out_refund_no, max: 1}
  webhooks:
    - {type: payment.succeeded, order: A1, answered: 204, events: true, count: 1}
`
	s, err := Parse("f.yaml", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != TargetHTTP {
		t.Errorf("target %q", s.Target)
	}
	m := s.Steps[0].Misbehave
	if m == nil || m.At != "webhooks" || m.Respond != RespondStatus || m.Status != 503 || m.First != 2 {
		t.Errorf("misbehave %+v", m)
	}
	h := s.Steps[1].HTTP
	if h == nil || h.Method != "POST" || h.Path != "/orders/7" || h.Headers["X-Trace"] != "t-7" || h.Timeout.Seconds() != 5 || h.Capture["out"] != "out_trade_no" {
		t.Fatalf("http %+v", h)
	}
	if string(h.JSON) != `{"amount_fen":100,"items":[{"sku":"s1"}],"order_id":"A1"}` {
		t.Errorf("json %s", h.JSON)
	}
	// vars: are filled in when the file is read; a name an http step captures is left
	// for the run (wait_acks names the captured ${out}).
	if got := s.Steps[2].Order; got != "${out}" {
		t.Errorf("wait_acks order %q, want ${out} left for the run", got)
	}
	he := s.Steps[1].Expect.HTTP
	if he == nil || len(he.Status) != 2 || he.BodyContains != "A1" || len(he.JSON) != 4 {
		t.Fatalf("http expect %+v", he)
	}
	if he.JSON[3].Exists == nil || *he.JSON[3].Exists {
		t.Errorf("null must mean absent: %+v", he.JSON[3])
	}
	w := s.Steps[2]
	if w.Action != ActWaitAcks || w.Order != "${out}" || w.Count != 2 || w.Duration.Minutes() != 5 || w.Channel != "toy" {
		t.Errorf("wait_acks %+v", w)
	}
	recs := s.Expect.Records
	if recs[0].After == nil || recs[0].After.Fault != "timeout_after" || recs[0].Within.Seconds() != 30 {
		t.Errorf("window %+v", recs[0])
	}
	if recs[1].Acked == nil || *recs[1].Acked || recs[2].Distinct != "out_refund_no" {
		t.Errorf("acked/distinct %+v %+v", recs[1], recs[2])
	}
	if we := s.Expect.Webhooks; len(we) != 1 || we[0].Answered != 204 || !we[0].Events || *we[0].Count != 1 {
		t.Errorf("webhooks %+v", we)
	}
}

func TestCheckHTTP_NamesWhatDiffers(t *testing.T) {
	body := []byte(`{"state":"failed","amount":8800,"big":12345678901234567890,"action":{"qr_code":"weixin://x"},"items":[{"id":"a"}]}`)
	doc, err := decodeJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	yes, no := true, false
	tests := []struct {
		name string
		he   HTTPExpect
		want string // "" = passes
	}{
		{"status ok", HTTPExpect{Status: []int{200, 201}}, ""},
		{"status", HTTPExpect{Status: []int{201}}, "expected HTTP status 201, got 200: " + string(body)},
		{"equals", HTTPExpect{JSON: []JSONCheck{{Path: "state", Equals: str("pending")}}}, "expected state = pending, got failed"},
		{"number as written", HTTPExpect{JSON: []JSONCheck{{Path: "big", Equals: str("12345678901234567890")}, {Path: "amount", Equals: str("8800")}}}, ""},
		{"nested and index", HTTPExpect{JSON: []JSONCheck{{Path: "$.action.qr_code", Equals: str("weixin://x")}, {Path: "items[0].id", Equals: str("a")}}}, ""},
		{"missing", HTTPExpect{JSON: []JSONCheck{{Path: "items[1].id", Equals: str("a")}}}, "expected items[1].id in the answer: " + string(body)},
		{"exists", HTTPExpect{JSON: []JSONCheck{{Path: "action", Exists: &yes}, {Path: "error", Exists: &no}}}, ""},
		{"absent", HTTPExpect{JSON: []JSONCheck{{Path: "state", Exists: &no}}}, "expected no state in the answer, got failed"},
		{"contains", HTTPExpect{BodyContains: "refund"}, `expected the answer to contain "refund": ` + string(body)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkHTTP(&tc.he, 200, body, doc, true)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestRequestField_FindsFieldsInEveryChannelFormat(t *testing.T) {
	tests := []struct {
		name, body, field, want string
		ok                      bool
	}{
		{"wechat xml cdata", `<xml><out_refund_no><![CDATA[R1]]></out_refund_no></xml>`, "out_refund_no", "R1", true},
		{"wechat xml plain", `<xml><total_fee>100</total_fee></xml>`, "total_fee", "100", true},
		{"alipay form with biz_content", "app_id=1&biz_content=" + `%7B%22out_request_no%22%3A%22R2%22%7D`, "out_request_no", "R2", true},
		{"unionpay form", "orderId=O1&txnAmt=100", "orderId", "O1", true},
		{"json nested", `{"head":{"x":1},"body":{"refundNo":"R3","amt":5}}`, "refundNo", "R3", true},
		{"json number", `{"amt":5}`, "amt", "5", true},
		{"absent", `<xml><a>1</a></xml>`, "b", "", false},
		{"empty", ``, "b", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := requestField(tc.body, tc.field)
			if got != tc.want || ok != tc.ok {
				t.Errorf("requestField = %q, %t; want %q, %t", got, ok, tc.want, tc.ok)
			}
		})
	}
	recs := []simulator.Record{{Request: `<xml><out_refund_no>R1</out_refund_no></xml>`}, {Request: `<xml><out_refund_no>R1</out_refund_no></xml>`}, {Request: `<xml><out_refund_no>R9</out_refund_no></xml>`}}
	if n, vals := countDistinct(recs, "out_refund_no"); n != 2 || strings.Join(vals, ",") != "R1,R9" {
		t.Errorf("countDistinct = %d %v", n, vals)
	}
}

func TestExpand_ReplacesCapturedVariablesAndNamesMissingOnes(t *testing.T) {
	r := &run{}
	r.vars()["cno"] = "TD123"
	got, err := r.expand("/v1/payments/${cno}/close")
	if err != nil || got != "/v1/payments/TD123/close" {
		t.Errorf("expand = %q, %v", got, err)
	}
	if _, err := r.expand("${nope}"); err == nil || err.Error() != "variable ${nope} is not set (capture it in an earlier http step; set so far: cno)" {
		t.Errorf("missing variable: %v", err)
	}
	v, err := r.expandJSON(map[string]any{"a": []any{"${cno}", json.Number("1")}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"a":["TD123",1]}` {
		t.Errorf("expandJSON = %s", b)
	}
}

// FuzzJSONPath: a path from a scenario file never panics the splitter or the look-up.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$.a.b[0].c", "a[1][2]", "[0]", "a..b", "a[", "a[-1]", "$"} {
		f.Add(s, `{"a":{"b":[{"c":1}]}}`)
	}
	f.Fuzz(func(t *testing.T, path, doc string) {
		parts, err := splitJSONPath(path)
		if err == nil && len(parts) == 0 {
			t.Fatalf("no error and no parts for %q", path)
		}
		if v, err := decodeJSON([]byte(doc)); err == nil {
			_, _ = lookupJSON(v, path)
		}
	})
}

// FuzzRequestField: recorded request bodies come from the system under test; reading a
// field out of any of them never panics.
func FuzzRequestField(f *testing.F) {
	f.Add(`<xml><a><![CDATA[1]]></a></xml>`, "a")
	f.Add("a=1&b=%7B%22c%22%3A2%7D", "c")
	f.Add(`{"a":[{"b":{"c":"d"}}]}`, "c")
	f.Fuzz(func(t *testing.T, body, field string) {
		_, _ = requestField(body, field)
	})
}

func TestMisbehaviour_AnswersAsToldForTheNextRequests(t *testing.T) {
	tests := []struct {
		plan         Misbehaviour
		before       bool // answered before processing
		after        bool // answered instead of the acknowledgement
		aborts       bool // closes the connection
		status       int
		body         string
		stillActing2 bool // acts on a second request
	}{
		{plan: Misbehaviour{Respond: RespondStatus, First: 1}, before: true, status: 500, body: "internal error"},
		{plan: Misbehaviour{Respond: RespondStatus, Status: 503, Body: "busy", First: 2}, before: true, status: 503, body: "busy", stillActing2: true},
		{plan: Misbehaviour{Respond: RespondWrongAck}, after: true, status: 200, body: "received", stillActing2: true},
		{plan: Misbehaviour{Respond: RespondDown, First: 1}, aborts: true},
		{plan: Misbehaviour{Respond: RespondSlow, First: 1}, after: true, aborts: true},
	}
	for _, tc := range tests {
		t.Run(tc.plan.Respond, func(t *testing.T) {
			var m misbehaviour
			m.set(&tc.plan)
			p := m.take()
			w := httptest.NewRecorder()
			aborted := false
			func() {
				defer func() {
					if v := recover(); v != nil {
						if v != http.ErrAbortHandler {
							panic(v)
						}
						aborted = true
					}
				}()
				if p.before(w) != tc.before {
					t.Errorf("before: want %t", tc.before)
				}
				if !tc.before && p.after(w) != tc.after {
					t.Errorf("after: want %t", tc.after)
				}
			}()
			if aborted != tc.aborts {
				t.Errorf("aborted %t, want %t", aborted, tc.aborts)
			}
			if !tc.aborts && (w.Code != tc.status || w.Body.String() != tc.body) {
				t.Errorf("answer %d %q, want %d %q", w.Code, w.Body.String(), tc.status, tc.body)
			}
			if got := m.take().Respond != ""; got != tc.stillActing2 {
				t.Errorf("acts on the second request: %t, want %t", got, tc.stillActing2)
			}
		})
	}
	var m misbehaviour
	m.set(&Misbehaviour{Respond: RespondDown})
	m.set(&Misbehaviour{Respond: RespondOK})
	if p := m.take(); p.Respond != "" {
		t.Errorf("respond ok must clear the plan, got %q", p.Respond)
	}
}
