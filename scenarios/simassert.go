package scenarios

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// RecordWindow narrows a records expectation to what the system under test did around
// other events: the heart of testing someone else's integration ("it queried the order
// within 30 s after the timeout", "it never called refund twice with different numbers").
type RecordWindow struct {
	// After anchors the window: only records after the first record matching it count
	// (its Count/Min/Max are unused). Nil = from the scenario's start.
	After *RecordExpect
	// Within bounds the window to this long after the anchor (simulator time; 0 = no bound).
	Within time.Duration
	// Acked counts only callback attempts the simulator judged acknowledged (true) or not
	// (false) by the channel's own rule: "in the channel's format".
	Acked *bool
	// Distinct counts the distinct values of this request field (an XML element, JSON key
	// or form field, e.g. out_refund_no) instead of records.
	Distinct string
}

// recordWindow decodes the window keys of a records expectation.
func (c *stepCtx) recordWindow(re *RecordExpect, m *mapNode, defChannel string) {
	d := c.d
	re.Within = m.duration("within")
	re.Acked = m.boolPtr("acked")
	re.Distinct = m.str("distinct")
	if re.Distinct != "" && !fieldName.MatchString(re.Distinct) {
		d.errorf(m.get("distinct"), m.field("distinct"), "want a request field name (e.g. out_refund_no), got %q", re.Distinct)
	}
	if an := m.get("after"); an != nil {
		re.After = c.recordExpect(an, m.field("after"), defChannel)
		if re.After != nil && (re.After.Count != nil || re.After.Max != nil || re.After.After != nil) {
			d.errorf(an, m.field("after"), "the anchor names one event: no count, max or after of its own")
		}
	}
	if re.Within > 0 && re.After == nil {
		d.errorf(m.get("within"), m.field("within"), "within needs after: the event the window starts at")
	}
}

var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$`)

// windowed applies a records expectation's window to recs (all of the expectation's
// channel, order and kind).
func (r *run) windowed(ctx context.Context, re *RecordExpect, recs []simulator.Record) ([]simulator.Record, error) {
	if re.After != nil {
		a := re.After
		all, err := r.drv.Records(ctx, simulator.RecordFilter{Channel: a.Channel, OutTradeNo: a.Order, Kind: a.Kind})
		if err != nil {
			return nil, fmt.Errorf("reading the simulator's records: %w", err)
		}
		var anchor *simulator.Record
		for i := range all {
			if matchRecord(a, &all[i]) {
				anchor = &all[i]
				break
			}
		}
		if anchor == nil {
			return nil, fmt.Errorf("expected a window after the simulator record %s, but there is none", describeRecordExpect(a))
		}
		out := recs[:0:0]
		for i := range recs {
			rec := &recs[i]
			if rec.Seq <= anchor.Seq {
				continue
			}
			if re.Within > 0 && rec.Time.Sub(anchor.Time) > re.Within {
				continue
			}
			out = append(out, *rec)
		}
		recs = out
	}
	if re.Acked != nil {
		out := recs[:0:0]
		for i := range recs {
			if recs[i].Acked == *re.Acked {
				out = append(out, recs[i])
			}
		}
		recs = out
	}
	return recs, nil
}

// matchRecord applies a records expectation's op and fault to one record.
func matchRecord(re *RecordExpect, rec *simulator.Record) bool {
	return (re.Op == "" || rec.Op == re.Op) && (re.Fault == "" || hasFault(rec.Faults, re.Fault)) &&
		(re.Acked == nil || rec.Acked == *re.Acked)
}

// countDistinct counts the distinct values of field in the records' requests.
func countDistinct(recs []simulator.Record, field string) (int, []string) {
	seen := map[string]bool{}
	var vals []string
	for i := range recs {
		v, ok := requestField(recs[i].Request, field)
		if !ok || seen[v] {
			continue
		}
		seen[v] = true
		vals = append(vals, v)
	}
	return len(vals), vals
}

// requestField finds a field in a recorded request body, whatever the channel's format:
// an XML element (WeChat, <out_refund_no>…</out_refund_no>), a JSON member (Alipay's
// biz_content, the bank's JSON) or a form field (UnionPay, Alipay's outer form).
func requestField(body, field string) (string, bool) {
	if body == "" {
		return "", false
	}
	if v, ok := xmlField(body, field); ok {
		return v, true
	}
	if strings.Contains(body, "=") && !strings.HasPrefix(strings.TrimSpace(body), "<") && !strings.HasPrefix(strings.TrimSpace(body), "{") {
		if q, err := url.ParseQuery(body); err == nil {
			if v := q.Get(field); v != "" {
				return v, true
			}
			for _, vs := range q {
				for _, v := range vs {
					if jv, ok := jsonField(v, field); ok {
						return jv, true
					}
				}
			}
		}
	}
	return jsonField(body, field)
}

func xmlField(body, field string) (string, bool) {
	open, closeTag := "<"+field+">", "</"+field+">"
	i := strings.Index(body, open)
	if i < 0 {
		return "", false
	}
	rest := body[i+len(open):]
	j := strings.Index(rest, closeTag)
	if j < 0 {
		return "", false
	}
	v := strings.TrimSpace(rest[:j])
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<![CDATA["), "]]>")
	return v, true
}

// jsonField finds the first member named field at any depth of a JSON document.
func jsonField(body, field string) (string, bool) {
	doc, err := decodeJSON([]byte(body))
	if err != nil {
		return "", false
	}
	var find func(v any, depth int) (string, bool)
	find = func(v any, depth int) (string, bool) {
		if depth > 20 {
			return "", false
		}
		switch x := v.(type) {
		case map[string]any:
			if fv, ok := x[field]; ok {
				return jsonText(fv), true
			}
			for _, e := range x {
				if s, ok := find(e, depth+1); ok {
					return s, true
				}
			}
		case []any:
			for _, e := range x {
				if s, ok := find(e, depth+1); ok {
					return s, true
				}
			}
		}
		return "", false
	}
	return find(doc, 0)
}

// describeWindow adds the window to an expectation's description.
func describeWindow(re *RecordExpect) string {
	var parts []string
	if re.Acked != nil {
		parts = append(parts, fmt.Sprintf("acked=%t", *re.Acked))
	}
	if re.After != nil {
		w := "after the first " + strings.TrimPrefix(describeRecordExpect(re.After), "with ")
		if re.Within > 0 {
			w = "within " + re.Within.String() + " " + w
		}
		parts = append(parts, w)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}
