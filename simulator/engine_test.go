package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

func newSim(t testing.TB, sink http.Handler) (*simulator.Server, *fakeProto) {
	t.Helper()
	fp := newFake()
	cfg := simulator.Config{Protocols: []simulator.Protocol{fp}, Seed: 42}
	if sink != nil {
		cfg.CallbackTransport = simulator.HandlerTransport(sink)
	}
	s, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, fp
}

// post sends a JSON body through rt and returns status and body, or the transport error.
func post(t testing.TB, rt http.RoundTripper, path, body string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://sim.test"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func get(t testing.TB, rt http.RoundTripper, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://sim.test"+path, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func payBody(no string) string {
	return `{"merchant":"M1","out_trade_no":"` + no + `","amount":100,"notify_url":"http://merchant.test/notify"}`
}

func orderState(t testing.TB, s *simulator.Server, no string) string {
	t.Helper()
	_, body, err := post(t, s.Transport(), "/fake/query", `{"merchant":"M1","out_trade_no":"`+no+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("query answer %q: %v", body, err)
	}
	if v["code"] == "NOT_FOUND" {
		return ""
	}
	return v["state"]
}

func addFault(t testing.TB, s *simulator.Server, p simulator.FaultPlan) string {
	t.Helper()
	id, err := s.AddFault(p)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCallFaults_EachKindActsAsDocumented(t *testing.T) {
	tests := []struct {
		name        string
		plan        simulator.FaultPlan
		wantErr     error
		wantStatus  int
		checkBody   func(string) bool
		wantCreated bool
	}{
		{"no fault", simulator.FaultPlan{}, nil, 200, func(b string) bool { return strings.Contains(b, `"sign":"good"`) }, true},
		{"timeout before processing changes nothing", simulator.FaultPlan{Kind: simulator.FaultTimeoutBefore}, simulator.ErrConnectionClosed, 0, nil, false},
		{"timeout after processing commits", simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter}, simulator.ErrConnectionClosed, 0, nil, true},
		{"reset before", simulator.FaultPlan{Kind: simulator.FaultReset}, simulator.ErrConnectionReset, 0, nil, false},
		{"reset after", simulator.FaultPlan{Kind: simulator.FaultReset, Stage: simulator.StageAfter}, simulator.ErrConnectionReset, 0, nil, true},
		{"5xx before", simulator.FaultPlan{Kind: simulator.FaultHTTP5xx}, nil, 503, nil, false},
		{"5xx after with status", simulator.FaultPlan{Kind: simulator.FaultHTTP5xx, Stage: simulator.StageAfter, Status: 502}, nil, 502, nil, true},
		{"malformed body", simulator.FaultPlan{Kind: simulator.FaultMalformedBody}, nil, 200, func(b string) bool { return !json.Valid([]byte(b)) }, true},
		{"truncated body", simulator.FaultPlan{Kind: simulator.FaultTruncatedBody, Count: 5}, nil, 200, func(b string) bool { return len(b) == 5 }, true},
		{"bad signature", simulator.FaultPlan{Kind: simulator.FaultBadSignature}, nil, 200, func(b string) bool { return strings.Contains(b, `"sign":"BAD"`) }, true},
		{"business code without processing", simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Code: simulator.CodeSystemError}, nil, 200,
			func(b string) bool { return strings.Contains(b, `"code":"SYSTEM_ERROR"`) }, false},
		{"business code after processing", simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Code: simulator.CodeUserPaying, Process: true}, nil, 200,
			func(b string) bool { return strings.Contains(b, `"code":"USER_PAYING"`) }, true},
		{"delay advances the virtual clock", simulator.FaultPlan{Kind: simulator.FaultDelay, Delay: simulator.Duration(5 * time.Second)}, nil, 200, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSim(t, nil)
			if tt.plan.Kind != "" {
				p := tt.plan
				p.Channel, p.Op = "fake", "pay"
				addFault(t, s, p)
			}
			start := s.Clock().Now()
			status, body, err := post(t, s.Transport(), "/fake/pay", payBody("O1"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", status, tt.wantStatus, body)
			}
			if tt.checkBody != nil && !tt.checkBody(body) {
				t.Errorf("body %q fails the check", body)
			}
			created := orderState(t, s, "O1") != ""
			if created != tt.wantCreated {
				t.Errorf("order created = %v, want %v", created, tt.wantCreated)
			}
			if tt.plan.Kind == simulator.FaultDelay {
				if got := s.Clock().Now().Sub(start); got != 5*time.Second {
					t.Errorf("clock moved %v, want 5s", got)
				}
			}
			recs := s.Records(simulator.RecordFilter{Kind: simulator.RecordCall, OutTradeNo: "O1"})
			if len(recs) == 0 || recs[0].Op != "pay" || recs[0].Merchant != "M1" {
				t.Fatalf("first call record = %+v", recs)
			}
			if tt.plan.Kind != "" && (len(recs[0].Faults) != 1 || !strings.HasPrefix(recs[0].Faults[0], string(tt.plan.Kind)+":")) {
				t.Errorf("record faults = %v, want %s", recs[0].Faults, tt.plan.Kind)
			}
		})
	}
}

