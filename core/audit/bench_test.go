package audit_test

import (
	"context"
	"os"
	"testing"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func benchAppend(b *testing.B, db *store.DB, parallel bool) {
	l, err := audit.New(context.Background(), audit.Config{Store: db})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	r := rec(1)
	b.ResetTimer()
	if !parallel {
		for i := 0; i < b.N; i++ {
			if _, err := l.Append(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Append(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	st := l.Stats()
	b.ReportMetric(float64(st.Records.Load())/float64(st.Commits.Load()), "records/commit")
}

// BenchmarkAppend_SQLite_One: one caller at a time, so every record is a commit of its own
// (synchronous=FULL: an fsync each).
func BenchmarkAppend_SQLite_One(b *testing.B) {
	benchAppend(b, storetest.Open(b, storetest.SQLiteDSN(b)), false)
}

// BenchmarkAppend_SQLite_64: 64 concurrent callers, group-committed.
func BenchmarkAppend_SQLite_64(b *testing.B) {
	benchAppend(b, storetest.Open(b, storetest.SQLiteDSN(b)), true)
}

func BenchmarkAppend_Postgres_One(b *testing.B) {
	benchAppend(b, storetest.Open(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))), false)
}

func BenchmarkAppend_Postgres_64(b *testing.B) {
	benchAppend(b, storetest.Open(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))), true)
}
