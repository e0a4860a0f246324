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

	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// unionpayFactory builds the real UnionPay adapter for a simulator merchant document
// ({"mer_id", ...}) with the demo certificates; adapter option sign_method "21" signs
// with SM2.
func unionpayFactory(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		MerID string `json:"mer_id"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, err
	}
	var opt struct {
		SignMethod string `json:"sign_method"`
	}
	if len(m.Adapter) > 0 {
		dec := json.NewDecoder(bytes.NewReader(m.Adapter))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opt); err != nil {
			return nil, err
		}
	}
	cfg := unionpay.Config{MerID: doc.MerID, BaseURL: simURL, HTTPClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL,
		RootCert: demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
		SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert)}
	if opt.SignMethod == unionpay.SignSM2 {
		cfg.SignMethod = unionpay.SignSM2
		cfg.SM2Key, cfg.SM2Cert = demo.MustFile(demo.UnionPaySM2MerchantPrivate), demo.MustFile(demo.UnionPaySM2MerchantCert)
		cfg.EncryptCert = demo.MustFile(demo.UnionPaySM2EncCert)
	} else {
		cfg.SignCertPFX, cfg.SignCertPassword = demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword
		cfg.EncryptCert = demo.MustFile(demo.UnionPayEncCert)
	}
	return unionpay.New(cfg)
}

func unionpayOptions() scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"unionpay": unionpayFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			s, err := simunionpay.New(simunionpay.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/unionpay: %w", err)
			}
			return []simulator.Protocol{s}, nil
		},
	}
}

func TestBundledUnionPaySuites(t *testing.T) {
	list, err := scenarios.LoadPaths([]string{"unionpay"}, scenarios.ParseOptions{Channels: []string{"unionpay"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 12 {
		t.Errorf("%d UnionPay scenarios, want at least 12", len(list))
	}
	results, err := scenarios.Run(context.Background(), list, unionpayOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %s", r.Scenario.Name, scenarios.FormatFailure(r))
		}
	}
	again, err := scenarios.Run(context.Background(), list, unionpayOptions())
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
