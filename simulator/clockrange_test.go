package simulator_test

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

func TestClock_TimesOutsideTheRangeAreRefusedAndChangeNothing(t *testing.T) {
	tests := []struct {
		name, path, body, field string
		before                  time.Time // clock set here first (zero: the default start)
	}{
		{"set to year 9999", "/_sim/clock/set", `{"time":"9999-12-31T23:59:59Z"}`, "time", time.Time{}},
		{"set just past MaxTime", "/_sim/clock/set", `{"time":"2200-01-01T00:00:01Z"}`, "time", time.Time{}},
		{"advance by the largest duration", "/_sim/clock/advance", `{"duration":"2562047h"}`, "duration", time.Time{}},
		{"advance past MaxTime", "/_sim/clock/advance", `{"duration":"2h"}`, "duration", simulator.MaxTime.Add(-time.Hour)},
		{"advance at MaxTime", "/_sim/clock/advance", `{"duration":"1ns"}`, "duration", simulator.MaxTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSim(t, nil)
			if !tt.before.IsZero() {
				if err := s.SetTime(tt.before); err != nil {
					t.Fatal(err)
				}
			}
			now, nrec := s.Clock().Now(), len(s.Records(simulator.RecordFilter{}))
			req, _ := http.NewRequest(http.MethodPost, "http://sim.test"+tt.path, strings.NewReader(tt.body))
			resp, err := s.Transport().RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct{ Error, Field string }
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 400 || e.Field != tt.field || !strings.Contains(e.Error, "2200-01-01") {
				t.Errorf("got %d field=%q error=%q, want 400 naming %q and the limit", resp.StatusCode, e.Field, e.Error, tt.field)
			}
			if got := s.Clock().Now(); !got.Equal(now) {
				t.Errorf("clock moved from %v to %v", now, got)
			}
			if got := len(s.Records(simulator.RecordFilter{})); got != nrec {
				t.Errorf("%d records after a refused request, want %d", got, nrec)
			}
		})
	}
}

func TestClock_GoAPIRefusesTimesOutsideTheRange(t *testing.T) {
	s, _ := newSim(t, nil)
	if err := s.SetTime(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("SetTime(9999) succeeded")
	}
	if err := s.Advance(time.Duration(math.MaxInt64)); err == nil {
		t.Error("Advance(MaxInt64) succeeded")
	}
	if _, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{newFake()}, Start: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("New with Start in 2300 succeeded")
	}
}

// At the latest representable time a failing merchant's retries still run out, on the
// schedule, without spinning.
func TestCallbacks_RetriesNearMaxTimeKeepTheirSchedule(t *testing.T) {
	sink := &merchantSink{ack: func(int) string { return "FAIL" }}
	s, _ := newSim(t, sink)
	if err := s.SetTime(simulator.MaxTime.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	t0 := createAndPay(t, s, "FAR1")
	if err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 15 * time.Second, 30 * time.Second, 60 * time.Second}
	if got := attemptOffsets(s, "FAR1", t0); len(got) != len(want) || got[3] != want[3] {
		t.Fatalf("attempts at %v, want %v", got, want)
	}
}