func TestCallFaults_OverRealSockets(t *testing.T) {
	tests := []struct {
		name        string
		plan        simulator.FaultPlan
		wantCreated bool
	}{
		{"timeout after closes without a response", simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter}, true},
		{"timeout before closes without a response", simulator.FaultPlan{Kind: simulator.FaultTimeoutBefore}, false},
		{"reset", simulator.FaultPlan{Kind: simulator.FaultReset}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{newFake()}})
			p := tt.plan
			p.Channel, p.Op, p.OutTradeNo = "fake", "pay", "S1"
			addFault(t, ts.Server, p)
			client := ts.Client()
			resp, err := client.Post(ts.URL+"/fake/pay", "application/json", strings.NewReader(payBody("S1")))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got a response %d, want a transport error", resp.StatusCode)
			}
			if got := orderState(t, ts.Server, "S1") != ""; got != tt.wantCreated {
				t.Errorf("created = %v, want %v", got, tt.wantCreated)
			}
		})
	}
}

func TestFaultOccurrence_FirstEveryProbability(t *testing.T) {
	pattern := func(t *testing.T, p simulator.FaultPlan, n int) string {
		s, _ := newSim(t, nil)
		p.Kind, p.Channel = simulator.FaultHTTP5xx, "fake"
		addFault(t, s, p)
		var b strings.Builder
		for i := 0; i < n; i++ {
			status, _, _ := post(t, s.Transport(), "/fake/query", `{"merchant":"M1","out_trade_no":"X"}`)
			if status == 503 {
				b.WriteByte('F')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	if got := pattern(t, simulator.FaultPlan{First: 2}, 5); got != "FF..." {
		t.Errorf("first 2: %s", got)
	}
	if got := pattern(t, simulator.FaultPlan{Every: 3}, 7); got != "..F..F." {
		t.Errorf("every 3: %s", got)
	}
	if got := pattern(t, simulator.FaultPlan{Every: 2, First: 4}, 8); got != ".F.F...." {
		t.Errorf("every 2 within first 4: %s", got)
	}
	a := pattern(t, simulator.FaultPlan{Probability: 0.5}, 40)
	b := pattern(t, simulator.FaultPlan{Probability: 0.5}, 40)
	if a != b {
		t.Errorf("probability not deterministic for one seed:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "F"); n == 0 || n == 40 {
		t.Errorf("probability 0.5 gave %d/40 faults: %s", n, a)
	}
	if got := pattern(t, simulator.FaultPlan{OutTradeNo: "other"}, 2); got != ".." {
		t.Errorf("plan for another order acted: %s", got)
	}
}

func TestFaults_RemoveStopsThePlan(t *testing.T) {
	s, _ := newSim(t, nil)
	id := addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultHTTP5xx})
	if st, _, _ := post(t, s.Transport(), "/fake/query", `{}`); st != 503 {
		t.Fatalf("status %d with plan", st)
	}
	if !s.RemoveFault(id) {
		t.Fatal("RemoveFault = false")
	}
	if s.RemoveFault(id) {
		t.Fatal("second RemoveFault = true")
	}
	if st, _, _ := post(t, s.Transport(), "/fake/query", `{}`); st != 200 {
		t.Fatalf("status %d after removal", st)
	}
}

func TestServer_UnknownPathAndMethod(t *testing.T) {
	s, _ := newSim(t, nil)
	if st, _ := get(t, s.Transport(), "/nowhere"); st != 404 {
		t.Errorf("unknown path: %d", st)
	}
	if st, _ := get(t, s.Transport(), "/fake/pay"); st != 405 {
		t.Errorf("wrong method: %d", st)
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	st, body, err := post(t, s.Transport(), "/fake/pay", string(big))
	if err != nil || st != 200 || !strings.Contains(body, `"code":"TOO_LARGE"`) {
		t.Errorf("big body: %d %q %v; want the protocol's own answer", st, body, err)
	}
	recs := s.Records(simulator.RecordFilter{Kind: simulator.RecordCall})
	if last := recs[len(recs)-1]; !strings.Contains(last.Error, "over the 1048576-byte limit") || last.Request != "" {
		t.Errorf("record %+v", last)
	}
}

func TestServer_ProtocolPanicIsA500NotACrash(t *testing.T) {
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{panicProto{}}})
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := post(t, s.Transport(), "/panic", "x")
	if err != nil || st != 500 {
		t.Fatalf("status %d err %v", st, err)
	}
	recs := s.Records(simulator.RecordFilter{})
	if len(recs) != 1 || !strings.Contains(recs[0].Error, "panicked") {
		t.Fatalf("records %+v", recs)
	}
}

type panicProto struct{}

func (panicProto) Name() string { return "panic" }
func (panicProto) Register(e *simulator.Engine) error {
	return e.Handle(simulator.Route{Path: "/panic"}, func(*simulator.Call) *simulator.Reply { panic("boom") })
}
func (panicProto) Reset()                                      {}
func (panicProto) AddMerchant(json.RawMessage) (string, error) { return "", simulator.ErrInvalid }
func (panicProto) Merchants() []any                            { return nil }

func TestNew_RejectsDuplicateChannelsAndRoutes(t *testing.T) {
	if _, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{newFake(), newFake()}}); err == nil {
		t.Error("two protocols named fake accepted")
	}
	if _, err := simulator.New(simulator.Config{ClientCert: "maybe"}); err == nil {
		t.Error("bad ClientCert accepted")
	}
}

