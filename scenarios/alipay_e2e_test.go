package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
)

// alipayFactory builds the real Alipay adapter for a simulator app (demo keys; cert_mode
// adapter option), as cmd/tongdao does.
func alipayFactory(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		AppID string `json:"app_id"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, err
	}
	var opt struct {
		CertMode bool `json:"cert_mode"`
	}
	if len(m.Adapter) > 0 {
		dec := json.NewDecoder(bytes.NewReader(m.Adapter))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opt); err != nil {
			return nil, err
		}
	}
	cfg := alipay.Config{AppID: doc.AppID, AppPrivateKey: demo.MustFile(demo.AlipayAppPrivate),
		BaseURL: simURL, HTTPClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL}
	if opt.CertMode {
		cfg.AppCert = demo.MustFile(demo.AlipayAppCert)
		cfg.AlipayCert = demo.MustFile(demo.AlipayPlatformCert)
		cfg.AlipayRootCert = demo.MustFile(demo.AlipayRootCert)
	} else {
		cfg.AlipayPublicKey = demo.MustFile(demo.AlipayPlatformPublic)
	}
	return alipay.New(cfg)
}

func alipayOptions() scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"alipay": alipayFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			s, err := simalipay.New(simalipay.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/alipay: %w", err)
			}
			return []simulator.Protocol{s}, nil
		},
	}
}

func TestBundledAlipaySuites(t *testing.T) {
	list, err := scenarios.LoadPaths([]string{"alipay"}, scenarios.ParseOptions{Channels: []string{"alipay"}})
	if err != nil {
		t.Fatal(err)
	}
	results, err := scenarios.Run(context.Background(), list, alipayOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s:\n%s", r.Scenario.Name, scenarios.FormatFailure(r))
		}
	}
	again, err := scenarios.Run(context.Background(), list, alipayOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i := range results {
		if !slices.Equal(results[i].Transcript, again[i].Transcript) {
			t.Errorf("%s: two runs gave different transcripts:\n%s\n----\n%s", results[i].Scenario.Name,
				strings.Join(results[i].Transcript, "\n"), strings.Join(again[i].Transcript, "\n"))
		}
	}
}
