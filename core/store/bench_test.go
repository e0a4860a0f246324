package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// benchBooks opens a ledger with a hot account and n spread accounts, all allowed negative so
// random postings never fail on funds.
func benchBooks(b *testing.B, db *store.DB, clk clock.Clock, n int) (*ledger.Ledger, ledger.AccountID, []ledger.AccountID) {
	b.Helper()
	l := openLedger(b, db, clk)
	ids := bulkAccounts(b, l, db, n+1)
	return l, ids[0], ids[1:]
}

// post3 is a 3-line entry (Dr a, Dr b, Cr c); a share hot of them debit the hot account.
func post3(rng *rand.Rand, key string, hot ledger.AccountID, ids []ledger.AccountID, hotShare float64) ledger.Posting {
	x, y := int64(1+rng.IntN(99999)), int64(1+rng.IntN(999))
	a, bb, c := ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]
	if rng.Float64() < hotShare {
		a = hot
	}
	return ledger.Posting{
		Key:     key,
		Voucher: ledger.Voucher{Kind: "bench", ID: key, Amount: money.Fen(x + y)},
		Lines: []ledger.Line{
			{Account: a, Side: ledger.Debit, Amount: money.Fen(x)},
			{Account: bb, Side: ledger.Debit, Amount: money.Fen(y)},
			{Account: c, Side: ledger.Credit, Amount: money.Fen(x + y)},
		},
	}
}

func benchPost(b *testing.B, dsn string) {
	db := storetest.Open(b, dsn)
	l, hot, ids := benchBooks(b, db, clock.Real(), 1000)
	ctx := context.Background()
	const callers = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := l.Post(ctx, post3(rng, fmt.Sprintf("b-%d", i), hot, ids, 0.2)); err != nil {
					b.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "entries/s")
}

func BenchmarkPost3Lines64Callers(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPost(b, storetest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { benchPost(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))) })
}

