package clock

import (
	"bytes"
	"fmt"
	"time"
)

// Date is a civil (calendar) date with no time zone: the date printed on a
// statement or a settlement batch. Compare Dates with ==, Before and After.
// The zero Date is not a valid date; it marshals to JSON null.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in loc (e.g. Beijing()). loc must not be
// nil.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses "2006-01-02" exactly: four-digit year, two-digit month and
// day, a real calendar day (no 2023-02-29). Errors name the input.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("clock: parsing date %q: want YYYY-MM-DD", s)
	}
	return parseParts(s, s[0:4], s[5:7], s[8:10])
}

// ParseCompactDate parses "20060102" exactly, with the checks of ParseDate.
func ParseCompactDate(s string) (Date, error) {
	if len(s) != 8 {
		return Date{}, fmt.Errorf("clock: parsing date %q: want YYYYMMDD", s)
	}
	return parseParts(s, s[0:4], s[4:6], s[6:8])
}

func parseParts(s, ys, ms, ds string) (Date, error) {
	y, ok1 := atoiDigits(ys)
	m, ok2 := atoiDigits(ms)
	d, ok3 := atoiDigits(ds)
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("clock: parsing date %q: non-digit", s)
	}
	dt := Date{Year: y, Month: time.Month(m), Day: d}
	if !dt.Valid() {
		return Date{}, fmt.Errorf("clock: parsing date %q: no such day", s)
	}
	return dt, nil
}

func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Valid reports whether d is a real calendar day in years 1–9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String formats d as "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compact formats d as "20060102" (the form in channel statements and file
// names).
func (d Date) Compact() string {
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

// AddDays returns the date n days after d (before, for negative n), crossing
// months and years by the proleptic Gregorian calendar.
func (d Date) AddDays(n int) Date {
	y, m, dd := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC).Date()
	return Date{Year: y, Month: m, Day: dd}
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.cmp(o) < 0 }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.cmp(o) > 0 }

func (d Date) cmp(o Date) int {
	switch {
	case d.Year != o.Year:
		return sign(d.Year - o.Year)
	case d.Month != o.Month:
		return sign(int(d.Month) - int(o.Month))
	}
	return sign(d.Day - o.Day)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// Start returns the first instant of d in loc (midnight, or the first
// existing instant if a DST jump skips midnight, as time.Date normalises).
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalText encodes a valid d as "2006-01-02"; the zero Date as empty text.
func (d Date) MarshalText() ([]byte, error) {
	if d == (Date{}) {
		return []byte{}, nil
	}
	if !d.Valid() {
		return nil, fmt.Errorf("clock: marshaling invalid date %s", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText decodes "2006-01-02"; empty text gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON encodes a valid d as "2006-01-02" and the zero Date as null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d == (Date{}) {
		return []byte("null"), nil
	}
	if !d.Valid() {
		return nil, fmt.Errorf("clock: marshaling invalid date %s", d)
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON decodes "2006-01-02" strictly (ParseDate). null leaves d
// unchanged, as encoding/json expects; any other JSON value is an error.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("clock: date must be a JSON string \"YYYY-MM-DD\", got %.40s", b)
	}
	v, err := ParseDate(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
