package unionpay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

func (w *wireEnv) wire(t *testing.T, client *http.Client, base string) *wire {
	t.Helper()
	x, err := newWire(wireConfig{baseURL: base, fileURL: base + "/filedownload", merID: demoMerID, client: client,
		clock: w.sim.Clock(), creds: demoRSACreds(t), trust: w.tr, enc: mustEnc(t, "unionpay_enc_cert.pem")})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestWireCall_RulesForAnswersAndFailures(t *testing.T) {
	w := newWireEnv(t)
	x := w.wire(t, w.sim.Client(), w.sim.URL)
	ctx := context.Background()
	query := sign.Params{{Key: "txnType", Value: "00"}, {Key: "txnSubType", Value: "00"}, {Key: "bizType", Value: "000000"},
		{Key: "orderId", Value: "NOSUCHORDER1"}, {Key: "txnTime", Value: timeTxn(w.now())}}
	v, err := x.call(ctx, pathQuery, "query", opSync, query)
	var we *wireError
	if !errors.As(err, &we) || we.code != "34" || we.Kind() != channel.KindNotFound || v == nil {
		t.Fatalf("unknown order: %v", err)
	}

	for _, tc := range []struct {
		name string
		plan simulator.FaultPlan
	}{
		{"timeout before", simulator.FaultPlan{Kind: simulator.FaultTimeoutBefore}},
		{"reset after", simulator.FaultPlan{Kind: simulator.FaultReset, Stage: simulator.StageAfter}},
		{"5xx", simulator.FaultPlan{Kind: simulator.FaultHTTP5xx}},
		{"bad signature", simulator.FaultPlan{Kind: simulator.FaultBadSignature}},
		{"malformed", simulator.FaultPlan{Kind: simulator.FaultMalformedBody}},
		{"truncated", simulator.FaultPlan{Kind: simulator.FaultTruncatedBody}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plan
			p.Channel, p.Op, p.First = "unionpay", "query", 1
			if _, err := w.sim.AddFault(p); err != nil {
				t.Fatal(err)
			}
			x := w.wire(t, &http.Client{Transport: w.sim.Transport()}, "http://sim")
			v, err := x.call(ctx, pathQuery, "query", opMoney, query)
			var we *wireError
			if v != nil || !errors.As(err, &we) || we.rule.outcome != outUnknown || we.Kind() != channel.KindUnknown || !errors.Is(err, err) {
				t.Fatalf("%v (v=%v): want no answer and an Unknown outcome", err, v)
			}
		})
	}
}

func TestPollQuery_KeepQueryingIsNeverFailed(t *testing.T) {
	ans := func(resp, orig string) *verified {
		return &verified{p: fieldsOf(map[string]string{"respCode": resp, "origRespCode": orig})}
	}
	for _, tc := range []struct {
		name    string
		answers []*verified
		want    outcome
		queries int
	}{
		{"succeeds on the third", []*verified{ans("03", ""), ans("00", "05"), ans("00", "00")}, outSucceeded, 3},
		{"not found then found", []*verified{ans("34", ""), ans("00", "A6")}, outSucceeded, 2},
		{"fails on the second", []*verified{nil, ans("00", "64")}, outFailed, 2},
		{"still processing after six", []*verified{ans("00", "05"), ans("04", ""), ans("00", "03"), ans("05", ""), ans("34", ""), nil}, outUnknown, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewVirtual(time.Date(2024, 6, 3, 10, 0, 0, 0, clock.Beijing()))
			start := clk.Now()
			n := 0
			done := make(chan codeRule, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				r, _, _ := pollQuery(context.Background(), clk, func(context.Context) (*verified, error) {
					a := tc.answers[n]
					n++
					if a == nil {
						return nil, errors.New("timeout")
					}
					return a, nil
				})
				cancel()
				done <- r
			}()
			// Move the virtual clock to each wait the loop sets, until it returns.
			for clk.WaitForPending(ctx, 1) == nil {
				clk.AdvanceToNext()
			}
			r := <-done
			if r.outcome != tc.want || n != tc.queries {
				t.Errorf("outcome %v after %d queries, want %v after %d", r.outcome, n, tc.want, tc.queries)
			}
			if r.outcome == outUnknown && r.kind != channel.KindUnknown {
				t.Errorf("undecided must be KindUnknown, got %v", r.kind)
			}
			if tc.queries == 6 {
				if waited := clk.Now().Sub(start); waited != 63*time.Second {
					t.Errorf("waited %v, want 1+2+4+8+16+32 s", waited)
				}
			}
		})
	}
}

