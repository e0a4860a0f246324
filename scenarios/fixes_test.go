package scenarios_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

func TestParse_RefundedAmountRefusedWhereTheChannelDoesNotReportIt(t *testing.T) {
	for _, tc := range []struct {
		channel string
		err     string
	}{
		{"wechat", "f.yaml:5:13: steps[0].expect.refunded_amount: not reported by this channel: wechat query results carry no refunded amount"},
		{"unionpay", "not reported by this channel: unionpay query"},
		{"bank", "not reported by this channel: bank query"},
		{"alipay", ""},
	} {
		src := "name: x\nchannel: " + tc.channel + "\nsteps:\n  - query: {order: A}\n    expect: {status: REFUNDED, refunded_amount: \"0.40\"}\n"
		_, err := scenarios.Parse("f.yaml", []byte(src), scenarios.ParseOptions{})
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.channel, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: got %v, want %q", tc.channel, err, tc.err)
		}
	}
}

func TestTranscriptNames_KeepTheFolderSoSameNamedFilesDoNotOverwrite(t *testing.T) {
	res := func(file, inst string) scenarios.Result {
		return scenarios.Result{Scenario: &scenarios.Scenario{Pos: scenarios.Pos{File: file}, Instance: inst}}
	}
	for _, tc := range []struct {
		name    string
		results []scenarios.Result
		want    []string
	}{
		{"two suites", []scenarios.Result{res("scenarios/wechat/refund.yaml", ""), res("scenarios/alipay/refund.yaml", ""), res("scenarios/alipay/pay.yaml", "")},
			[]string{"scenarios/wechat/refund.txt", "scenarios/alipay/refund.txt", "scenarios/alipay/pay.txt"}},
		{"one folder", []scenarios.Result{res("/tmp/x/ok.yaml", ""), res("/tmp/x/bad.yaml", "")}, []string{"x/ok.txt", "x/bad.txt"}},
		{"bare files", []scenarios.Result{res("ok.yaml", ""), res("sub/ok.yaml", "")}, []string{"ok.txt", "sub/ok.txt"}},
		{"matrix", []scenarios.Result{res("s/pay.yaml", "ch=wechat, amount=1.00"), res("s/pay.yaml", "ch=alipay, amount=1.00")},
			[]string{"s/pay[ch=wechat__amount=1.00].txt", "s/pay[ch=alipay__amount=1.00].txt"}},
		{"same file twice", []scenarios.Result{res("s/a.yaml", ""), res("s/a.yaml", "")}, []string{"s/a.txt", "s/a-2.txt"}},
		{"dotdot", []scenarios.Result{res("../up/a.yaml", ""), res("../up/b/a.yaml", "")}, []string{"up/a.txt", "up/b/a.txt"}},
	} {
		got := scenarios.TranscriptNames(tc.results)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWriteHTML_GoldenOutput(t *testing.T) {
	results := goldenResults(t)
	var b bytes.Buffer
	if err := scenarios.WriteHTML(&b, results); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/report.golden.html", b.Bytes())
	out := b.String()
	// One self-contained file: no external assets, no scripts.
	for _, banned := range []string{"<script", "<link", "src=", "http://", "https://", "@import"} {
		if strings.Contains(out, banned) {
			t.Errorf("report contains %q", banned)
		}
	}
	for _, want := range []string{"fails &lt;&amp;&gt;", "expected status SUCCEEDED, got PENDING", "expected 2 simulator records with channel=toy kind=call op=query, got 1",
		`<td class="k">request</td>`, "not run", "seed 7", "tags smoke, pay"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestRun_ReportsEveryFailingExpectationOfAStep(t *testing.T) {
	r := runToy(t, `
name: several
channel: toy
steps:
  - pay: {order: A, amount: "1.00"}
    expect:
      status: SUCCEEDED
      records:
        - {kind: call, op: pay, count: 2}
        - {kind: call, op: pay, count: 1}
        - {kind: payer, min: 1}
  - advance: 1s
`)
	if r.Passed || r.Steps != 0 || len(r.Failures) != 3 {
		t.Fatalf("passed=%t steps=%d failures=%+v", r.Passed, r.Steps, r.Failures)
	}
	for i, want := range []string{"toy.yaml:6:7: expected status SUCCEEDED, got PENDING", "toy.yaml:8:11: expected 2 simulator records", "toy.yaml:10:11: expected at least 1 simulator records"} {
		if got := r.Failures[i].Pos.String() + ": " + r.Failures[i].Message; !strings.HasPrefix(got, want) {
			t.Errorf("failure %d = %q, want %q", i, got, want)
		}
	}
	if r.Failure == nil || r.Failure.Message != r.Failures[0].Message || len(r.Failure.Excerpt) == 0 {
		t.Errorf("first failure = %+v", r.Failure)
	}
	text := scenarios.FormatFailure(r)
	if strings.Count(text, "  also toy.yaml:") != 2 {
		t.Errorf("FormatFailure lists the others once each:\n%s", text)
	}
}
