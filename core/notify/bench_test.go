package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// BenchmarkNotifier_Deliver: b.N succeeded payments (each also has a payment.created event,
// completed without sending) delivered to one local merchant answering 204; reports
// webhooks/s. Run: go test -run XXX -bench Notifier ./core/notify/
func BenchmarkNotifier_Deliver(b *testing.B) {
	dsns := map[string]func(testing.TB) string{"sqlite": storetest.SQLiteDSN}
	if base := os.Getenv(storetest.EnvPG); base != "" {
		dsns["postgres"] = func(tb testing.TB) string { return storetest.PostgresDSN(tb, base) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		mk, ok := dsns[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			db := storetest.Open(b, mk(b))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
			defer srv.Close()
			for i := 0; i < b.N; i++ {
				payment(b, db, fmt.Sprintf("pay_%d", i), "M1", 100)
			}
			if name == "postgres" {
				// Statistics as autovacuum would have them on a running system; without them the
				// claim scans every pending row (see store.ClaimDeliveries).
				if _, err := db.SQL().Exec(`ANALYZE order_outbox`); err != nil {
					b.Fatal(err)
				}
			}
			clk := clock.NewVirtual(t0.Add(time.Hour))
			n, err := notify.New(notify.Config{Outbox: db, Orders: db, Clock: clk,
				Directory: notify.StaticDirectory{"M1": {URL: srv.URL, Secret: "sec"}}, Workers: 16, PerHost: 16})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			total := 0
			for total < b.N {
				d, err := n.RunOnce(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				total += d
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "webhooks/s")
		})
	}
}
