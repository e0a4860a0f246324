package bank

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/simulator/demo"
)

func validConfig() Config {
	return Config{MerchantID: "M0000001", CertSerial: "68759663125", MerchantKey: demo.MustFile(demo.BankMerchantPrivate),
		BankSignKey: demo.MustFile(demo.BankSignPublic), BankEncKey: demo.MustFile(demo.BankEncPublic), BaseURL: "http://127.0.0.1:1"}
}

func TestNew_ConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		field string
		edit  func(*Config)
	}{
		{"MerchantID", func(c *Config) { c.MerchantID = "M-1" }},
		{"MerchantID", func(c *Config) { c.MerchantID = "" }},
		{"CertSerial", func(c *Config) { c.CertSerial = "" }},
		{"MerchantKey", func(c *Config) { c.MerchantKey = []byte("nope") }},
		{"DecryptKey", func(c *Config) { c.DecryptKey = []byte("nope") }},
		{"BankSignKey", func(c *Config) { c.BankSignKey = nil }},
		{"BankEncKey", func(c *Config) { c.BankEncKey = []byte("x") }},
		{"BaseURL", func(c *Config) { c.BaseURL = "ftp://bank" }},
		{"BaseURL", func(c *Config) { c.BaseURL = "http://bank/?a=1" }},
		{"NotifyURL", func(c *Config) { c.NotifyURL = "mailto:x" }},
		{"TimeFormat", func(c *Config) { c.TimeFormat = "unix" }},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			cfg := validConfig()
			tc.edit(&cfg)
			_, err := New(cfg)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v; want an ErrConfig naming %s", err, tc.field)
			}
		})
	}
	if _, err := New(validConfig()); err != nil {
		t.Fatal(err)
	}
}

func TestInfo_BankRules(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	in := c.Info()
	switch {
	case in.DayCutoff != 0, in.StatementReadyAfter != 6*time.Hour, in.OrderTimeRequired:
		t.Errorf("day rules %+v", in)
	case in.OrderNo.Check("A_b-9") != nil, in.OrderNo.Check(strings.Repeat("a", 33)) == nil, in.RefundNo.Check("R.1") == nil:
		t.Errorf("number rules %+v", in.OrderNo)
	case in.Refund.Window != 365*24*time.Hour || !in.Refund.Notified || !in.Refund.Async:
		t.Errorf("refund policy %+v", in.Refund)
	case in.Cancel.Supported:
		t.Errorf("cancel %+v", in.Cancel)
	case string(in.Notify.Ack.Body) != "OK" || len(in.Notify.Retries) != 8 || in.Notify.Span() != 15*time.Second+time.Minute+5*time.Minute+15*time.Minute+30*time.Minute+3*time.Hour+6*time.Hour:
		t.Errorf("notify policy %+v", in.Notify)
	case in.QueryBackoff.Next(0) != 5*time.Second || in.QueryBackoff.Next(9) != 5*time.Minute:
		t.Errorf("back-off %+v", in.QueryBackoff)
	}
	if m := c.Methods(); len(m) != 1 || m[0] != channel.MethodToken {
		t.Errorf("methods %v", m)
	}
	if c.Name() != "bank" {
		t.Errorf("name %q", c.Name())
	}
}
