package clock

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDate_FormatAndParse(t *testing.T) {
	tests := []struct {
		d        Date
		s, compt string
	}{
		{Date{2026, time.November, 22}, "2026-11-22", "20261122"},
		{Date{2024, time.February, 29}, "2024-02-29", "20240229"},
		{Date{1, time.January, 1}, "0001-01-01", "00010101"},
		{Date{9999, time.December, 31}, "9999-12-31", "99991231"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.s {
			t.Errorf("String() = %q, want %q", got, tt.s)
		}
		if got := tt.d.Compact(); got != tt.compt {
			t.Errorf("Compact() = %q, want %q", got, tt.compt)
		}
		if got, err := ParseDate(tt.s); err != nil || got != tt.d {
			t.Errorf("ParseDate(%q) = %v, %v", tt.s, got, err)
		}
		if got, err := ParseCompactDate(tt.compt); err != nil || got != tt.d {
			t.Errorf("ParseCompactDate(%q) = %v, %v", tt.compt, got, err)
		}
	}
}

func TestParseDate_RejectsBadInput(t *testing.T) {
	for _, s := range []string{"", "2026-1-22", "2026-11-2", "2026/11/22", "26-11-22", "2026-11-22 ",
		" 2026-11-22", "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2023-02-29", "2100-02-29",
		"0000-01-01", "2026-1a-22", "+026-11-22", "2026-11-22T00:00:00Z", "２026-11-22"} {
		if got, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want error", s, got)
		}
	}
	for _, s := range []string{"", "2026112", "202611222", "20261131", "2026-1122", "20260229"} {
		if got, err := ParseCompactDate(s); err == nil {
			t.Errorf("ParseCompactDate(%q) = %v, want error", s, got)
		}
	}
}

func TestDate_AddDaysAndCompare(t *testing.T) {
	tests := []struct {
		d    Date
		n    int
		want Date
	}{
		{Date{2026, 12, 31}, 1, Date{2027, 1, 1}},
		{Date{2027, 1, 1}, -1, Date{2026, 12, 31}},
		{Date{2024, 2, 28}, 1, Date{2024, 2, 29}},
		{Date{2023, 2, 28}, 1, Date{2023, 3, 1}},
		{Date{2026, 1, 31}, 30, Date{2026, 3, 2}},
		{Date{2026, 6, 15}, 0, Date{2026, 6, 15}},
		{Date{2026, 1, 1}, 365, Date{2027, 1, 1}},
	}
	for _, tt := range tests {
		if got := tt.d.AddDays(tt.n); got != tt.want {
			t.Errorf("%v.AddDays(%d) = %v, want %v", tt.d, tt.n, got, tt.want)
		}
	}
	a, b := Date{2026, 12, 31}, Date{2027, 1, 1}
	if !a.Before(b) || a.After(b) || !b.After(a) || b.Before(a) || a.Before(a) || a.After(a) {
		t.Error("Before/After inconsistent")
	}
	if !(Date{2026, 2, 28}).Before(Date{2026, 3, 1}) || !(Date{2026, 3, 1}).Before(Date{2026, 3, 2}) {
		t.Error("month/day comparison wrong")
	}
}

func TestDate_StartAndDateOf(t *testing.T) {
	d := Date{2026, 11, 22}
	start := d.Start(Beijing())
	if want := time.Date(2026, 11, 21, 16, 0, 0, 0, time.UTC); !start.Equal(want) {
		t.Fatalf("Start(Beijing) = %v, want %v", start, want)
	}
	if got := DateOf(start, Beijing()); got != d {
		t.Fatalf("DateOf(Start) = %v", got)
	}
	if got := DateOf(start.Add(-time.Nanosecond), Beijing()); got != d.AddDays(-1) {
		t.Fatalf("DateOf(Start-1ns) = %v", got)
	}
	if got := DateOf(start, time.UTC); got != d.AddDays(-1) {
		t.Fatalf("DateOf(Start, UTC) = %v", got)
	}
}

func TestDate_JSON(t *testing.T) {
	type rec struct {
		Day Date `json:"day"`
	}
	b, err := json.Marshal(rec{Day: Date{2026, 1, 2}})
	if err != nil || string(b) != `{"day":"2026-01-02"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var r rec
	if err := json.Unmarshal(b, &r); err != nil || r.Day != (Date{2026, 1, 2}) {
		t.Fatalf("Unmarshal = %v, %v", r, err)
	}
	if b, err := json.Marshal(rec{}); err != nil || string(b) != `{"day":null}` {
		t.Fatalf("zero Date Marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"day":null}`), &r); err != nil || r.Day != (Date{2026, 1, 2}) {
		t.Fatalf("null must leave the field unchanged: %v, %v", r, err)
	}
	for _, in := range []string{`{"day":"2026-02-30"}`, `{"day":20260102}`, `{"day":"20260102"}`, `{"day":""}`, `{"day":"2026-01-02T00:00:00Z"}`} {
		if err := json.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want error", in, r)
		}
	}
	if _, err := json.Marshal(rec{Day: Date{2026, 2, 30}}); err == nil {
		t.Error("Marshal of an invalid date succeeded")
	}
	// Text form, e.g. map keys and YAML.
	m := map[Date]int{{2026, 1, 2}: 1}
	if b, err := json.Marshal(m); err != nil || string(b) != `{"2026-01-02":1}` {
		t.Fatalf("map key Marshal = %s, %v", b, err)
	}
	var back map[Date]int
	if err := json.Unmarshal([]byte(`{"2026-01-02":1}`), &back); err != nil || back[Date{2026, 1, 2}] != 1 {
		t.Fatalf("map key Unmarshal = %v, %v", back, err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-22", "2024-02-29", "2023-02-29", "", "9999-12-31", "0000-00-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if !d.Valid() || d.String() != s {
			t.Fatalf("ParseDate(%q) = %v (valid %v)", s, d, d.Valid())
		}
		if c, err := ParseCompactDate(d.Compact()); err != nil || c != d {
			t.Fatalf("compact round trip of %v: %v, %v", d, c, err)
		}
	})
}
