package sign

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// fixedK returns a reader that makes tjfoc draw exactly k: it reads 40 bytes b and uses
// (b mod (n−1)) + 1, so 8 zero bytes then k−1 yield k (gm-crypto.md §4.5).
func fixedK(t testing.TB, kHex string) *bytes.Reader {
	t.Helper()
	k := new(big.Int).SetBytes(unhex(t, kHex))
	k.Sub(k, big.NewInt(1))
	buf := make([]byte, 40)
	k.FillBytes(buf[8:])
	return bytes.NewReader(buf)
}

// SM3 vectors: GB/T 32905 examples and the empty string (gm-crypto.md §11 SM3-1..3).
func TestSM3_StandardVectors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"SM3-1 abc", "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{"SM3-2 abcd x16", strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
		{"SM3-3 empty", "", "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SM3Hex([]byte(tt.in)); got != tt.want {
				t.Fatalf("SM3 = %s, want %s", got, tt.want)
			}
			// hash.Hash contract: Sum appends, state unchanged, writes may be split.
			h := NewSM3()
			h.Write([]byte(tt.in[:len(tt.in)/2]))
			h.Write([]byte(tt.in[len(tt.in)/2:]))
			prefix := []byte("X")
			got := h.Sum(prefix)
			if string(got[:1]) != "X" || hex.EncodeToString(got[1:]) != tt.want {
				t.Fatalf("Sum(prefix) = %x", got)
			}
			if hex.EncodeToString(h.Sum(nil)) != tt.want {
				t.Fatal("Sum changed the hash state")
			}
		})
	}
}

// HMAC-1 (gm-crypto.md §8.10/§11): tjfoc, emmansun and openssl mac -digest SM3 agree.
func TestHMACSM3_Vector(t *testing.T) {
	got := HMACSM3([]byte("key"), []byte("abc"))
	if hex.EncodeToString(got) != "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393" {
		t.Fatalf("HMAC-SM3 = %x", got)
	}
	if err := VerifyHMACSM3([]byte("key"), []byte("abc"), got); err != nil {
		t.Fatal(err)
	}
	got[0] ^= 1
	if err := VerifyHMACSM3([]byte("key"), []byte("abc"), got); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered MAC: %v", err)
	}
}

// SM4 vectors: GB/T 32907 A.1 and the derived mode vectors of gm-crypto.md §3.2/§11.
func TestSM4_StandardVectors(t *testing.T) {
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	tests := []struct {
		name     string
		mode     string
		iv, pt   string
		wantHex  string
		wantNone bool
	}{
		{"SM4-3 ECB PKCS7", "ecb", "", "0123456789abcdeffedcba9876543210", "681edf34d206965e86b3e94f536e4246002a8a4efa863ccad024ac0300bb40d2", false},
		{"SM4-4 CBC zero IV", "cbc", "00000000000000000000000000000000", "0123456789abcdeffedcba9876543210", "681edf34d206965e86b3e94f536e4246677d307e844d7aa24579d556490dc7aa", false},
		{"SM4-5 CBC IV 00..0f", "cbc", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "4691e99a3261b6144f6aa68bea48dbbd16e96658f113bf22cbe041bb87f2e01145d4184544ee7728d4f5e61653665de5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := unhex(t, tt.pt)
			var ct, back []byte
			var err error
			if tt.mode == "ecb" {
				ct, err = SM4ECBEncrypt(key, pt)
			} else {
				ct, err = SM4CBCEncrypt(key, unhex(t, tt.iv), pt)
			}
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(ct) != tt.wantHex {
				t.Fatalf("ct = %x, want %s", ct, tt.wantHex)
			}
			if tt.mode == "ecb" {
				back, err = SM4ECBDecrypt(key, ct)
			} else {
				back, err = SM4CBCDecrypt(key, unhex(t, tt.iv), ct)
			}
			if err != nil || !bytes.Equal(back, pt) {
				t.Fatalf("decrypt = %x, %v", back, err)
			}
		})
	}
	one, _ := sm4Block(key, key)
	if hex.EncodeToString(one) != "681edf34d206965e86b3e94f536e4246" {
		t.Fatalf("SM4-1 single block = %x", one)
	}
}

