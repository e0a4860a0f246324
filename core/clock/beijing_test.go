package clock

import (
	"strings"
	"testing"
	"time"
)

// TestBeijing_FromEmbeddedTZData checks the zone is the real IANA
// Asia/Shanghai (1986–1991 summer time is only in tzdata, not in a fixed
// offset) and is loaded from the bytes compiled into the package: Beijing
// calls time.LoadLocationFromTZData only, never time.LoadLocation, so neither
// /usr/share/zoneinfo nor ZONEINFO is consulted.
func TestBeijing_FromEmbeddedTZData(t *testing.T) {
	loc := Beijing()
	if loc.String() != "Asia/Shanghai" {
		t.Fatalf("Beijing() = %q; the embedded zone failed to load", loc)
	}
	if !strings.HasPrefix(shanghaiTZif, "TZif") {
		t.Fatal("embedded zone is not TZif data")
	}
	tests := []struct {
		utc    time.Time
		name   string
		offset int
	}{
		{time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC), "CST", 8 * 3600},
		{time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), "CST", 8 * 3600},
		{time.Date(1988, 7, 1, 0, 0, 0, 0, time.UTC), "CDT", 9 * 3600},
		{time.Date(1992, 7, 1, 0, 0, 0, 0, time.UTC), "CST", 8 * 3600},
	}
	for _, tt := range tests {
		name, off := tt.utc.In(loc).Zone()
		if name != tt.name || off != tt.offset {
			t.Errorf("%v in Beijing: zone %s %d, want %s %d", tt.utc, name, off, tt.name, tt.offset)
		}
	}
	if Beijing() != loc {
		t.Error("Beijing() returned a different *time.Location on the second call")
	}
}

func TestReal_BehavesLikePackageTime(t *testing.T) {
	c := Real()
	before := time.Now()
	now := c.Now()
	if now.Before(before) || c.Since(before) < 0 {
		t.Fatalf("Real().Now() = %v before time.Now() %v", now, before)
	}
	tm := c.NewTimer(0)
	<-tm.C() // fires immediately; no sleeping
	<-c.After(0)
	done := make(chan struct{})
	af := c.AfterFunc(0, func() { close(done) })
	<-done
	if af.C() != nil {
		t.Fatal("AfterFunc timer has a channel")
	}
	long := c.AfterFunc(time.Hour, func() { t.Error("fired") })
	if !long.Stop() || long.Stop() {
		t.Fatal("Stop: want true then false")
	}
	lt := c.NewTimer(time.Hour)
	if !lt.Reset(2*time.Hour) || !lt.Stop() {
		t.Fatal("Reset/Stop of a pending real timer")
	}
}
