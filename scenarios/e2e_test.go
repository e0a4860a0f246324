package scenarios_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// wechatFactory builds the real WeChat adapter for a simulator merchant document.
func wechatFactory(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		MchID  string   `json:"mch_id"`
		AppIDs []string `json:"appids"`
		Key    string   `json:"key"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, err
	}
	if len(doc.AppIDs) == 0 {
		return nil, errors.New("wechat merchant without appids")
	}
	return wechat.New(wechat.Config{AppID: doc.AppIDs[0], MchID: doc.MchID, Key: doc.Key, BaseURL: simURL,
		HTTPClient: hc, TLSClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL})
}

func wechatOptions() scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"wechat": wechatFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			s, err := simwechat.New(simwechat.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/wechat: %w", err)
			}
			return []simulator.Protocol{s}, nil
		},
	}
}

func TestBundledWeChatSuites(t *testing.T) {
	list, err := scenarios.LoadPaths([]string{"wechat"}, scenarios.ParseOptions{Channels: []string{"wechat"}})
	if err != nil {
		t.Fatal(err)
	}
	results, err := scenarios.Run(context.Background(), list, wechatOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %s", r.Scenario.Name, scenarios.FormatFailure(r))
		}
	}
	again, err := scenarios.Run(context.Background(), list, wechatOptions())
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
