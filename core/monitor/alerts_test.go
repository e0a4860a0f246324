package monitor_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/core/monitor"
)

// TestAlerts_RuleFileNamesOnlyExistingMetrics: docs/alerts.yaml parses as a Prometheus rule
// file, every rule has an alert name, an expression, a duration and a severity, and every
// tongdao_ metric it uses is one the gateway exports.
func TestAlerts_RuleFileNamesOnlyExistingMetrics(t *testing.T) {
	data, err := os.ReadFile("../../docs/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert  string
				Expr   string
				For    string
				Labels map[string]string
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	known := exported(t)
	wantAlerts := map[string]bool{"TongdaoChannelSuccessRateDrop": false, "TongdaoChannelLatencyRise": false,
		"TongdaoChannelUnknownOutcomeRise": false, "TongdaoOutboxLag": false, "TongdaoChannelBreakerOpen": false,
		"TongdaoReceivableOverdue": false}
	re := regexp.MustCompile(`tongdao_[a-z_]+`)
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.For == "" || r.Labels["severity"] == "" {
				t.Errorf("rule %+v lacks alert, expr, for or severity", r)
			}
			if _, ok := wantAlerts[r.Alert]; ok {
				wantAlerts[r.Alert] = true
			}
			for _, m := range re.FindAllString(r.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
				if !known[base] {
					t.Errorf("%s uses %s, which the gateway does not export", r.Alert, m)
				}
			}
		}
	}
	for a, seen := range wantAlerts {
		if !seen {
			t.Errorf("alert %s missing", a)
		}
	}
}

// exported lists the metric names of the monitor (registered here, so a renamed metric
// fails) and, by name, those of the gateway and the collectors (their tests scrape them).
func exported(t *testing.T) map[string]bool {
	reg := prometheus.NewRegistry()
	if _, err := monitor.New(reg, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"tongdao_channel_requests_total", "tongdao_channel_request_seconds"} {
		if err := reg.Register(prometheus.NewCounter(prometheus.CounterOpts{Name: n, Help: "x"})); err == nil {
			t.Errorf("%s is not registered by monitor.New", n)
		}
	}
	known := map[string]bool{
		"tongdao_outbox_lag_seconds": true, "tongdao_outbox_pending": true, "tongdao_gateway_query_queue_depth": true,
		"tongdao_channel_breaker_state": true,
		// core/clearing's AgeingCollector (its tests gather them).
		"tongdao_clearing_receivable_overdue": true, "tongdao_clearing_ageing_errors_total": true,
	}
	for _, n := range []string{"tongdao_channel_requests_total", "tongdao_channel_request_seconds", "tongdao_channel_outcomes_total",
		"tongdao_channel_unknown_outcomes_total", "tongdao_channel_notification_lag_seconds"} {
		known[n] = true
	}
	return known
}
