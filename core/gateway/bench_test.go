package gateway_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// BenchmarkCreatePayment measures POST /v1/payments end to end in one process: signed
// request over loopback HTTP, authentication with the stored nonce, the order written to
// a SQLite file, the WeChat adapter's call to the simulator over loopback HTTP, and the
// transition with its event and outbox rows. Run with -cpu to vary the callers.
func BenchmarkCreatePayment(b *testing.B) {
	e := newEnv(b, storetest.SQLiteDSN(b), func(c *gateway.Config) { c.Merchants[0].RatePerSecond, c.Merchants[0].Burst = 1e6, 1e6 })
	cl := &gateway.Client{BaseURL: e.srv.URL, MerchantID: "M1", Secret: secretM1, HTTP: e.srv.Client(), Clock: e.sim.Clock()}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			no := fmt.Sprintf("B%08d", seq.Add(1))
			if _, err := cl.CreatePayment(context.Background(), &gateway.CreatePaymentRequest{OrderNo: no, Amount: 100, Method: "qr", Subject: "b", ClientIP: "127.0.0.1"}, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
