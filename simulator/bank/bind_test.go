package bank_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator/bank"
)

func TestBindApply_RejectsByRule(t *testing.T) {
	e := newEnv(t, bank.Config{})
	with := func(k, v string) map[string]string {
		d := bindData("", "U1", g1Card)
		if v == "-" {
			delete(d, k)
		} else {
			d[k] = v
		}
		return d
	}
	credit := map[string]string{"cardNo": "6258100000000004", "holderName": "全渠道", "idType": "01", "idNo": "341126197709218366", "mobile": "13552535506"}
	tests := []struct {
		name string
		data map[string]string
		code string
		msg  string
	}{
		{"luhn", with("cardNo", "6216261000000000011"), "2002", ""},
		{"unknown card", with("cardNo", "6216261000000000067"), "2002", ""},
		{"frozen", bindData("", "U1", map[string]string{"cardNo": "6216261000000000059", "holderName": "赵六", "idType": "01", "idNo": "310101198001010018", "mobile": "13600136000"}), "2002", "frozen"},
		{"name mismatch", with("holderName", "张三"), "3001", ""},
		{"mobile mismatch", with("mobile", "13552535507"), "3001", ""},
		{"id check char", with("idNo", "341126197709218367"), "1002", "field idNo"},
		{"mobile format", with("mobile", "12552535506"), "1002", "field mobile"},
		{"card letters", with("cardNo", "62162610000000000X8"), "1002", "field cardNo"},
		{"no idType", with("idType", "-"), "1002", "field idType"},
		{"name latin lower", with("holderName", "zhang san"), "1002", "field holderName"},
		{"credit without cvn2", bindData("", "U1", credit), "1002", "field cvn2"},
		{"credit wrong cvn2", bindData("", "U1", merge(credit, map[string]string{"cvn2": "124", "expiry": "3012"})), "2004", ""},
		{"credit expired", bindData("", "U1", merge(credit, map[string]string{"cvn2": "123", "expiry": "2401"})), "2004", "expired"},
		{"credit bad month", bindData("", "U1", merge(credit, map[string]string{"cvn2": "123", "expiry": "3013"})), "1002", "field expiry"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.data["bindNo"] = "BX" + strings.Repeat("0", i)
			a := e.c.call(bank.TxBindApply, tc.data)
			if a.code() != tc.code || !strings.Contains(a.f["respMsg"], tc.msg) {
				t.Fatalf("%s %q, want %s %q", a.code(), a.f["respMsg"], tc.code, tc.msg)
			}
			for _, secret := range []string{"6216261000000000", "13552535506", "341126197709218366"} {
				if strings.Contains(string(a.raw), secret) {
					t.Fatalf("answer leaks %q: %s", secret, a.raw)
				}
			}
		})
	}
	// Credit card with the right CVN2 and expiry binds.
	if a := e.c.call(bank.TxBindApply, bindData("BC", "U1", merge(credit, map[string]string{"cvn2": "123", "expiry": "3012"}))); a.code() != "0000" || a.d("cardType") != "CC" {
		t.Fatalf("credit bind: %s %s", a.code(), a.f["respMsg"])
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestBind_AlreadyBoundReturnsTheAgreement(t *testing.T) {
	e := newEnv(t, bank.Config{})
	pno := e.bind("B1", "U1", g1Card)
	a := e.c.call(bank.TxBindApply, bindData("B2", "U1", g1Card))
	if a.code() != "3006" || a.d("protocolNo") != pno {
		t.Fatalf("second bind: %s %v", a.code(), a.data)
	}
	// Another user may bind the same card.
	if p2 := e.bind("B3", "U2", g1Card); p2 == pno {
		t.Fatal("same protocolNo for another user")
	}
	// Repeated confirm of a confirmed bindNo answers the same agreement.
	if a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B1", "smsCode": "123456"}); a.code() != "0000" || a.d("protocolNo") != pno {
		t.Fatalf("repeat confirm: %s %v", a.code(), a.data)
	}
	// Unbind is idempotent; PAY then answers 3007; the card can be bound again.
	for i := 0; i < 2; i++ {
		if a := e.c.call(bank.TxUnbind, map[string]string{"userId": "U1", "protocolNo": pno}); a.code() != "0000" || a.d("status") != "UNBOUND" {
			t.Fatalf("unbind %d: %s", i, a.code())
		}
	}
	if a := e.c.call(bank.TxUnbind, map[string]string{"userId": "U9", "protocolNo": pno}); a.code() != "3007" {
		t.Fatalf("unbind by another user: %s", a.code())
	}
	if a := e.c.call(bank.TxPay, payData("P1", "U1", pno, "100")); a.code() != "3007" {
		t.Fatalf("pay on unbound: %s", a.code())
	}
	if p3 := e.bind("B4", "U1", g1Card); p3 == pno {
		t.Fatal("rebind reused the old protocolNo")
	}
}

func TestBindConfirm_SMSRules(t *testing.T) {
	e := newEnv(t, bank.Config{})
	apply := func(bindNo string) {
		t.Helper()
		if a := e.c.call(bank.TxBindApply, bindData(bindNo, "U-"+bindNo, g1Card)); a.code() != "0000" || a.d("smsExpireSeconds") != "300" {
			t.Fatalf("apply %s: %s", bindNo, a.code())
		}
	}
	// Five wrong codes void the application.
	apply("B1")
	for i := 1; i <= 4; i++ {
		a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B1", "smsCode": "000000"})
		if a.code() != "3002" || !strings.Contains(a.f["respMsg"], itoa1(5-i)+" attempts left") {
			t.Fatalf("wrong code %d: %s %s", i, a.code(), a.f["respMsg"])
		}
	}
	if a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B1", "smsCode": "000000"}); a.code() != "3004" {
		t.Fatalf("fifth wrong code: %s", a.code())
	}
	if a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B1", "smsCode": "111111"}); a.code() != "3005" {
		t.Fatalf("after void: %s", a.code())
	}
	// The code expires after 5 minutes; a resend (not before 60 s) gives a new one.
	apply("B2")
	first := e.sms("B2")
	if a := e.c.call(bank.TxBindSMSResend, map[string]string{"bindNo": "B2"}); a.code() != "3009" {
		t.Fatalf("resend at once: %s", a.code())
	}
	e.advance(5 * time.Minute)
	if a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B2", "smsCode": first}); a.code() != "3003" {
		t.Fatalf("expired code: %s", a.code())
	}
	if a := e.c.call(bank.TxBindSMSResend, map[string]string{"bindNo": "B2"}); a.code() != "0000" {
		t.Fatalf("resend: %s", a.code())
	}
	if a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B2", "smsCode": e.sms("B2")}); a.code() != "0000" {
		t.Fatalf("confirm after resend: %s", a.code())
	}
	// The application itself lives 10 minutes.
	apply("B3")
	e.advance(10 * time.Minute)
	if a := e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": "B3", "smsCode": "111111"}); a.code() != "3005" {
		t.Fatalf("expired application: %s", a.code())
	}
	if a := e.c.call(bank.TxBindSMSResend, map[string]string{"bindNo": "NOPE"}); a.code() != "3005" {
		t.Fatalf("unknown bindNo: %s", a.code())
	}
}

func itoa1(n int) string { return string(rune('0' + n)) }
