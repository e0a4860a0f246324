package clock

import (
	"testing"
	"time"
)

// BenchmarkVirtual_Advance24hOver100kTimers schedules 100,000 AfterFunc
// timers spread over the first 6 hours; each fires 4 times (rescheduling
// itself 5h later from inside its callback), then one Advance(24h) runs all
// 400,000 firings. One op is the whole scenario, setup included.
func BenchmarkVirtual_Advance24hOver100kTimers(b *testing.B) {
	const n, fires = 100_000, 4
	b.ReportAllocs()
	for b.Loop() {
		v := NewVirtual(epoch)
		count := make([]uint8, n)
		timers := make([]Timer, n)
		total := 0
		for i := range n {
			d := time.Duration(i) * (6 * time.Hour / n)
			timers[i] = v.AfterFunc(d, func() {
				total++
				count[i]++
				if count[i] < fires {
					timers[i].Reset(5 * time.Hour)
				}
			})
		}
		v.Advance(24 * time.Hour)
		if total != n*fires || v.Pending() != 0 {
			b.Fatalf("fired %d, pending %d", total, v.Pending())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(n*fires), "ns/fire")
}

// BenchmarkVirtual_AfterFuncStop measures scheduling and cancelling one timer
// with 10,000 others pending.
func BenchmarkVirtual_AfterFuncStop(b *testing.B) {
	v := NewVirtual(epoch)
	for i := range 10_000 {
		v.AfterFunc(time.Duration(i)*time.Second, func() {})
	}
	f := func() {}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v.AfterFunc(time.Duration(i%20_000)*time.Second, f).Stop()
	}
}

// BenchmarkAccountingDay measures the per-transaction cost of the UnionPay
// clearing-day computation.
func BenchmarkAccountingDay(b *testing.B) {
	t := time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		_ = AccountingDay(t, UnionPayCutoff)
	}
}
