package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Background WAL checkpoints ("sqlite:PATH?checkpoint=background").
//
// By default SQLite checkpoints the WAL into the database file inside the COMMIT that takes
// the WAL past 1,000 pages: that commit, and every writer queued behind it, waits while pages
// are copied and the database file is synced. With many small commits on a latency path (the
// audit log of balance queries) that is the tail: measured with `tongdao balance load` at
// 1,000 queries/s (docs/BENCHMARKS.md, issue 19). With this option the writers never
// checkpoint (wal_autocheckpoint=0); a goroutine looks at the WAL every walPoll and, once it
// has reached walCheckpointBytes, runs a PASSIVE checkpoint on a reader connection, which
// copies what it can without blocking writers or readers. SQLite reuses the WAL from its
// beginning after a checkpoint that caught up, without shrinking the file, so on a busy
// database that is a checkpoint every walPoll; one with nothing to copy does no I/O.

const (
	walPoll            = 100 * time.Millisecond
	walCheckpointBytes = 4 << 20 // about 1,000 pages of 4 KiB, as SQLite's own default
)

// walCheckpointOption reads the checkpoint option of a SQLite DSN's rest ("PATH?…"):
// "auto" (default) or "background".
func walCheckpointOption(rest string) (bool, error) {
	_, query, _ := strings.Cut(rest, "?")
	if query == "" {
		return false, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return false, fmt.Errorf("options %q: %w", query, err)
	}
	v, ok := q["checkpoint"]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v[len(v)-1]) {
	case "auto":
		return false, nil
	case "background":
		return true, nil
	}
	return false, fmt.Errorf("option checkpoint=%q: want auto or background", v[len(v)-1])
}

type walCheckpointer struct {
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func (d *DB) startWALCheckpointer(path string) {
	c := &walCheckpointer{stop: make(chan struct{})}
	d.wal = c
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(walPoll)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
			if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() < walCheckpointBytes {
				continue
			}
			// Errors are left for the next round: a checkpoint that fails changes nothing.
			_, _ = d.r.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}()
}

func (d *DB) stopWALCheckpointer() {
	if d.wal == nil {
		return
	}
	d.wal.once.Do(func() { close(d.wal.stop) })
	d.wal.wg.Wait()
}
