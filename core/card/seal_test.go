package card

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/tjfoc/gmsm/sm3"
)

var (
	testKey1 = bytes.Repeat([]byte{1}, KeySize)
	testKey2 = bytes.Repeat([]byte{2}, KeySize)
	testFP   = bytes.Repeat([]byte{9}, 32)
)

func newTestKeyring(t testing.TB, active string, keys map[string][]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(KeyringConfig{Keys: keys, Active: active, FingerprintKey: testFP})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestHMACSM3_Vector(t *testing.T) {
	// gm-crypto HMAC-1: HMAC-SM3(key "key", "abc"); the fingerprint uses the same construction.
	m := hmac.New(sm3.New, []byte("key"))
	m.Write([]byte("abc"))
	if got := hex.EncodeToString(m.Sum(nil)); got != "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393" {
		t.Fatalf("HMAC-SM3 = %s", got)
	}
}

func TestSeal_RoundTripEveryField(t *testing.T) {
	k := newTestKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	for _, tc := range []struct {
		f Field
		v string
	}{{FieldPAN, "6216261000000000018"}, {FieldPhone, "13552535506"}, {FieldIDNo, "341126197709218366"}} {
		s, err := k.Seal(tc.f, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if s.KeyID != "k1" || len(s.Nonce) != 12 || len(s.Data) != len(tc.v)+16 {
			t.Fatalf("sealed %s: %+v", tc.f, s)
		}
		text := s.String()
		if strings.Contains(text, tc.v) || !strings.HasPrefix(text, "v1:k1:") {
			t.Fatalf("text form %q", text)
		}
		back, err := ParseSealed(text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Open(tc.f, back)
		if err != nil || got != tc.v {
			t.Fatalf("Open = %q, %v", got, err)
		}
		s2, _ := k.Seal(tc.f, tc.v)
		if bytes.Equal(s.Data, s2.Data) {
			t.Fatal("two seals of one value are equal: nonce reused")
		}
	}
}

func TestOpen_DetectsTampering(t *testing.T) {
	k := newTestKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	s, _ := k.Seal(FieldPAN, "6216261000000000018")
	for i := range s.Data {
		bad := Sealed{KeyID: s.KeyID, Nonce: s.Nonce, Data: bytes.Clone(s.Data)}
		bad.Data[i] ^= 0x01
		if _, err := k.Open(FieldPAN, bad); !errors.Is(err, ErrOpen) {
			t.Fatalf("flipped data byte %d: err = %v", i, err)
		}
	}
	badNonce := Sealed{KeyID: s.KeyID, Nonce: bytes.Clone(s.Nonce), Data: s.Data}
	badNonce.Nonce[0] ^= 1
	if _, err := k.Open(FieldPAN, badNonce); !errors.Is(err, ErrOpen) {
		t.Fatalf("flipped nonce: %v", err)
	}
	if _, err := k.Open(FieldPhone, s); !errors.Is(err, ErrOpen) {
		t.Fatalf("opened a PAN as a phone: %v", err)
	}
	// Same id, different key (a misconfiguration) must not open either.
	other := newTestKeyring(t, "k1", map[string][]byte{"k1": testKey2})
	if _, err := other.Open(FieldPAN, s); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := k.Open(FieldPAN, Sealed{KeyID: "nope", Nonce: s.Nonce, Data: s.Data}); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := k.Open(FieldPAN, Sealed{KeyID: "k1", Nonce: s.Nonce[:5], Data: s.Data}); !errors.Is(err, ErrOpen) {
		t.Fatalf("short nonce: %v", err)
	}
}

func TestKeyring_Rotation(t *testing.T) {
	old := newTestKeyring(t, "2024", map[string][]byte{"2024": testKey1})
	s, _ := old.Seal(FieldPhone, "13552535506")

	rotated := newTestKeyring(t, "2025", map[string][]byte{"2024": testKey1, "2025": testKey2})
	if got, err := rotated.Open(FieldPhone, s); err != nil || got != "13552535506" {
		t.Fatalf("old value under rotated keyring: %q, %v", got, err)
	}
	if !rotated.NeedsReseal(s) {
		t.Fatal("NeedsReseal = false for a value under the old key")
	}
	re, err := rotated.Reseal(FieldPhone, s)
	if err != nil || re.KeyID != "2025" || rotated.NeedsReseal(re) {
		t.Fatalf("Reseal = %+v, %v", re, err)
	}
	if same, _ := rotated.Reseal(FieldPhone, re); same.String() != re.String() {
		t.Fatal("Reseal of a current value changed it")
	}
	// The old key can be dropped once everything is resealed.
	current := newTestKeyring(t, "2025", map[string][]byte{"2025": testKey2})
	if got, err := current.Open(FieldPhone, re); err != nil || got != "13552535506" {
		t.Fatalf("after dropping the old key: %q, %v", got, err)
	}
	if _, err := current.Open(FieldPhone, s); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old value after dropping its key: %v", err)
	}
	if ids := rotated.KeyIDs(); fmt.Sprint(ids) != "[2024 2025]" || rotated.ActiveKeyID() != "2025" {
		t.Fatalf("KeyIDs %v active %s", ids, rotated.ActiveKeyID())
	}
}

func TestNewKeyring_RejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  KeyringConfig
		want string
	}{
		{"no keys", KeyringConfig{Active: "a", FingerprintKey: testFP}, "field Keys"},
		{"short key", KeyringConfig{Keys: map[string][]byte{"a": {1, 2}}, Active: "a", FingerprintKey: testFP}, "Keys[a]: 2 bytes"},
		{"bad id", KeyringConfig{Keys: map[string][]byte{"a:b": testKey1}, Active: "a:b", FingerprintKey: testFP}, "key id"},
		{"active missing", KeyringConfig{Keys: map[string][]byte{"a": testKey1}, Active: "b", FingerprintKey: testFP}, "field Active"},
		{"short fp", KeyringConfig{Keys: map[string][]byte{"a": testKey1}, Active: "a", FingerprintKey: []byte("short")}, "field FingerprintKey"},
		{"fp equals key", KeyringConfig{Keys: map[string][]byte{"a": testKey1}, Active: "a", FingerprintKey: testKey1}, "separate key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewKeyring(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), string(testKey1)) {
				t.Fatal("error contains key bytes")
			}
		})
	}
}

