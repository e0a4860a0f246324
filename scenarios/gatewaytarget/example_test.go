package gatewaytarget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/scenarios/gatewaytarget"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// A `target: gateway` scenario runs against a fresh in-process gateway: the http steps are
// signed as the merchant, and the payer's action names the channel's order number the
// gateway answered with.
func Example() {
	sc, err := scenarios.Parse("pay.yaml", []byte(`
name: pays through the gateway
target: gateway
channel: wechat
steps:
  - http:
      method: POST
      path: /v1/payments
      json: {order_no: EX1, amount: 100, method: qr, subject: example, client_ip: 127.0.0.1}
      capture: {cno: channel_order_no}
    expect: {http: {status: 201, json: {state: pending}}}
  - payer_pay: {order: "${cno}"}
  - wait_acks: {order: "${cno}", count: 1, within: 1m}
  - http: {method: GET, path: /v1/payments/EX1}
    expect: {http: {json: {state: succeeded, amount: 100}}}
expect:
  records: [{kind: callback, order: "${cno}", acked: true, count: 1}]
  webhooks: [{type: payment.succeeded, order: EX1, count: 1}]
`), scenarios.ParseOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	wechatFactory := func(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
		var doc struct {
			MchID  string   `json:"mch_id"`
			AppIDs []string `json:"appids"`
			Key    string   `json:"key"`
		}
		if err := json.Unmarshal(m.Config, &doc); err != nil {
			return nil, err
		}
		return wechat.New(wechat.Config{AppID: doc.AppIDs[0], MchID: doc.MchID, Key: doc.Key, BaseURL: simURL,
			HTTPClient: hc, TLSClient: hc, Clock: m.Clock, NotifyURL: m.NotifyURL})
	}
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"wechat": wechatFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			p, err := simwechat.New(simwechat.Config{})
			return []simulator.Protocol{p}, err
		},
		Gateway: gatewaytarget.Start(os.TempDir()),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res[0].Passed, res[0].Steps)
	// Output: true 4
}
