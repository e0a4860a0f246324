package channel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/money"
)

func TestError_IsMatchesKindSentinels(t *testing.T) {
	sentinels := map[Kind]error{
		KindUnknown: ErrUnknownOutcome, KindInvalidRequest: ErrInvalidRequest, KindSignature: ErrSignature,
		KindNotFound: ErrNotFound, KindAlreadyDone: ErrAlreadyDone, KindDeclined: ErrDeclined,
		KindInsufficientFunds: ErrInsufficientFunds, KindRateLimited: ErrRateLimited, KindUnavailable: ErrUnavailable,
	}
	for kind, want := range sentinels {
		err := fmt.Errorf("order 42: %w", &Error{Channel: "wechat", Op: "pay", Kind: kind, Code: "X"})
		for other, s := range sentinels {
			if got := errors.Is(err, s); got != (other == kind) {
				t.Errorf("errors.Is(%v error, %v) = %v", kind, s, got)
			}
		}
		if KindOf(err) != kind {
			t.Errorf("KindOf = %v, want %v", KindOf(err), kind)
		}
		_ = want
	}
}

func TestKindOf_UnclassifiedErrorIsUnknown(t *testing.T) {
	if k := KindOf(io.ErrUnexpectedEOF); k != KindUnknown {
		t.Fatalf("KindOf(plain error) = %v, want unknown outcome", k)
	}
	var zero Status
	if zero != StatusUnknown {
		t.Fatal("the zero Status must be StatusUnknown")
	}
}

func TestError_MessageAndUnwrap(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	err := &Error{Channel: "wechat", Op: "refund", Kind: KindUnknown, Code: "SYSTEMERROR", Message: "系统超时", Retryable: true, Err: cause}
	want := "wechat refund: SYSTEMERROR: 系统超时 (unknown outcome): unexpected EOF"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	if !errors.Is(err, cause) || !IsRetryable(fmt.Errorf("wrapped: %w", err)) {
		t.Fatal("cause or retryability lost through wrapping")
	}
	if IsRetryable(cause) {
		t.Fatal("a plain error must not count as retryable")
	}
}

func TestUnsupported_NamesChannelAndMethod(t *testing.T) {
	err := Unsupported("alipay", "pay", MethodJSAPI)
	if !errors.Is(err, ErrUnsupported) || !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("Unsupported must match ErrUnsupported and ErrInvalidRequest: %v", err)
	}
	for _, s := range []string{"alipay", `"jsapi"`, "pay"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not mention %s", err.Error(), s)
		}
	}
}

func TestStatus_TextRoundTripAndFinality(t *testing.T) {
	final := map[Status]bool{StatusSucceeded: true, StatusFailed: true, StatusClosed: true, StatusRefunded: true, StatusReversed: true}
	for s := StatusUnknown; s <= StatusReversed; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Status
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("round trip of %v gave %v, %v", s, back, err)
		}
		if s.Final() != final[s] {
			t.Errorf("%v.Final() = %v", s, s.Final())
		}
	}
	if _, err := Status(200).MarshalText(); err == nil {
		t.Fatal("an undefined status must not marshal")
	}
	var s Status
	if err := s.UnmarshalText([]byte("PAID")); err == nil {
		t.Fatal("an unknown name must not unmarshal")
	}
}