// SM4-2: GB/T 32907 A.2, 1,000,000 chained encryptions; skipped with -short.
func TestSM4_MillionIterations(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000,000 SM4 block encryptions; run without -short")
	}
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	b, err := newSM4(key)
	if err != nil {
		t.Fatal(err)
	}
	x := bytes.Clone(key)
	for range 1000000 {
		b.Encrypt(x, x)
	}
	if hex.EncodeToString(x) != "595298c7c6fd271f0402f804c33d3f66" {
		t.Fatalf("SM4-2 = %x", x)
	}
}

func TestSM4_DecryptRejectsBadInput(t *testing.T) {
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	iv := make([]byte, 16)
	good, _ := SM4CBCEncrypt(key, iv, []byte("hello, twenty bytes."))
	badPad := bytes.Clone(good)
	badPad[len(badPad)-1] ^= 0xff // garbles the last block entirely
	tests := []struct {
		name    string
		key, iv []byte
		ct      []byte
		wantErr error
	}{
		{"empty ciphertext (tjfoc panics)", key, iv, nil, ErrDecrypt},
		{"not a block multiple", key, iv, good[:17], ErrDecrypt},
		{"garbled padding (tjfoc returns nil, nil)", key, iv, badPad, ErrDecrypt},
		{"wrong key", unhex(t, "00112233445566778899aabbccddeeff"), iv, good, ErrDecrypt},
		{"short key", key[:15], iv, good, ErrDecrypt},
		{"short iv", key, iv[:8], good, ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := SM4CBCDecrypt(tt.key, tt.iv, tt.ct)
			if !errors.Is(err, tt.wantErr) || pt != nil {
				t.Fatalf("got %x, %v; want nil, %v", pt, err, tt.wantErr)
			}
		})
	}
	if _, err := SM4ECBDecrypt(key, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("ECB empty: %v", err)
	}
	if _, err := SM4CBCEncrypt(key[:3], iv, nil); !errors.Is(err, ErrEncrypt) {
		t.Fatalf("CBC short key: %v", err)
	}
}

func TestPKCS7Unpad_Strict(t *testing.T) {
	block := func(tail ...byte) []byte {
		b := bytes.Repeat([]byte{'A'}, 16-len(tail))
		return append(b, tail...)
	}
	tests := []struct {
		name string
		in   []byte
		want int // resulting length, -1 for error
	}{
		{"pad 1", block(1), 15},
		{"pad 3", block(3, 3, 3), 13},
		{"full block of 16", bytes.Repeat([]byte{16}, 16), 0},
		{"pad 0", block(0), -1},
		{"pad 17", block(17), -1},
		{"inconsistent", block(2, 3, 3), -1},
		{"zero padding", block(0, 0, 0), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := pkcs7Unpad(bytes.Clone(tt.in), 16, "test")
			if tt.want < 0 {
				if !errors.Is(err, ErrDecrypt) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || len(out) != tt.want {
				t.Fatalf("len %d, err %v", len(out), err)
			}
		})
	}
}

// SM2 worked example, GM/T 0003.5 annex (gm-crypto.md §4.5, SM2-1 and SM2-2).
const (
	sm2VecD  = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
	sm2VecP  = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
	sm2VecK  = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
	sm2VecZA = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
	sm2VecR  = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
	sm2VecS  = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
	sm2VecC1 = "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
	sm2VecC3 = "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
	sm2VecC2 = "21886CA989CA9C7D58087307CA93092D651EFA"
)

