package unionpay

import (
	"strings"
	"testing"
	"time"
)

// FuzzDecodeForm: any request body either decodes to unique, non-empty keys or is a
// format error; never a panic.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{"", "a=1&b=2", "a=1&a=2", "=x", "%zz", "tokenPayData=%7Btoken%3D1%26trId%3D2%7D", "a&b", strings.Repeat("k=v&", 50)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeForm(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, kv := range r.p {
			if kv.Key == "" || seen[kv.Key] {
				t.Fatalf("key %q empty or repeated", kv.Key)
			}
			seen[kv.Key] = true
		}
	})
}

// FuzzParseKV: the SDK-rule parser never panics, and what encodeLine writes from its
// result parses back to the same pairs when values hold no brackets.
func FuzzParseKV(f *testing.F) {
	for _, s := range []string{"a=1", "a=1&b={x=1&y=2}&c=3", "a=[1&2]&b=", "=1", "a", "a=1&", "a={unclosed&b=2", "signPubKeyCert=-----BEGIN\n+/=\n&b=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseKV(s)
		if err != nil {
			return
		}
		for k, v := range m {
			if k == "" {
				t.Fatal("empty key accepted")
			}
			if strings.ContainsAny(v, "{}[]") || strings.ContainsAny(k, "{}[]&") {
				return
			}
		}
		if _, err := parseBraced("x", "{"+s+"}"); err != nil {
			t.Fatalf("braced form of a valid line fails: %v", err)
		}
	})
}

// FuzzCustomerInfo: base64 customerInfo never panics the decoder.
func FuzzCustomerInfo(f *testing.F) {
	for _, s := range []string{"e3Ntc0NvZGU9MTExMTExfQ==", "", "!!!", "e30="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = decodeCustomerInfo(s)
	})
}

func TestParseKV_SDKRule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		bad  bool
	}{
		{in: "a=1&b=2", want: map[string]string{"a": "1", "b": "2"}},
		{in: "tokenPayData={token=62&trId=99}&respCode=00", want: map[string]string{"tokenPayData": "{token=62&trId=99}", "respCode": "00"}},
		{in: "x=[a=1&b=2]&y==3", want: map[string]string{"x": "[a=1&b=2]", "y": "=3"}},
		{in: "sig=ab+/c==&e=", want: map[string]string{"sig": "ab+/c==", "e": ""}},
		{in: "=1", bad: true},
		{in: "a=1&b", bad: true},
		{in: "a={open", bad: true},
	} {
		got, err := parseKV(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted %v", tc.in, got)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%q: %v %v", tc.in, got, err)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

func TestFileDay_SettleDateHasNoYear(t *testing.T) {
	// 2025-01-01 10:00 Beijing: settleDate 1231 is the day before, of 2024.
	now := mustTime(t, "20250101100000")
	d, err := fileDay("1231", now)
	if err != nil || d.Compact() != "20241231" {
		t.Errorf("1231 -> %v %v", d, err)
	}
	// A 31 Dec 23:30 transaction has clearing date 0101 of the next year (§10).
	if got := settleDateOf(mustTime(t, "20241231233000")); got.Compact() != "20250101" {
		t.Errorf("31 Dec 23:30 -> %v", got)
	}
	if got := settleDateOf(mustTime(t, "20240603230000")); got.Compact() != "20240604" {
		t.Errorf("23:00:00 exactly -> %v, want the next day ([D-1 23:00, D 23:00) -> D)", got)
	}
	if _, err := fileDay("1332", now); err == nil {
		t.Error("month 13 accepted")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := parseTxnTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
