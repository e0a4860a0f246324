package card

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)

func TestCheckIDNo(t *testing.T) {
	tests := []struct{ id, want string }{
		{"341126197709218366", ""}, // UnionPay's public test identity
		{"11010519491231002X", ""},
		{"11010519491231002x", ""},
		{"341126197709218367", "check character"},
		{"34112619770921836", "17 characters"},
		{"341126770921836", "15 characters"}, // legacy 15-digit
		{"3411261977092183A6", "position 17"},
		{"341126197702308366", "real date"}, // 30 February
		{"341126203001018366", "future"},
		{"341126180001018366", "real date"}, // before 1900
	}
	for _, tc := range tests {
		err := CheckIDNo(tc.id, testNow)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckIDNo(%s): %v", MaskID(tc.id), err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.id[:10]) {
			t.Errorf("CheckIDNo(%s) = %v, want %q", MaskID(tc.id), err, tc.want)
		}
	}
}

func TestCheckMobileNameCVN2Expiry(t *testing.T) {
	for _, m := range []string{"13552535506", "19912345678"} {
		if err := CheckMobile(m); err != nil {
			t.Errorf("CheckMobile(%s): %v", MaskPhone(m), err)
		}
	}
	for _, m := range []string{"12552535506", "1355253550", "135525355061", "1355253550a", ""} {
		if err := CheckMobile(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckMobile(%q) accepted", m)
		}
	}
	names := []struct{ in, out string }{{" 全渠道 ", "全渠道"}, {"阿依古丽·买买提", "阿依古丽·买买提"}, {"ZHANG SAN", "ZHANG SAN"}}
	for _, n := range names {
		if got, err := CleanHolderName(n.in); err != nil || got != n.out {
			t.Errorf("CleanHolderName(%q) = %q, %v", n.in, got, err)
		}
	}
	for _, n := range []string{"", "   ", "zhang san", "张三1", strings.Repeat("张", 31)} {
		if _, err := CleanHolderName(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("CleanHolderName(%q) accepted", n)
		}
	}
	if CheckCVN2("123") != nil || CheckCVN2("12") == nil || CheckCVN2("12a") == nil {
		t.Error("CheckCVN2")
	}
	for _, tc := range []struct {
		e  string
		ok bool
	}{{"2406", true}, {"3012", true}, {"2405", false}, {"2413", false}, {"2400", false}, {"24-6", false}} {
		if err := CheckExpiry(tc.e, testNow); (err == nil) != tc.ok {
			t.Errorf("CheckExpiry(%s) = %v", tc.e, err)
		}
	}
}
