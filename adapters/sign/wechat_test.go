package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Official example, WeChat Pay v2 security spec (wechat-v2.md §3.3).
func weChatDocParams() Params {
	return Params{
		{"appid", "wxd930ea5d5a258f4f"},
		{"mch_id", "10000100"},
		{"device_info", "1000"},
		{"body", "test"},
		{"nonce_str", "ibuaiVcKdpRxkhJA"},
	}
}

const weChatDocKey = "192006250b4c09247ec02edce69f6a2d"

func TestWeChatSign_DocumentationVectors(t *testing.T) {
	withSignType := func(st string) Params { p := weChatDocParams(); p.Set("sign_type", st); return p }
	withEmpty := func() Params { p := weChatDocParams(); p.Set("no_value", ""); return p }
	tests := []struct {
		name   string
		params Params
		typ    WeChatSignType
		want   string
	}{
		{"official MD5", weChatDocParams(), WeChatMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"official HMAC-SHA256", weChatDocParams(), WeChatHMACSHA256, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"},
		{"empty type means MD5", weChatDocParams(), "", "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"sign_type=MD5 participates", withSignType("MD5"), WeChatMD5, "6B4978B16793D0C2604CD59C47425A27"},
		{"sign_type=HMAC-SHA256 participates", withSignType("HMAC-SHA256"), WeChatHMACSHA256, "2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B"},
		{"empty field does not change MD5", withEmpty(), WeChatMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"empty field does not change HMAC", withEmpty(), WeChatHMACSHA256, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WeChatSign(tt.params, weChatDocKey, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("WeChatSign = %s, want %s", got, tt.want)
			}
			p := tt.params.Clone()
			p.Set("sign", got) // a received message still carries its sign
			if err := WeChatVerify(p, weChatDocKey, tt.typ, got); err != nil {
				t.Fatalf("verify own sign: %v", err)
			}
		})
	}
}

func TestWeChatCanonical_DocumentationString(t *testing.T) {
	opts := WeChatCanonical()
	opts.Suffix = "&key=" + weChatDocKey
	got := Canonical(weChatDocParams(), opts)
	want := "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestWeChatVerify_RejectsTamperedAndAcceptsLowerCase(t *testing.T) {
	p := weChatDocParams()
	tests := []struct {
		name    string
		params  Params
		key     string
		sign    string
		wantErr error
	}{
		{"lower-case hex accepted", p, weChatDocKey, "9a0a8659f005d6984697e2ca0a9cf3b7", nil},
		{"one digit changed", p, weChatDocKey, "9A0A8659F005D6984697E2CA0A9CF3B8", ErrBadSignature},
		{"wrong key", p, "00000000000000000000000000000000", "9A0A8659F005D6984697E2CA0A9CF3B7", ErrBadSignature},
		{"truncated", p, weChatDocKey, "9A0A8659", ErrBadSignature},
		{"empty", p, weChatDocKey, "", ErrBadSignature},
		{"overlong", p, weChatDocKey, "9A0A8659F005D6984697E2CA0A9CF3B79A0A8659F005D6984697E2CA0A9CF3B7FF", ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WeChatVerify(tt.params, tt.key, WeChatMD5, tt.sign)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestWeChatSignType_ParseAndInfer(t *testing.T) {
	if st, err := ParseWeChatSignType(""); err != nil || st != WeChatMD5 {
		t.Fatalf("empty: %v %v", st, err)
	}
	if st, err := ParseWeChatSignType("HMAC-SHA256"); err != nil || st != WeChatHMACSHA256 {
		t.Fatalf("hmac: %v %v", st, err)
	}
	if _, err := ParseWeChatSignType("HMAC_SHA256"); !errors.Is(err, ErrInput) {
		t.Fatalf("misspelt: %v", err)
	}
	if st, _ := WeChatSignTypeOf("6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"); st != WeChatHMACSHA256 {
		t.Fatalf("infer 64: %v", st)
	}
	if st, _ := WeChatSignTypeOf("9A0A8659F005D6984697E2CA0A9CF3B7"); st != WeChatMD5 {
		t.Fatalf("infer 32: %v", st)
	}
	if _, err := WeChatSignTypeOf("abc"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("infer 3: %v", err)
	}
	if _, err := WeChatSign(weChatDocParams(), weChatDocKey, "SHA1"); !errors.Is(err, ErrInput) {
		t.Fatalf("unknown type: %v", err)
	}
}

// The hand-rolled HMAC must equal crypto/hmac, also for keys longer than a block.
func TestWeChatSignHMAC_MatchesCryptoHMAC(t *testing.T) {
	for _, key := range []string{"", "k", weChatDocKey, strings.Repeat("long-key-", 20)} {
		got, err := WeChatSign(weChatDocParams(), key, WeChatHMACSHA256)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, []byte(key))
		opts := WeChatCanonical()
		opts.Suffix = "&key=" + key
		mac.Write([]byte(Canonical(weChatDocParams(), opts)))
		if want := strings.ToUpper(hex.EncodeToString(mac.Sum(nil))); got != want {
			t.Fatalf("key %q: got %s, want %s", key, got, want)
		}
	}
}

func TestWeChatSign_AllocationBudget(t *testing.T) {
	p := weChatDocParams()
	n := testing.AllocsPerRun(100, func() { _, _ = WeChatSign(p, weChatDocKey, WeChatMD5) })
	if n > 1 {
		t.Fatalf("WeChatSign MD5 allocates %.0f times, want 1 (the result string)", n)
	}
}
