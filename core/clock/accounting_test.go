package clock

import (
	"testing"
	"time"
)

func bj(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, Beijing())
}

func TestAccountingDay_Boundaries(t *testing.T) {
	tests := []struct {
		name   string
		t      time.Time
		cutoff time.Duration
		want   Date
	}{
		{"natural 22:59:59", bj(2026, 3, 10, 22, 59, 59), NaturalDay, Date{2026, 3, 10}},
		{"natural 23:00:00", bj(2026, 3, 10, 23, 0, 0), NaturalDay, Date{2026, 3, 10}},
		{"natural 23:59:59", bj(2026, 3, 10, 23, 59, 59), NaturalDay, Date{2026, 3, 10}},
		{"natural 23:59:59.999999999", bj(2026, 3, 10, 23, 59, 59).Add(999999999), NaturalDay, Date{2026, 3, 10}},
		{"natural 00:00:00", bj(2026, 3, 11, 0, 0, 0), NaturalDay, Date{2026, 3, 11}},
		{"natural year end 23:30", bj(2026, 12, 31, 23, 30, 0), NaturalDay, Date{2026, 12, 31}},

		{"unionpay 22:59:59", bj(2026, 3, 10, 22, 59, 59), UnionPayCutoff, Date{2026, 3, 10}},
		{"unionpay 22:59:59.999999999", bj(2026, 3, 10, 22, 59, 59).Add(999999999), UnionPayCutoff, Date{2026, 3, 10}},
		{"unionpay 23:00:00 belongs to next day", bj(2026, 3, 10, 23, 0, 0), UnionPayCutoff, Date{2026, 3, 11}},
		{"unionpay 23:59:59", bj(2026, 3, 10, 23, 59, 59), UnionPayCutoff, Date{2026, 3, 11}},
		{"unionpay 00:00:00", bj(2026, 3, 11, 0, 0, 0), UnionPayCutoff, Date{2026, 3, 11}},
		{"unionpay morning", bj(2026, 3, 11, 9, 0, 0), UnionPayCutoff, Date{2026, 3, 11}},
		{"unionpay year end 31 Dec 23:30", bj(2026, 12, 31, 23, 30, 0), UnionPayCutoff, Date{2027, 1, 1}},
		{"unionpay year end 31 Dec 22:59:59", bj(2026, 12, 31, 22, 59, 59), UnionPayCutoff, Date{2026, 12, 31}},
		{"unionpay leap day eve", bj(2028, 2, 28, 23, 0, 0), UnionPayCutoff, Date{2028, 2, 29}},

		{"test env 13:29:59 is yesterday", bj(2026, 3, 10, 13, 29, 59), UnionPayTestCutoff, Date{2026, 3, 9}},
		{"test env 13:30:00 is today", bj(2026, 3, 10, 13, 30, 0), UnionPayTestCutoff, Date{2026, 3, 10}},
		{"test env 23:59:59", bj(2026, 3, 10, 23, 59, 59), UnionPayTestCutoff, Date{2026, 3, 10}},
		{"test env new year 00:00:00", bj(2027, 1, 1, 0, 0, 0), UnionPayTestCutoff, Date{2026, 12, 31}},

		// The same instant given in UTC: 15:00Z is 23:00 Beijing.
		{"utc input natural", time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), NaturalDay, Date{2026, 3, 10}},
		{"utc input unionpay", time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), UnionPayCutoff, Date{2026, 3, 11}},
		{"utc input after utc midnight", time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC), NaturalDay, Date{2026, 3, 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AccountingDay(tt.t, tt.cutoff); got != tt.want {
				t.Fatalf("AccountingDay(%v, %v) = %v, want %v", tt.t, tt.cutoff, got, tt.want)
			}
		})
	}
}

func TestAccountingDay_RejectsCutoffOutsideADay(t *testing.T) {
	for _, c := range []time.Duration{24 * time.Hour, -24 * time.Hour, 25 * time.Hour} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("cutoff %v did not panic", c)
				}
			}()
			AccountingDay(epoch, c)
		}()
	}
}

// TestAccountingDay_WithVirtualClockAcrossCutoff drives a virtual clock over
// the UnionPay boundary the way the simulator does.
func TestAccountingDay_WithVirtualClockAcrossCutoff(t *testing.T) {
	v := NewVirtual(bj(2026, 12, 31, 22, 59, 59))
	var days []Date
	v.AfterFunc(0, func() { days = append(days, AccountingDay(v.Now(), UnionPayCutoff)) })
	v.AfterFunc(time.Second, func() { days = append(days, AccountingDay(v.Now(), UnionPayCutoff)) })
	v.Advance(time.Second)
	if len(days) != 2 || days[0] != (Date{2026, 12, 31}) || days[1] != (Date{2027, 1, 1}) {
		t.Fatalf("days = %v", days)
	}
}
