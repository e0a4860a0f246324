package unionpay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// FuzzParseLine: the SDK-rule answer parser never panics; whatever it accepts has
// non-empty, unique keys.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"respCode=00&respMsg=成功", "a={b=1&c=2}&d=[x&y]", "signPubKeyCert=-----BEGIN CERTIFICATE-----\nMII+/=\n-----END CERTIFICATE-----&x=1",
		"=1", "a=1&a=2", "a", "a=1&", "a={", "{=}", "a=}&b={"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseLine(s)
		if err != nil {
			if !errors.Is(err, errFormat) {
				t.Fatalf("error %v does not wrap errFormat", err)
			}
			return
		}
		for i, kv := range p {
			if kv.Key == "" || strings.Contains(kv.Key, "&") || i > 0 && p[i-1].Key >= kv.Key {
				t.Fatalf("bad or unsorted key %q", kv.Key)
			}
		}
	})
}

// FuzzDecodeNotification: any body is either refused (format or signature) or verified;
// nothing unsigned gets through.
func FuzzDecodeNotification(f *testing.F) {
	tr := demoTrust(f)
	for _, s := range []string{"respCode=00&signature=abc&signMethod=01", "a=%zz", "signMethod=11&signature=00", "", "=x", "a=1&a=2"} {
		f.Add(s)
	}
	now := time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := tr.decodeNotification([]byte(s), nil, now)
		if err == nil {
			t.Fatalf("an arbitrary body verified: %v", v.p)
		}
		if !errors.Is(err, errFormat) && !errors.Is(err, errSignature) {
			t.Fatalf("error %v is neither format nor signature", err)
		}
	})
}

// FuzzParseBraced: tokenPayData and customerInfo contents never panic the reader.
func FuzzParseBraced(f *testing.F) {
	for _, s := range []string{"{token=1&trId=2}", "{}", "{", "}", "{a=[1&2]}", "{=}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _, _ = parseBraced("tokenPayData", s) })
}

// FuzzZMLine: any line is a record or a *zmError naming a field; never a panic.
func FuzzZMLine(f *testing.F) {
	f.Add(zmTestLine(1))
	f.Add(zmTestLine(2)[:500])
	f.Add(strings.Repeat("9", 700))
	f.Fuzz(func(t *testing.T, s string) {
		z := newZMReader(strings.NewReader(s))
		for i := 0; i < 1000; i++ {
			_, err := z.next()
			if errors.Is(err, io.EOF) {
				return
			}
			var ze *zmError
			if err != nil && !errors.As(err, &ze) {
				t.Fatalf("error %v is not a zmError", err)
			}
		}
	})
}

// FuzzAppendUnescaped: the notification decoder's unescaping agrees with net/url.
func FuzzAppendUnescaped(f *testing.F) {
	for _, s := range []string{"a+b%2B%3D", "%", "%zz", "-----BEGIN%0AMII%2F%2B%3D", "plain", "%E4%B8%AD+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendUnescaped(nil, []byte(s))
		want, err := url.QueryUnescape(s)
		if ok != (err == nil) {
			t.Fatalf("%q: ok=%v, net/url err=%v", s, ok, err)
		}
		if ok && string(got) != want {
			t.Fatalf("%q: %q, net/url %q", s, got, want)
		}
	})
}

// FuzzZMELine: a ZME line never panics; a record it reads has a masked card.
func FuzzZMELine(f *testing.F) {
	f.Add("S56 48020000    00010000    123456 0310100000 622155******0000    000000001200 5999 07" + strings.Repeat(" ", 200) + "260310100000123456789 LATE00000001")
	f.Add("")
	f.Add("S56 x")
	day, _ := clock.ParseDate("2026-03-10")
	f.Fuzz(func(t *testing.T, line string) {
		s := &statementReader{day: day}
		var rec channel.StatementRecord
		if err := s.fromZME(line, 1, &rec); err == nil && rec.CardMasked != "" && len(rec.CardMasked) >= 11 && !strings.Contains(rec.CardMasked, "*") {
			t.Errorf("unmasked card %q", rec.CardMasked)
		}
	})
}

// FuzzParseNotification: any body gives a notification or a Signature/InvalidRequest
// error, never a panic.
func FuzzParseNotification(f *testing.F) {
	c := newTestClient(f, "01", "http://gateway.test", http.DefaultClient, clock.NewVirtual(time.Date(2026, 3, 10, 10, 0, 0, 0, clock.Beijing())), io.Discard)
	f.Add([]byte("respCode=00&signMethod=01&signature=AAAA"))
	f.Add([]byte("txnType=01&respCode=42"))
	f.Add([]byte("a=%zz&&=x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := c.ParseNotification(context.Background(), nil, body)
		if err == nil && n == nil {
			t.Fatal("nil notification without an error")
		}
		if err != nil && !errors.Is(err, channel.ErrSignature) && !errors.Is(err, channel.ErrInvalidRequest) {
			t.Errorf("error kind %v: %v", channel.KindOf(err), err)
		}
	})
}

// FuzzParseRD: the RD summary parser never panics and states no negative count.
func FuzzParseRD(f *testing.F) {
	f.Add([]byte("\xd6\xd0\xb9\xfa\r\n\xcf\xfb\xb7\xd1        1      12.00     0.07\r\n"))
	f.Add([]byte("消费 3 104.11 0.46\n退货 1 25.00 -0.15\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r := parseRD(b); r != nil && (r.count < 0 || r.payments < 0 || r.refunds < 0) {
			t.Errorf("negative count: %+v", r)
		}
	})
}