func TestFileZM_DownloadAndParse(t *testing.T) {
	w := newWireEnv(t)
	x := w.wire(t, w.sim.Client(), w.sim.URL)
	ctx := context.Background()
	c := demoRSACreds(t)
	accNo, encID, _ := mustEnc(t, "unionpay_enc_cert.pem").encryptAccNo("6221558812340000")
	ci, _ := customerInfo(mustEnc(t, "unionpay_enc_cert.pem"), nil, []string{"phoneNo", "13552535506", "cvn2", "123", "expired", "2311"})
	v, err := w.send(c, pathBack, sign.Params{{Key: "txnType", Value: "79"}, {Key: "txnSubType", Value: "00"}, {Key: "bizType", Value: "000902"},
		{Key: "accNo", Value: accNo}, {Key: "encryptCertId", Value: encID}, {Key: "customerInfo", Value: ci},
		{Key: "tokenPayData", Value: "{trId=62000000001&tokenType=01}"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := parseBraced("tokenPayData", v.get("tokenPayData"))
	smsCI, _ := customerInfo(nil, []string{"smsCode", "111111"}, nil)
	consume := sign.Params{{Key: "txnType", Value: "01"}, {Key: "txnSubType", Value: "01"}, {Key: "bizType", Value: "000902"},
		{Key: "tokenPayData", Value: braced("trId", "62000000001", "token", tok["token"])}, {Key: "txnAmt", Value: "476800"},
		{Key: "currencyCode", Value: "156"}, {Key: "customerInfo", Value: smsCI}, {Key: "backUrl", Value: "http://m.test/n"},
		{Key: "orderId", Value: "FILE0000001"}, {Key: "txnTime", Value: timeTxn(w.now())}}
	cv, err := x.call(ctx, pathBack, "consume", opMoney, consume)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := x.fileZM(ctx, "0603"); !errors.As(err, new(*wireError)) {
		t.Fatalf("before 09:00 the next day: %v, want respCode 98", err)
	}
	if err := w.sim.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	r, name, err := x.fileZM(ctx, "0603")
	if err != nil {
		t.Fatal(err)
	}
	if name != demoMerID+"_20240603.zip" {
		t.Errorf("fileName %s", name)
	}
	z := newZMReader(r)
	rec, err := z.next()
	if err != nil {
		t.Fatal(err)
	}
	if rec.QueryID != cv.get("queryId") || rec.OrderID != "FILE0000001" || rec.Amount != 476800 || rec.Fee != -2861 || rec.Settle != 473939 || rec.TxnType != "01" || rec.Card != "622155******0000" {
		t.Errorf("record %+v", rec)
	}
	if _, err := z.next(); !errors.Is(err, io.EOF) {
		t.Errorf("second record: %v", err)
	}
}

func TestNewWire_ConfigErrorsNameTheField(t *testing.T) {
	ok := wireConfig{baseURL: "https://gateway.test", merID: demoMerID, client: http.DefaultClient, clock: clock.Real(), creds: &credentials{}, trust: &trust{}}
	for name, mut := range map[string]func(*wireConfig){
		"BaseURL":    func(c *wireConfig) { c.baseURL = "" },
		"MerID":      func(c *wireConfig) { c.merID = "1" },
		"HTTPClient": func(c *wireConfig) { c.client = nil },
		"Clock":      func(c *wireConfig) { c.clock = nil },
		"FileURL":    func(c *wireConfig) { c.fileURL = "ftp://x" },
	} {
		c := ok
		mut(&c)
		if _, err := newWire(c); err == nil || !containsStr(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := newWire(ok); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
