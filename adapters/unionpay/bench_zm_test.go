package unionpay

import (
	"errors"
	"io"
	"runtime"
	"testing"
)

// BenchmarkZMParse streams b.N generated 607-character records through the ZM reader and
// reports records/s and the peak live heap sampled every 100,000 records.
func BenchmarkZMParse(b *testing.B) {
	z := newZMReader(newZMGen(b.N))
	var ms runtime.MemStats
	var peak uint64
	b.SetBytes(609)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	var sink int64
	for {
		r, err := z.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		sink += r.Amount
		n++
		if n%100_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	b.StopTimer()
	if n != b.N || sink == 0 {
		b.Fatalf("%d records", n)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
}