func sm2VecKey(t testing.TB) *SM2PrivateKey {
	t.Helper()
	k, err := NewSM2PrivateKey(unhex(t, sm2VecD))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSM2Sign_StandardVectorWithFixedK(t *testing.T) {
	priv := sm2VecKey(t)
	if !strings.EqualFold(priv.Public().Hex(), sm2VecP) {
		t.Fatalf("P = %s", priv.Public().Hex())
	}
	za, err := SM2ZA(priv.Public(), nil)
	if err != nil || !strings.EqualFold(hex.EncodeToString(za), sm2VecZA) {
		t.Fatalf("ZA = %x, %v", za, err)
	}
	msg := []byte("message digest")
	raw, err := SignSM2(priv, msg, SM2SignOptions{Encoding: SM2SigRaw, Rand: fixedK(t, sm2VecK)})
	if err != nil {
		t.Fatal(err)
	}
	if want := sm2VecR + sm2VecS; !strings.EqualFold(hex.EncodeToString(raw), want) {
		t.Fatalf("raw r||s = %X\nwant       %s", raw, want)
	}
	der, err := SignSM2(priv, msg, SM2SignOptions{Rand: fixedK(t, sm2VecK)})
	if err != nil {
		t.Fatal(err)
	}
	wantDER := "3046022100" + sm2VecR + "022100" + sm2VecS
	if len(der) != 72 || !strings.EqualFold(hex.EncodeToString(der), wantDER) {
		t.Fatalf("DER = %X (len %d)", der, len(der))
	}
	for _, enc := range []SM2SigEncoding{SM2SigDER, SM2SigRaw} {
		sig := der
		if enc == SM2SigRaw {
			sig = raw
		}
		if err := VerifySM2(priv.Public(), msg, sig, SM2SignOptions{Encoding: enc}); err != nil {
			t.Fatalf("verify enc %d: %v", enc, err)
		}
		if err := VerifySM2(priv.Public(), []byte("message digesT"), sig, SM2SignOptions{Encoding: enc}); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("verify changed msg enc %d: %v", enc, err)
		}
		if err := VerifySM2(priv.Public(), msg, sig, SM2SignOptions{Encoding: enc, UID: []byte("other-id")}); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("verify other uid enc %d: %v", enc, err)
		}
	}
	if r2, _ := SM2SigToRaw(der); !bytes.Equal(r2, raw) {
		t.Fatal("SM2SigToRaw differs")
	}
	if d2, _ := SM2SigToDER(raw); !bytes.Equal(d2, der) {
		t.Fatal("SM2SigToDER differs")
	}
}

func TestSM2Sign_CustomUIDRoundTrip(t *testing.T) {
	priv := sm2VecKey(t)
	opts := SM2SignOptions{UID: []byte("68759663125"), Encoding: SM2SigRaw}
	sig, err := SignSM2(priv, []byte("x"), opts)
	if err != nil || len(sig) != 64 {
		t.Fatalf("sign: %d bytes, %v", len(sig), err)
	}
	if err := VerifySM2(priv.Public(), []byte("x"), sig, opts); err != nil {
		t.Fatal(err)
	}
	if err := VerifySM2(priv.Public(), []byte("x"), sig, SM2SignOptions{Encoding: SM2SigRaw}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("default uid must not verify: %v", err)
	}
}

// SM2-4 (gm-crypto.md §11): malformed signatures are rejected without panicking.
func TestSM2Verify_RejectsMalformedSignatures(t *testing.T) {
	priv := sm2VecKey(t)
	msg := []byte("message digest")
	raw := unhex(t, sm2VecR+sm2VecS)
	der := unhex(t, "3046022100"+sm2VecR+"022100"+sm2VecS)
	n := unhex(t, "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123")
	tests := []struct {
		name string
		sig  []byte
		enc  SM2SigEncoding
	}{
		{"63-byte raw", raw[:63], SM2SigRaw},
		{"65-byte raw", append(bytes.Clone(raw), 0), SM2SigRaw},
		{"DER with trailing garbage", append(bytes.Clone(der), 0x00), SM2SigDER},
		{"DER truncated", der[:40], SM2SigDER},
		{"r = 0", append(make([]byte, 32), raw[32:]...), SM2SigRaw},
		{"s = n", append(bytes.Clone(raw[:32]), n...), SM2SigRaw},
		{"empty", nil, SM2SigDER},
		{"raw given as DER", raw, SM2SigDER},
		{"DER given as raw", der, SM2SigRaw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifySM2(priv.Public(), msg, tt.sig, SM2SignOptions{Encoding: tt.enc}); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("err = %v, want ErrBadSignature", err)
			}
		})
	}
	if err := VerifySM2(priv.Public(), msg, der, SM2SignOptions{Encoding: 7}); !errors.Is(err, ErrInput) {
		t.Fatalf("unknown encoding: %v", err)
	}
}

