package bank

import (
	"regexp"
	"strings"
	"testing"
)

var reSerial = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func TestSerials_DeterministicPerOperationAndNumber(t *testing.T) {
	s := newSerials("M0000001", privHex(t, gMerchantPriv))
	a, err := s.derive("PAY", "P1")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.derive("PAY", "P1"); a != b {
		t.Fatal("same operation and number, different serial")
	}
	if !reSerial.MatchString(a) || len(a) != 32 || !strings.HasPrefix(a, "PY") {
		t.Fatalf("serial %q", a)
	}
	others := map[string][2]string{}
	add := func(name, tx string, parts ...string) {
		v, err := s.derive(tx, parts...)
		if err != nil {
			t.Fatal(err)
		}
		others[name] = [2]string{v}
		if v == a {
			t.Errorf("%s collides with PAY P1", name)
		}
	}
	add("other order", "PAY", "P2")
	add("refund of same number", "REFUND", "P1")
	add("payout of same number", "PAYOUT", "P1")
	add("confirm code 1", "BIND_CONFIRM", "B1", "111111")
	add("confirm code 2", "BIND_CONFIRM", "B1", "222222")
	if others["confirm code 1"] == others["confirm code 2"] {
		t.Error("a corrected SMS code reuses the serial (would be 1003)")
	}
	r1, _ := s.derive("BIND_SMS_RESEND", "B1", "1")
	r2, _ := s.derive("BIND_SMS_RESEND", "B1", "2")
	if r1 == r2 {
		t.Error("two resends share a serial (the second would replay the first)")
	}
	// Another merchant or key derives other serials; the serial does not show its input.
	s2 := newSerials("M0000002", privHex(t, gMerchantPriv))
	if v, _ := s2.derive("PAY", "P1"); v == a {
		t.Error("merchant not part of the derivation")
	}
	s3 := newSerials("M0000001", privHex(t, gBankPriv))
	if v, _ := s3.derive("PAY", "P1"); v == a {
		t.Error("key not part of the derivation")
	}
	if strings.Contains(others["confirm code 1"][0], "111111") {
		t.Error("serial shows the SMS code")
	}
	for _, bad := range [][]string{{"PAY_QUERY", "P1"}, {"BALANCE_QUERY"}, {"PAY"}, {"PAY", ""}} {
		if _, err := s.derive(bad[0], bad[1:]...); err == nil {
			t.Errorf("derive%v accepted", bad)
		}
	}
	f1, f2 := s.fresh(), s.fresh()
	if f1 == f2 || !reSerial.MatchString(f1) || len(f1) != 32 {
		t.Fatalf("fresh serials %q %q", f1, f2)
	}
}
