package router_test

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/router"
)

// A routing section in YAML, turned into a Router for the gateway's accounts: large web
// payments go to Alipay, QR payments are split 3:1 by weight, and every decision explains
// itself.
func Example() {
	f, err := router.ParseFile("routing.yaml", []byte(`
accounts:
  - {id: wx1, weight: 3, per_txn: "5000.00"}
  - {id: ali1, weight: 1}
rules:
  - {name: large-web, methods: [web], min_amount: "1000.00", accounts: [ali1]}
  - {name: qr-split, methods: [qr], choose: weight, accounts: [wx1, ali1]}
`))
	if err != nil {
		panic(err)
	}
	cfg, err := f.Config("routing.yaml", map[string]channel.Channel{"wx1": wx, "ali1": ali})
	if err != nil {
		panic(err)
	}
	r, err := router.New(cfg)
	if err != nil {
		panic(err)
	}
	for _, minor := range []int64{100_00, 100_00, 100_00, 100_00, 6000_00} {
		d, _ := r.Route(context.Background(), gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(minor), At: noon})
		fmt.Println(d.Candidates, "|", d.Reason)
	}
	// Output:
	// [wx1 ali1] | rule qr-split (routing.yaml:7), by weight: #1 wx1 (priority 0, weight 3); #2 ali1 (priority 0, weight 1)
	// [wx1 ali1] | rule qr-split (routing.yaml:7), by weight: #1 wx1 (priority 0, weight 3); #2 ali1 (priority 0, weight 1)
	// [ali1 wx1] | rule qr-split (routing.yaml:7), by weight: #1 ali1 (priority 0, weight 1); #2 wx1 (priority 0, weight 3)
	// [wx1 ali1] | rule qr-split (routing.yaml:7), by weight: #1 wx1 (priority 0, weight 3); #2 ali1 (priority 0, weight 1)
	// [ali1] | rule qr-split (routing.yaml:7), by weight: #1 ali1 (priority 0, weight 1); wx1 skipped: over the per-transaction limit
}