// SM2-2 (gm-crypto.md §4.5): encryption of "encryption standard" with the fixed k in all
// layouts, and SM2-3: a flipped C3 byte fails without plaintext.
func TestSM2Encrypt_StandardVectorAllLayouts(t *testing.T) {
	priv := sm2VecKey(t)
	pt := []byte("encryption standard")
	c1, c3, c2 := sm2VecC1, sm2VecC3, sm2VecC2
	asn := "307C" + "0220" + c1[2:66] + "022100" + c1[66:] + "0420" + c3 + "0413" + c2
	tests := []struct {
		name string
		opts SM2CipherOptions
		want string
	}{
		{"C1C3C2", SM2CipherOptions{Layout: SM2C1C3C2}, c1 + c3 + c2},
		{"C1C2C3", SM2CipherOptions{Layout: SM2C1C2C3}, c1 + c2 + c3},
		{"C1C3C2 no 04", SM2CipherOptions{Layout: SM2C1C3C2, No04: true}, c1[2:] + c3 + c2},
		{"C1C2C3 no 04", SM2CipherOptions{Layout: SM2C1C2C3, No04: true}, c1[2:] + c2 + c3},
		{"ASN.1", SM2CipherOptions{Layout: SM2ASN1}, asn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Rand = fixedK(t, sm2VecK)
			ct, err := EncryptSM2(priv.Public(), pt, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(hex.EncodeToString(ct), tt.want) {
				t.Fatalf("ct = %X\nwant %s", ct, tt.want)
			}
			back, err := DecryptSM2(priv, ct, tt.opts)
			if err != nil || !bytes.Equal(back, pt) {
				t.Fatalf("decrypt = %q, %v", back, err)
			}
			// SM2-3: flip one byte of C3.
			bad := bytes.Clone(ct)
			i := strings.Index(strings.ToUpper(hex.EncodeToString(bad)), c3) / 2
			bad[i] ^= 0x01
			if out, err := DecryptSM2(priv, bad, tt.opts); !errors.Is(err, ErrDecrypt) || out != nil {
				t.Fatalf("flipped C3: %q, %v", out, err)
			}
		})
	}
}

func TestSM2Decrypt_RejectsMalformedCiphertexts(t *testing.T) {
	priv := sm2VecKey(t)
	good := unhex(t, sm2VecC1+sm2VecC3+sm2VecC2)
	offCurve := bytes.Clone(good)
	offCurve[5] ^= 0x01
	tests := []struct {
		name string
		ct   []byte
		opts SM2CipherOptions
	}{
		{"empty", nil, SM2CipherOptions{}},
		{"96 bytes (tjfoc panics below 97)", good[:96], SM2CipherOptions{}},
		{"97 bytes, empty C2", good[:97], SM2CipherOptions{}},
		{"missing 04", good[1:], SM2CipherOptions{}},
		{"C1 off the curve", offCurve, SM2CipherOptions{}},
		{"ASN.1 garbage", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, SM2CipherOptions{Layout: SM2ASN1}},
		{"raw given as ASN.1", good, SM2CipherOptions{Layout: SM2ASN1}},
		{"no-04 decoder on an 04 ciphertext", good, SM2CipherOptions{No04: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := DecryptSM2(priv, tt.ct, tt.opts)
			if !errors.Is(err, ErrDecrypt) || out != nil {
				t.Fatalf("got %q, %v; want ErrDecrypt", out, err)
			}
		})
	}
	if _, err := EncryptSM2(priv.Public(), nil, SM2CipherOptions{}); !errors.Is(err, ErrEncrypt) {
		t.Fatalf("empty plaintext: %v", err)
	}
}