func TestSeal_RejectsBadInputWithoutEchoingIt(t *testing.T) {
	k := newTestKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	if _, err := k.Seal("cvn2", "123"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown field: %v", err)
	}
	if _, err := k.Seal(FieldPAN, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty: %v", err)
	}
	long := strings.Repeat("7", 300)
	if _, err := k.Seal(FieldPAN, long); !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "777") {
		t.Fatalf("too long: %v", err)
	}
}

func TestParseSealed_RejectsMalformedText(t *testing.T) {
	for _, in := range []string{"v2:k1:AAAA", "v1:k1", "v1::AAAA", "v1:k 1:AAAA", "v1:k1:AAAA", "v1:k1:!!!!", "v1:k1:" + strings.Repeat("A", 40) + "=", "v1:k1:" + strings.Repeat("A", 600)} {
		if _, err := ParseSealed(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSealed(%q) = %v", in, err)
		}
	}
	if s, err := ParseSealed(""); err != nil || !s.IsZero() || s.String() != "" {
		t.Errorf("empty: %+v %v", s, err)
	}
}

func TestFingerprint_KeyedFieldBoundAndNormalised(t *testing.T) {
	k := newTestKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	a := k.Fingerprint(FieldPAN, "6216261000000000018")
	if b := k.Fingerprint(FieldPAN, "6216 2610 0000 0000 018"); !a.Equal(b) {
		t.Error("spaces change the fingerprint")
	}
	if b := k.Fingerprint(FieldPAN, "6216261000000000026"); a.Equal(b) {
		t.Error("different cards, same fingerprint")
	}
	if b := k.Fingerprint(FieldPhone, "6216261000000000018"); a.Equal(b) {
		t.Error("field not bound into the fingerprint")
	}
	if k.Fingerprint(FieldIDNo, "11010519491231002x") != k.Fingerprint(FieldIDNo, "11010519491231002X") {
		t.Error("ID check character case matters")
	}
	other, _ := NewKeyring(KeyringConfig{Keys: map[string][]byte{"k1": testKey1}, Active: "k1", FingerprintKey: bytes.Repeat([]byte{8}, 32)})
	if other.Fingerprint(FieldPAN, "6216261000000000018").Equal(a) {
		t.Error("fingerprint does not depend on the key")
	}
	// Rotating SM4 keys does not change fingerprints.
	rot := newTestKeyring(t, "k2", map[string][]byte{"k1": testKey1, "k2": testKey2})
	if !rot.Fingerprint(FieldPAN, "6216261000000000018").Equal(a) {
		t.Error("SM4 rotation changed the fingerprint")
	}
	var back Fingerprint
	txt, _ := a.MarshalText()
	if err := back.UnmarshalText(txt); err != nil || back != a || len(a.String()) != 64 {
		t.Fatalf("text round trip: %v", err)
	}
	if err := back.UnmarshalText([]byte("zz")); !errors.Is(err, ErrInvalid) {
		t.Fatal("bad fingerprint text accepted")
	}
}

func TestProtect_StoresNoCVN2OrExpiryAndLeaksNothing(t *testing.T) {
	k := newTestKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	d := Details{PAN: "6258100000000004", HolderName: "全渠道", IDType: "01", IDNo: "341126197709218366",
		Phone: "13552535506", CVN2: "123", Expiry: "2912"}
	st, err := k.Protect(d, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.PANMasked != "625810******0004" || st.BankCode != "GDB" || st.Type != "CC" {
		t.Fatalf("stored %+v", st)
	}
	if !st.PANFingerprint.Equal(k.Fingerprint(FieldPAN, d.PAN)) {
		t.Fatal("fingerprint")
	}
	if pan, _ := k.Open(FieldPAN, st.PAN); pan != d.PAN {
		t.Fatal("PAN does not open")
	}
	js, _ := json.Marshal(st)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("bind", "details", d, "stored", st)
	dj, _ := json.Marshal(d)
	for name, out := range map[string]string{
		"stored json": string(js), "log": logs.String(), "details json": string(dj),
		"%v": fmt.Sprintf("%v", d), "%+v": fmt.Sprintf("%+v", d), "%#v": fmt.Sprintf("%#v", d), "%s": fmt.Sprintf("%s", d),
	} {
		for _, secret := range []string{d.PAN, d.Phone, d.IDNo, "2912", `"123"`, "全渠道"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s contains %q: %s", name, secret, out)
			}
		}
	}
	if _, err := k.Protect(Details{PAN: "6221558812340000"}, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Luhn-invalid PAN accepted: %v", err)
	}
	if st, err := k.Protect(Details{PAN: "6221558812340000"}, true); err != nil || !st.Phone.IsZero() {
		t.Fatalf("lenient: %+v %v", st, err)
	}
}
