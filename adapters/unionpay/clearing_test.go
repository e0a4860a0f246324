package unionpay

import (
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

func bj(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, clock.Beijing())
	if err != nil {
		panic(err)
	}
	return t
}

func TestUndoAllowed_OnlyOnTheClearingDayOfTheOriginal(t *testing.T) {
	for _, tc := range []struct {
		settle, now string
		want        bool
	}{
		{"0603", "2024-06-03 22:59:59", true},  // consume at 22:59:59 -> 0603, still 0603
		{"0603", "2024-06-03 23:00:01", false}, // the day turned: refund
		{"0604", "2024-06-03 23:00:01", true},  // consume at 23:00:01 -> 0604
		{"0604", "2024-06-04 22:59:59", true},
		{"0101", "2024-12-31 23:30:00", true}, // next year's first clearing day
		{"1231", "2025-01-01 09:00:00", false},
	} {
		got, err := undoAllowed(tc.settle, bj(tc.now), clock.UnionPayCutoff)
		if err != nil || got != tc.want {
			t.Errorf("settleDate %s at %s: %v %v, want %v", tc.settle, tc.now, got, err, tc.want)
		}
	}
	if _, err := undoAllowed("06-3", bj("2024-06-03 10:00:00"), clock.UnionPayCutoff); err == nil {
		t.Error("malformed settleDate accepted")
	}
}

func TestZMTime_YearFromTheFile(t *testing.T) {
	for _, tc := range []struct {
		trace, day, want string
	}{
		{"0603225959", "20240603", "2024-06-03 22:59:59"},
		{"0603230001", "20240604", "2024-06-03 23:00:01"},
		{"1231233000", "20250101", "2024-12-31 23:30:00"},
		{"0101000500", "20250101", "2025-01-01 00:05:00"},
	} {
		d, _ := clock.ParseCompactDate(tc.day)
		got, err := zmTime(tc.trace, d)
		if err != nil || !got.Equal(bj(tc.want)) {
			t.Errorf("%s in file %s: %v %v, want %s", tc.trace, tc.day, got, err, tc.want)
		}
	}
	if _, err := zmTime("1332000000", clock.Date{Year: 2024, Month: 6, Day: 3}); err == nil {
		t.Error("month 13 accepted")
	}
}
