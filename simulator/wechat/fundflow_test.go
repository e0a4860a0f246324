package wechat

import (
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
)

func (e *testEnv) fundFlow(date, acct string, st sign.WeChatSignType) (string, map[string]string) {
	e.t.Helper()
	p := params("bill_date", date, "account_type", acct)
	_, _, body := e.raw("POST", "/pay/downloadfundflow", buildXML(signed(p, DemoKey, st), false))
	if strings.HasPrefix(string(body), "<xml") {
		_, m := parseResp(e.t, body)
		return "", m
	}
	return string(body), nil
}

func TestFundFlow_BasicAccountGoldenAndFailures(t *testing.T) {
	e := billDay(t, Config{})
	e.setTime(beijing(2024, 6, 4, 10, 0, 0))
	body, fail := e.fundFlow("20240603", "Basic", sign.WeChatHMACSHA256)
	if fail != nil {
		t.Fatalf("fund flow: %v", fail)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	// Payments of 0.01 (fee rounds to 0.00: no fee row), 10.00 (fee 0.06), 2.50 (fee 0.02),
	// one refund of 3.00: balance 0.01 + 10.00 - 0.06 - 3.00 + 2.50 - 0.02 = 9.43.
	if got, want := lines[len(lines)-1], "`6.0,`3.0,`12.51,`3.0,`3.08"; got != want {
		t.Errorf("totals %q, want %q", got, want)
	}
	if !strings.Contains(lines[len(lines)-3], "`9.43,") {
		t.Errorf("last balance: %s", lines[len(lines)-3])
	}
	golden(t, "fundflow_20240603_basic.txt", []byte(body))

	tests := []struct{ name, date, acct, msg string }{
		{"operation account has no flow", "20240603", "Operation", "No Bill Exist"},
		{"bad account", "20240603", "Cash", "invalid account_type"},
		{"empty day", "20240602", "Basic", "No Bill Exist"},
		{"today", "20240604", "Basic", "Bill Creating"},
	}
	for _, tt := range tests {
		_, m := e.fundFlow(tt.date, tt.acct, sign.WeChatHMACSHA256)
		if m["return_code"] != "FAIL" || m["return_msg"] != tt.msg {
			t.Errorf("%s: got %v, want %q", tt.name, m, tt.msg)
		}
	}
	if _, m := e.fundFlow("20240603", "Basic", sign.WeChatMD5); m["return_msg"] != "invalid sign_type" {
		t.Errorf("MD5 fund flow request: %v", m)
	}
}
