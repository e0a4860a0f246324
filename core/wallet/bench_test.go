package wallet_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/core/wallet"
)

// benchTransfers measures wallet transfers per second with 64 callers, 20% of them from one
// hot wallet, and — in the same run, on the same database and wallets, in alternating rounds —
// the ledger's own 2-line entries per second with the same mix, so the ratio is the account
// layer's cost. ns/op counts both.
func benchTransfers(b *testing.B, dsn string) {
	f := newFixture(b, dsn, nil)
	const wallets, callers = 200, 64
	accts := make([]*wallet.Account, wallets)
	for i := range accts {
		_, accts[i] = f.customer(fmt.Sprintf("B%d", i), "张三", idZhang, wallet.LevelFull)
		f.fund(accts[i], 1_000_000_00)
	}
	pick := func(rng *rand.Rand) (from, to *wallet.Account) {
		from = accts[1+rng.IntN(wallets-1)]
		if rng.IntN(5) == 0 {
			from = accts[0]
		}
		for to = from; to == from; {
			to = accts[rng.IntN(wallets)]
		}
		return from, to
	}
	// cpu is this process's user + system CPU time so far (SQLite runs in the process; a
	// PostgreSQL server's CPU is not counted).
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var cl, cw time.Duration
	// run does ops lo+1..hi with 64 callers and returns how long that took.
	run := func(name string, lo, hi int64, op func(rng *rand.Rand, i int64) error) time.Duration {
		var next atomic.Int64
		next.Store(lo)
		var wg sync.WaitGroup
		began := time.Now()
		for c := 0; c < callers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), uint64(lo)))
				for {
					i := next.Add(1)
					if i > hi {
						return
					}
					if err := op(rng, i); err != nil {
						b.Errorf("%s %d: %v", name, i, err)
						return
					}
				}
			}(c)
		}
		wg.Wait()
		return time.Since(began)
	}
	ledgerOp := func(rng *rand.Rand, i int64) error {
		from, to := pick(rng)
		amt := money.New(1+rng.Int64N(100), money.CNY)
		key := fmt.Sprintf("bench-ledger-%d", i)
		_, err := f.led.Post(f.ctx, ledger.Posting{Key: key, Voucher: ledger.Voucher{Kind: "bench", ID: key, Amount: amt},
			Lines: []ledger.Line{{Account: ledger.AccountID(from.LedgerID), Side: ledger.Debit, Amount: amt}, {Account: ledger.AccountID(to.LedgerID), Side: ledger.Credit, Amount: amt}}})
		return err
	}
	walletOp := func(rng *rand.Rand, i int64) error {
		from, to := pick(rng)
		_, err := f.svc.Transfer(f.ctx, "M1", wallet.TransferRequest{RequestNo: fmt.Sprintf("BT%d", i), From: from.ID, To: to.ID, Amount: 1 + rng.Int64N(100)})
		return err
	}
	// The two alternate in rounds, so a change in the machine's load (it is shared) weighs on
	// both alike.
	const rounds = 8
	var tl, tw time.Duration
	b.ResetTimer()
	for r := int64(0); r < rounds; r++ {
		lo, hi := int64(b.N)*r/rounds, int64(b.N)*(r+1)/rounds
		c0 := cpu()
		tl += run("ledger", lo, hi, ledgerOp)
		c1 := cpu()
		tw += run("wallet", lo, hi, walletOp)
		cl, cw = cl+c1-c0, cw+cpu()-c1
	}
	b.StopTimer()
	ledgerRate, walletRate := float64(b.N)/tl.Seconds(), float64(b.N)/tw.Seconds()
	b.ReportMetric(walletRate, "transfers/s")
	b.ReportMetric(ledgerRate, "ledger-entries/s")
	b.ReportMetric(walletRate/ledgerRate, "ratio")
	b.ReportMetric(float64(cl.Microseconds())/float64(b.N), "ledger-cpu-µs/entry")
	b.ReportMetric(float64(cw.Microseconds())/float64(b.N), "wallet-cpu-µs/transfer")
}

// BenchmarkTransfers64Callers: go test -run '^$' -bench Transfers64Callers -benchtime 4000x ./core/wallet/
func BenchmarkTransfers64Callers(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchTransfers(b, storetest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { benchTransfers(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))) })
}
