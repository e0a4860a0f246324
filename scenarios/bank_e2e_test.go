package scenarios_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// bankFactory builds the real bank adapter for a simulator bank merchant document.
func bankFactory(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		MerchantID string `json:"merchant_id"`
		CertSerial string `json:"cert_serial"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, err
	}
	return bank.New(bank.Config{MerchantID: doc.MerchantID, CertSerial: doc.CertSerial, MerchantKey: demo.MustFile(demo.BankMerchantPrivate),
		BankSignKey: demo.MustFile(demo.BankSignPublic), BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: simURL, HTTPClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL})
}

func bankOptions() scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"bank": bankFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			s, err := simbank.New(simbank.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/bank: %w", err)
			}
			return []simulator.Protocol{s}, nil
		},
	}
}

func TestBundledBankSuites(t *testing.T) {
	list, err := scenarios.LoadPaths([]string{"bank"}, scenarios.ParseOptions{Channels: []string{"bank"}})
	if err != nil {
		t.Fatal(err)
	}
	results, err := scenarios.Run(context.Background(), list, bankOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %s", r.Scenario.Name, scenarios.FormatFailure(r))
		}
	}
	again, err := scenarios.Run(context.Background(), list, bankOptions())
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