func TestStatements_AvailabilityAndFaults(t *testing.T) {
	s, _ := newSim(t, http.NotFoundHandler())
	ctx := t.Context()
	for _, no := range []string{"A1", "A2", "A3"} {
		if st, body, err := post(t, s.Transport(), "/fake/pay", payBody(no)); err != nil || st != 200 {
			t.Fatalf("pay %s: %d %s %v", no, st, body, err)
		}
		if _, err := s.Pay(ctx, simulator.PayerAction{Channel: "fake", OutTradeNo: no}); err != nil {
			t.Fatal(err)
		}
	}
	day := clock.DateOf(s.Clock().Now(), clock.Beijing())
	// Before 09:00 on the next day: not ready.
	st, body := get(t, s.Transport(), "/_sim/statements/fake/"+day.String())
	if st != 409 || !strings.Contains(body, "ready_at") {
		t.Fatalf("early statement: %d %s", st, body)
	}
	if err := s.SetTime(day.AddDays(1).Start(clock.Beijing()).Add(9 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	view := func() simulator.StatementView {
		t.Helper()
		st, body := get(t, s.Transport(), "/_sim/statements/fake/"+day.String())
		if st != 200 {
			t.Fatalf("statement: %d %s", st, body)
		}
		var v simulator.StatementView
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := view(); len(v.Records) != 3 || v.Records[0].OutTradeNo != "A1" {
		t.Fatalf("records %+v", v.Records)
	}
	id := addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultStatementMissingRecord, OutTradeNo: "A2"})
	if v := view(); len(v.Records) != 2 || v.Records[1].OutTradeNo != "A3" {
		t.Fatalf("missing: %+v", v.Records)
	}
	s.RemoveFault(id)
	id = addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultStatementAmountChanged, OutTradeNo: "A3"})
	if v := view(); v.Records[2].Amount.Minor() != 101 || v.Records[2].Fault == "" {
		t.Fatalf("amount changed: %+v", v.Records[2])
	}
	s.RemoveFault(id)
	id = addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultStatementExtraRecord, Code: "GHOST"})
	if v := view(); len(v.Records) != 4 || v.Records[3].OutTradeNo != "GHOST" || v.Records[3].Amount.Minor() != 100 {
		t.Fatalf("extra: %+v", v.Records)
	}
	s.RemoveFault(id)
	addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultStatementNotReady, Delay: simulator.Duration(3 * time.Hour)})
	if st, body := get(t, s.Transport(), "/_sim/statements/fake/"+day.String()); st != 409 {
		t.Fatalf("not ready until: %d %s", st, body)
	}
	if err := s.Advance(3 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, body := get(t, s.Transport(), "/_sim/statements/fake/"+day.String()+"?format=raw"); st != 200 || !strings.HasPrefix(body, "A1,") {
		t.Fatalf("raw after delay: %d %q", st, body)
	}
}