func TestMaskPAN(t *testing.T) {
	tests := map[string]string{
		"":                    "",
		"1234":                "****",
		"6221558812340000":    "622155******0000",
		"6216261000000000018": "621626*********0018",
		"1234567890":          "******7890",
	}
	for in, want := range tests {
		if got := MaskPAN(in); got != want {
			t.Errorf("MaskPAN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCard_NeverPrintsItsFields(t *testing.T) {
	c := Card{Number: "6216261000000000018", HolderName: "张三", IDNumber: "341126197709218366", Mobile: "13552535506", CVN2: "123", Expiry: "2311"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("bind", "card", c)
	js, err := json.Marshal(struct{ C Card }{c})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String(), string(js)}
	for _, out := range outputs {
		for _, secret := range []string{"6216261000000000018", "张三", "341126197709218366", "13552535506", "2311"} {
			if strings.Contains(out, secret) {
				t.Errorf("output %q leaks %q", out, secret)
			}
		}
		if !strings.Contains(out, "621626*********0018") {
			t.Errorf("output %q lacks the masked number", out)
		}
	}
}

func TestRedactPANs(t *testing.T) {
	in := []byte(`accNo=6216261000000000018&orderId=20240101000001&queryId=4200000925202101284997714292`)
	got := string(RedactPANs(in))
	want := `accNo=621626*********0018&orderId=20240101000001&queryId=4200000925202101284997714292`
	if got != want {
		t.Fatalf("RedactPANs = %q, want %q", got, want)
	}
	if string(in) == got {
		t.Fatal("input was modified in place")
	}
}

func FuzzRedactPANs(f *testing.F) {
	f.Add([]byte("6216261000000000018"))
	f.Add([]byte("x4111111111111111y"))
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := append([]byte(nil), b...)
		out := RedactPANs(b)
		if len(out) != len(b) || !bytes.Equal(b, orig) {
			t.Fatalf("length changed or input modified")
		}
		// No Luhn-valid 13–19 digit run survives.
		for i := 0; i < len(out); {
			j := i
			for j < len(out) && out[j] >= '0' && out[j] <= '9' {
				j++
			}
			if n := j - i; n >= 13 && n <= 19 && luhn(out[i:j]) {
				t.Fatalf("unmasked PAN-like run %q", out[i:j])
			}
			if j == i {
				j++
			}
			i = j
		}
	})
}

func TestValidate_NamesTheField(t *testing.T) {
	fen := money.Fen
	tests := []struct {
		name  string
		err   error
		field string
	}{
		{"pay no order", (&PayRequest{Amount: fen(1), Method: MethodQR}).Validate("wechat"), "OrderNo"},
		{"pay zero amount", (&PayRequest{OrderNo: "A1", Amount: fen(0), Method: MethodQR}).Validate("wechat"), "Amount"},
		{"pay negative amount", (&PayRequest{OrderNo: "A1", Amount: fen(-1), Method: MethodQR}).Validate("wechat"), "Amount"},
		{"pay no currency", (&PayRequest{OrderNo: "A1", Amount: money.Amount{}, Method: MethodQR}).Validate("wechat"), "Amount"},
		{"pay bad method", (&PayRequest{OrderNo: "A1", Amount: fen(1), Method: "card"}).Validate("wechat"), "Method"},
		{"refund no number", (&RefundRequest{OrderNo: "A1", Amount: fen(1)}).Validate("alipay"), "RefundNo"},
		{"refund over order", (&RefundRequest{RefundNo: "R1", OrderNo: "A1", Amount: fen(101), OrderAmount: fen(100)}).Validate("alipay"), "Amount"},
		{"refund currency mismatch", (&RefundRequest{RefundNo: "R1", OrderNo: "A1", Amount: fen(1), OrderAmount: money.New(100, money.USD)}).Validate("alipay"), "OrderAmount"},
		{"query nothing", (&QueryRequest{}).Validate("bank"), "OrderNo"},
		{"payout no card", (&PayoutRequest{PayoutNo: "P1", Amount: fen(1)}).Validate("bank"), "Card.Number"},
		{"auth no op", (&AuthRequest{OrigOrderNo: "A", Amount: fen(1)}).Validate("unionpay", "capture"), "OpNo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("want an error")
			}
			if !errors.Is(tc.err, ErrInvalidRequest) || !strings.Contains(tc.err.Error(), tc.field) {
				t.Fatalf("error %q is not an invalid-request error naming %s", tc.err, tc.field)
			}
		})
	}
	if err := (&PayRequest{OrderNo: "A1", Amount: fen(1), Method: MethodQR}).Validate("wechat"); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
}