// seedJournal appends n valid 3-line entries on day over ids straight through the store in
// batches of 5000, hashing them as the writer does, so the Verify and CloseDay benchmarks do
// not wait for n postings. Entry i touches ids[3i..3i+2] (mod len), so every account moves.
func seedJournal(b *testing.B, db *store.DB, ids []ledger.AccountID, n int, day clock.Date, at time.Time) {
	b.Helper()
	ctx := context.Background()
	var head ledger.Head
	if err := db.Read(ctx, func(tx ledger.ReadTx) error {
		var err error
		head, err = tx.Head(ctx)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for done := 0; done < n; {
		m := min(5000, n-done)
		batch := &ledger.Batch{}
		for i := 0; i < m; i++ {
			seq := head.Seq + 1
			k := int(seq)
			a, bb, c := ids[(3*k)%len(ids)], ids[(3*k+1)%len(ids)], ids[(3*k+2)%len(ids)]
			x, y := int64(100+k%9000), int64(1+k%7)
			key := fmt.Sprintf("seed-%d", seq)
			e := &ledger.Entry{Seq: seq, Key: key, Kind: ledger.KindPost, Day: day, PostedAt: at,
				Voucher: ledger.Voucher{Kind: "seed", ID: key, Amount: money.Fen(x + y)},
				Lines: []ledger.Line{
					{Account: a, Side: ledger.Debit, Amount: money.Fen(x)},
					{Account: bb, Side: ledger.Debit, Amount: money.Fen(y)},
					{Account: c, Side: ledger.Credit, Amount: money.Fen(x + y)},
				},
				Fingerprint: []byte{1}, PrevHash: head.Hash}
			e.Hash = ledger.EntryHash(e)
			head.Seq, head.Hash = seq, e.Hash
			batch.Entries = append(batch.Entries, e)
			batch.NewVouchers = append(batch.NewVouchers, e.Voucher)
		}
		head.Gen++
		batch.Head = head
		if err := db.Write(ctx, func(tx ledger.WriteTx) error { return tx.Append(ctx, batch) }); err != nil {
			b.Fatal(err)
		}
		done += m
	}
}

// bulkAccounts inserts n accounts under chart code 9000 with plain SQL (100,000 one-by-one
// CreateAccount transactions would dominate the benchmark) and returns their ids.
func bulkAccounts(b testing.TB, l *ledger.Ledger, db *store.DB, n int) []ledger.AccountID {
	b.Helper()
	ctx := context.Background()
	if err := l.PutChart(ctx, ledger.ChartAccount{Code: "9000", Name: "bench", Type: ledger.Common, Normal: ledger.Debit}); err != nil {
		b.Fatal(err)
	}
	const per = 500
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		var sb strings.Builder
		sb.WriteString(`INSERT INTO accounts (code, owner_kind, owner_id, currency, name, flags) VALUES `)
		args := make([]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			if db.Dialect() == store.Postgres {
				fmt.Fprintf(&sb, "('9000', 'internal', $%d, 'CNY', $%d, 1)", 2*(i-lo)+1, 2*(i-lo)+2)
			} else {
				sb.WriteString("('9000', 'internal', ?, 'CNY', ?, 1)")
			}
			args = append(args, fmt.Sprintf("acct-%d", i), fmt.Sprintf("acct-%d", i))
		}
		if _, err := db.SQL().ExecContext(ctx, sb.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	// The ids are 1..n only on a fresh store; read them back to be sure, and record them in
	// the change log as CreateAccount would (else Verify reports them as opened behind the
	// ledger's back).
	var ids []ledger.AccountID
	if err := db.Write(ctx, func(tx ledger.WriteTx) error {
		var cs []*ledger.Change
		if err := tx.Accounts(ctx, func(a ledger.Account) error {
			if a.Code == "9000" {
				ids = append(ids, a.ID)
				cs = append(cs, &ledger.Change{At: start, Account: &ledger.AccountAttrs{ID: a.ID, AccountSpec: a.AccountSpec}, Memo: "opened"})
			}
			return nil
		}); err != nil {
			return err
		}
		seq, hash, err := tx.ControlHead(ctx)
		if err != nil {
			return err
		}
		ledger.ChainChanges(seq, hash, cs)
		for _, c := range cs {
			if err := tx.AppendChange(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return ids
}

func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkVerify verifies a journal of 3-line entries over 1,000 accounts. One op is one full
// Verify. TONGDAO_BENCH_VERIFY_N sets the journal's size: the default 200,000 keeps `make
// bench` short; docs/benchmarks/ledger.md runs it with 1,000,000.
func BenchmarkVerify(b *testing.B) {
	n := benchEnvInt("TONGDAO_BENCH_VERIFY_N", 200_000)
	run := func(b *testing.B, dsn string) {
		db := storetest.Open(b, dsn)
		clk := clock.NewVirtual(start)
		l := openLedger(b, db, clk)
		ids := bulkAccounts(b, l, db, 1000)
		seedJournal(b, db, ids, n, clock.AccountingDay(start, 0), start)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rep, err := l.Verify(context.Background(), ledger.VerifyOptions{})
			if err != nil || !rep.OK() || rep.Entries != int64(n) {
				b.Fatalf("verify: %v %+v", err, rep)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))) })
}

// BenchmarkCloseDay closes days on which every one of TONGDAO_BENCH_CLOSE_ACCOUNTS accounts
// (default 100,000) moved. One op is one CloseDay.
func BenchmarkCloseDay(b *testing.B) {
	n := benchEnvInt("TONGDAO_BENCH_CLOSE_ACCOUNTS", 100_000)
	run := func(b *testing.B, dsn string) {
		db := storetest.Open(b, dsn)
		clk := clock.NewVirtual(start)
		l := openLedger(b, db, clk)
		ids := bulkAccounts(b, l, db, n)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			day := l.Today()
			seedJournal(b, db, ids, n/3+1, day, clk.Now())
			clk.Advance(24 * time.Hour)
			b.StartTimer()
			if _, err := l.CloseDay(ctx, day); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		rows, err := l.DayClose(ctx, l.Today().AddDays(-1))
		if err != nil || len(rows) != n {
			b.Fatalf("close rows %d, want %d (%v)", len(rows), n, err)
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))) })
}

// BenchmarkBalanceWithTail reads one account's balance while the counter checkpoint is
// 2,000 entries (6,000 lines) behind (CheckpointEvery 2048): the worst case a read pays for
// checkpointed counters. With the default checkpoint (every batch) there is no tail.
func BenchmarkBalanceWithTail(b *testing.B) {
	run := func(b *testing.B, dsn string) {
		db := storetest.Open(b, dsn)
		l, err := ledger.New(ledger.Config{Store: db, Clock: clock.NewVirtual(start), CheckpointEvery: 2048})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = l.Close() })
		all := bulkAccounts(b, l, db, 1001)
		hot, ids := all[0], all[1:]
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 2000; i++ {
			if _, err := l.Post(ctx, post3(rng, fmt.Sprintf("t-%d", i), hot, ids, 0.2)); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := l.Balance(ctx, hot); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))) })
}