func TestTimeoutHold_WaitsUntilTheClientGivesUp(t *testing.T) {
	s, _ := newSim(t, nil)
	addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Op: "pay", Hold: true})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://sim.test/fake/pay", strings.NewReader(payBody("H9")))
	_, err := s.Transport().RoundTrip(req)
	if !errors.Is(err, simulator.ErrConnectionClosed) {
		t.Fatalf("err = %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("returned before the client's deadline")
	}
	if orderState(t, s, "H9") != "NOTPAY" {
		t.Fatal("order not committed")
	}
}

func TestReset_DropsStateFaultsRecordsAndCallbacks(t *testing.T) {
	sink := &merchantSink{ack: func(int) string { return "no" }}
	s, _ := newSim(t, sink)
	createAndPay(t, s, "Z1")
	addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultHTTP5xx})
	if s.PendingCallbacks() != 1 || len(s.Faults()) != 1 {
		t.Fatalf("before reset: pending %d faults %d", s.PendingCallbacks(), len(s.Faults()))
	}
	s.Reset()
	if s.PendingCallbacks() != 0 || len(s.Faults()) != 0 || len(s.Records(simulator.RecordFilter{})) != 0 {
		t.Fatalf("after reset: pending %d faults %d records %d", s.PendingCallbacks(), len(s.Faults()), len(s.Records(simulator.RecordFilter{})))
	}
	_ = s.Advance(25 * time.Hour)
	if n := len(sink.got()); n != 1 {
		t.Fatalf("callbacks after reset kept retrying: %d deliveries", n)
	}
	if orderState(t, s, "Z1") != "" {
		t.Fatal("order survived reset")
	}
	if id := addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultReset}); id != "f1" {
		t.Errorf("fault ids restart at f1 after reset, got %s", id)
	}
}

type routeProto struct{}

func (routeProto) Name() string { return "routes" }
func (routeProto) Register(e *simulator.Engine) error {
	h := func(name string) simulator.Handler {
		return func(c *simulator.Call) *simulator.Reply {
			return &simulator.Reply{Body: []byte(name + " " + c.Request.URL.Path)}
		}
	}
	for _, r := range []struct {
		rt   simulator.Route
		name string
	}{
		{simulator.Route{Host: "filedownload.", Path: "/"}, "filehost"},
		{simulator.Route{Method: "GET", Path: "/bdc/files/", Prefix: true}, "files"},
		{simulator.Route{Path: "/gateway.do"}, "gateway"},
	} {
		if err := e.Handle(r.rt, h(r.name)); err != nil {
			return err
		}
	}
	if err := e.Handle(simulator.Route{Path: "/gateway.do"}, h("again")); err == nil {
		return errors.New("duplicate route accepted")
	}
	if err := e.Handle(simulator.Route{Path: "/_sim/mine"}, h("x")); err == nil {
		return errors.New("control path accepted")
	}
	return nil
}
func (routeProto) Reset()                                      {}
func (routeProto) AddMerchant(json.RawMessage) (string, error) { return "", simulator.ErrInvalid }
func (routeProto) Merchants() []any                            { return nil }

