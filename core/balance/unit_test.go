package balance

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestMaskName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"李", "*"},
		{"张三", "*三"},
		{"张三丰", "张*丰"},
		{"欧阳娜娜", "欧**娜"},
		{"  王五  ", "*五"},
		{"Bob Lee", "B*****e"},
		{"上海通道科技有限公司", "上********司"},
	} {
		if got := MaskName(tc.in); got != tc.want {
			t.Errorf("MaskName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLimiter_BurstThenOnePerInterval(t *testing.T) {
	l := newLimiter(Limit{Every: time.Second, Burst: 3})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		key  string
		ok   bool
		wait time.Duration
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, time.Second},
		{0, "b", true, 0}, // keys are independent
		{400 * time.Millisecond, "a", false, 600 * time.Millisecond},
		{time.Second, "a", true, 0},
		{time.Second, "a", false, time.Second},
		{10 * time.Second, "a", true, 0}, // idle long enough: the full burst again
		{10 * time.Second, "a", true, 0},
		{10 * time.Second, "a", true, 0},
		{10 * time.Second, "a", false, time.Second},
	}
	for i, s := range steps {
		ok, wait := l.allow(s.key, t0.Add(s.at))
		if ok != s.ok || wait != s.wait {
			t.Fatalf("step %d: allow=%v wait=%s, want %v %s", i, ok, wait, s.ok, s.wait)
		}
	}
}

func TestLimiter_SweepsIdleKeys(t *testing.T) {
	l := newLimiter(Limit{Every: time.Millisecond, Burst: 1})
	l.maxKeys = 4
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10000; i++ {
		l.allow(strings.Repeat("k", i%97)+string(rune('a'+i%26)), t0.Add(time.Duration(i)*time.Second))
	}
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].tat)
	}
	if n > len(l.shards)*l.maxKeys {
		t.Fatalf("%d keys kept, want at most %d", n, len(l.shards)*l.maxKeys)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{{0, 1}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {59 * time.Second, 59}} {
		if got := RetryAfterSeconds(tc.d); got != tc.want {
			t.Errorf("RetryAfterSeconds(%s) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestClientIP(t *testing.T) {
	s := &Service{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	for _, tc := range []struct{ remote, xff, want string }{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.1", "192.0.2.1"}, // an untrusted peer's header is ignored
		{"10.1.1.1:5000", "198.51.100.1", "198.51.100.1"},
		{"10.1.1.1:5000", "1.1.1.1, 198.51.100.1, 10.2.2.2", "198.51.100.1"}, // rightmost untrusted hop
		{"10.1.1.1:5000", "garbage, 198.51.100.1", "198.51.100.1"},
		{"10.1.1.1:5000", "198.51.100.1, garbage", "10.1.1.1"}, // malformed nearest hop: trust nothing beyond
		{"10.1.1.1:5000", "", "10.1.1.1"},
		{"[::ffff:192.0.2.5]:1", "", "192.0.2.5"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("clientIP(%s, %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestTokens_BoundToClaimsAndKey(t *testing.T) {
	tk := tokens{key: bytes.Repeat([]byte("k"), 32)}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := tk.sign(Claims{User: "u1", Account: "a1", Merchant: "M", Expires: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.check(s, now)
	if err != nil || c.User != "u1" || c.Account != "a1" || c.Merchant != "M" || !c.Expires.Equal(now.Add(time.Minute)) {
		t.Fatalf("check: %+v %v", c, err)
	}
	if _, err := tk.check(s, now.Add(time.Minute)); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("at expiry: %v, want ErrTokenExpired", err)
	}
	other := tokens{key: bytes.Repeat([]byte("o"), 32)}
	if _, err := other.check(s, now); !errors.Is(err, ErrTokenSignature) {
		t.Fatalf("other key: %v, want ErrTokenSignature", err)
	}
	s2, _ := tk.sign(Claims{User: "u1", Account: "a1", Merchant: "M", Expires: now.Add(time.Minute)})
	if s2 == s {
		t.Fatal("two tokens with the same claims are equal: the nonce is missing")
	}
}

// FuzzTokenParse: any string is refused or parsed without panicking, and only a string our
// key signed parses.
func FuzzTokenParse(f *testing.F) {
	tk := tokens{key: bytes.Repeat([]byte("k"), 32)}
	good, _ := tk.sign(Claims{User: "u1", Account: "a1", Expires: time.Unix(2e9, 0)})
	for _, s := range []string{good, "", "bt1.", "bt1..", "bt1.e30.", good[:len(good)-2], strings.Replace(good, "bt1.", "bt2.", 1), "Bearer x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := tk.parse(s)
		if err == nil {
			if c.User == "" || c.Account == "" {
				t.Fatalf("parsed %q to empty claims %+v", s, c)
			}
			body := s[len(tokenPrefix):strings.LastIndex(s, ".")]
			if !bytes.Equal(tk.mac(tokenPrefix+body), mustB64(s[strings.LastIndex(s, ".")+1:])) {
				t.Fatalf("parsed %q without a valid MAC", s)
			}
		}
	})
}
