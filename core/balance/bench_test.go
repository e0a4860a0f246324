package balance_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/balance/balancetest"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// nopStore is an audit.Store that keeps nothing: the benchmarks use it to measure the
// query without the audit write.
type nopStore struct{}

func (nopStore) AuditHead(context.Context) (audit.Head, error) {
	return audit.Head{Hash: audit.Zero()}, nil
}
func (nopStore) AppendAudit(context.Context, audit.Head, []*audit.Record) error { return nil }
func (nopStore) AuditRecords(context.Context, audit.Filter, func(*audit.Record) error) error {
	return nil
}
func (nopStore) AuditScan(context.Context, func(*audit.Record) error) (audit.Head, error) {
	return audit.Head{Hash: audit.Zero()}, nil
}

// benchQuery runs Service.Query (no HTTP) from 32×GOMAXPROCS goroutines over 4,096 users;
// ns/op is wall time per query, the inverse of throughput.
func benchQuery(b *testing.B, st audit.Store) {
	ctx := context.Background()
	log, err := audit.New(ctx, audit.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	src := balancetest.New()
	const users = 4096
	for i := 0; i < users; i++ {
		src.Put(fmt.Sprintf("u%d", i), balance.View{AccountID: fmt.Sprintf("w%d", i), Available: money.Fen(100), CustomerName: "张三丰",
			Cards: []balance.Card{{Number: fullPAN}}})
	}
	clk := clock.NewVirtual(start)
	svc, err := balance.New(balance.Config{Source: src, Audit: log, TokenKey: bytes.Repeat([]byte("k"), 32), Clock: clk,
		PerUser: balance.Limit{Every: 1, Burst: 1 << 30}, PerIP: balance.Limit{Every: 1, Burst: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	auth := make([]string, users)
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ { // in parallel, so the issues' audit records share commits
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < users; i += 64 {
				tok, _, err := svc.IssueToken(ctx, "M", fmt.Sprintf("u%d", i), fmt.Sprintf("w%d", i), 0, "")
				if err != nil {
					panic(err)
				}
				auth[i] = "Bearer " + tok
			}
		}(w)
	}
	wg.Wait()
	var next int64
	b.SetParallelism(32) // 64 concurrent queries on 2 CPUs: the audit writer groups their records
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next) % users
			next++ // racy counter is fine: any user will do
			a := svc.Query(ctx, balance.Query{AccountID: fmt.Sprintf("w%d", i), Authorization: auth[i], IP: "192.0.2.1"})
			if a.Result != balance.ResultOK {
				b.Fatalf("query: %s", a.Result)
			}
		}
	})
}

// BenchmarkQuery_NoAuditWrite: token check, limits, source and masking; the audit record is
// chained but not stored.
func BenchmarkQuery_NoAuditWrite(b *testing.B) { benchQuery(b, nopStore{}) }

// BenchmarkQuery_AuditSQLite: the same with the audit record group-committed to a SQLite
// file (synchronous=FULL).
func BenchmarkQuery_AuditSQLite(b *testing.B) {
	benchQuery(b, storetest.Open(b, storetest.SQLiteDSN(b)))
}

// BenchmarkQuery_AuditPostgres: the same on PostgreSQL (skipped unless TONGDAO_TEST_PG_DSN).
func BenchmarkQuery_AuditPostgres(b *testing.B) {
	benchQuery(b, storetest.Open(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))))
}