func TestRoutes_HostPrefixAndExact(t *testing.T) {
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{routeProto{}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, url string
		status      int
		body        string
	}{
		{"POST", "http://filedownload.95516.com:8080/", 200, "filehost /"},
		{"POST", "http://127.0.0.1:8080/", 404, ""},
		{"GET", "http://sim.test/bdc/files/F123?token=x", 200, "files /bdc/files/F123"},
		{"POST", "http://sim.test/gateway.do?charset=utf-8", 200, "gateway /gateway.do"},
		{"GET", "http://sim.test/gateway.do", 405, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, tt.url, nil)
		resp, err := s.Transport().RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.body != "" && string(b) != tt.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.url, resp.StatusCode, b, tt.status, tt.body)
		}
	}
}

func TestEngineAfterFunc_RunsOnTheClockAndNotAfterReset(t *testing.T) {
	s, fp := newSim(t, nil)
	var ran []string
	fp.e.AfterFunc(time.Minute, func() { ran = append(ran, "a") })
	_ = s.Advance(59 * time.Second)
	if len(ran) != 0 {
		t.Fatal("ran early")
	}
	_ = s.Advance(time.Second)
	if len(ran) != 1 {
		t.Fatalf("ran = %v", ran)
	}
	fp.e.AfterFunc(time.Minute, func() { ran = append(ran, "b") })
	s.Reset()
	_ = s.Advance(time.Hour)
	if len(ran) != 1 {
		t.Fatalf("a timer from before Reset ran: %v", ran)
	}
}

func TestDelayWait_HoldsTheAnswerUntilTheVirtualClockPassesIt(t *testing.T) {
	s, _ := newSim(t, nil)
	addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultDelay, Delay: simulator.Duration(5 * time.Second), DelayMode: simulator.DelayWait})
	done := make(chan int, 1)
	go func() {
		st, _, _ := post(t, s.Transport(), "/fake/query", `{"merchant":"M1","out_trade_no":"X"}`)
		done <- st
	}()
	for s.Virtual().Pending() == 0 { // the delay's timer is armed
		runtime.Gosched()
	}
	select {
	case <-done:
		t.Fatal("answered before the clock moved")
	default:
	}
	_ = s.Advance(4 * time.Second)
	select {
	case <-done:
		t.Fatal("answered before the delay passed")
	default:
	}
	_ = s.Advance(time.Second)
	if st := <-done; st != 200 {
		t.Fatalf("status %d", st)
	}
}

func TestReplyFaults_Parameters(t *testing.T) {
	tests := []struct {
		plan simulator.FaultPlan
		want string
	}{
		{simulator.FaultPlan{Kind: simulator.FaultMalformedBody, Body: "<html>oops"}, "<html>oops"},
		{simulator.FaultPlan{Kind: simulator.FaultTruncatedBody, Count: 10000}, ""}, // longer than the body: half
		{simulator.FaultPlan{Kind: simulator.FaultHTTP5xx, Status: 500, Body: "busy"}, "busy"},
	}
	for _, tt := range tests {
		t.Run(string(tt.plan.Kind), func(t *testing.T) {
			s, _ := newSim(t, nil)
			full := func() string {
				_, b, _ := post(t, s.Transport(), "/fake/query", `{"merchant":"M1","out_trade_no":"X"}`)
				return b
			}
			clean := full()
			addFault(t, s, tt.plan)
			got := full()
			want := tt.want
			if want == "" {
				want = clean[:len(clean)/2]
			}
			if got != want {
				t.Errorf("body %q, want %q", got, want)
			}
		})
	}
}
