package recon_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestReport_Golden pins the three report formats (text for people, JSON, CSV for finance)
// for a day with one item of each kind and a skipped record type.
func TestReport_Golden(t *testing.T) {
	fee, _ := recon.RateFee(map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")})
	st := &sliceStatement{recs: []channel.StatementRecord{
		pay("P1", 10000, 60, bj(9, 0, 0)),
		pay("P2", 10001, 60, bj(9, 1, 0)),
		pay("P3", 10000, 61, bj(9, 2, 0)),
		pay("P4", 10000, 60, bj(9, 3, 0)),
		pay("P5", 10000, 60, bj(23, 58, 0)),
		{Channel: "wechat", Type: channel.RecordPayout, PayoutNo: "PO1", Amount: money.Fen(5000), Status: channel.StatusSucceeded},
	}}
	local := sliceSource{lpay("P1", 10000, bj(9, 0, 0)), lpay("P2", 10000, bj(9, 1, 0)), lpay("P3", 10000, bj(9, 2, 0)), lpay("P6", 2000, bj(10, 0, 0))}
	res, items := run(t, recon.Input{Statement: st, Local: local, Fee: fee, Window: 5 * time.Minute})
	rep := &recon.Report{Result: res}
	for i := range items {
		items[i].ID = int64(i + 1)
		switch items[i].Status {
		case recon.ItemOpen:
			rep.Exceptions = append(rep.Exceptions, items[i])
		case recon.ItemWaiting:
			rep.Waiting = append(rep.Waiting, items[i])
		}
	}
	for _, f := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return rep.WriteText(b) }},
		{"report.json", func(b *bytes.Buffer) error { return rep.WriteJSON(b) }},
		{"report.csv", func(b *bytes.Buffer) error { return rep.WriteCSV(b) }},
	} {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", f.file)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from the golden file:\n%s", f.file, b.String())
		}
	}
}
