package scenarios

import (
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

// WriteHTML writes a static HTML report: a summary, then per scenario its steps (passed,
// failed, not run), every failing expectation, and the transcript as a timeline of steps,
// requests to the simulator, callbacks, payer actions, faults and clock moves. The file
// is self-contained (inline style, no scripts, no external assets) and deterministic for
// the same results.
func WriteHTML(w io.Writer, results []Result) error {
	page := htmlPage{Title: "tongdao scenarios"}
	for _, r := range results {
		s := htmlScenario{Name: r.Scenario.Name, File: r.Scenario.Pos.String(), Seed: r.Scenario.Seed,
			Tags: strings.Join(r.Scenario.Tags, ", "), Instance: r.Scenario.Instance,
			Elapsed: fmt.Sprintf("%.3f s", r.Elapsed.Seconds()), Start: fmtTime(r.Scenario.Start)}
		switch {
		case r.Skipped:
			s.Verdict, s.Class = "SKIP", "skip"
			s.SkipReason = r.SkipReason
			page.Skipped++
		case r.Passed:
			s.Verdict, s.Class = "PASS", "pass"
			page.Passed++
		default:
			s.Verdict, s.Class, s.Open = "FAIL", "fail", true
			page.Failed++
		}
		failed := map[int]bool{}
		fails := r.Failures
		if len(fails) == 0 && r.Failure != nil {
			fails = []Failure{*r.Failure}
		}
		for _, f := range fails {
			at := f.Pos.String()
			if f.Step > 0 {
				at += fmt.Sprintf(" (step %d)", f.Step)
				failed[f.Step] = true
			}
			s.Failures = append(s.Failures, htmlFailure{At: at, Message: f.Message})
		}
		for i := range r.Scenario.Steps {
			st := &r.Scenario.Steps[i]
			row := htmlStep{Index: st.Index, Pos: st.Pos.String(), What: describeStep(st)}
			switch {
			case r.Skipped:
				row.State, row.Class = "skipped", "skip"
			case failed[st.Index]:
				row.State, row.Class = "failed", "fail"
			case st.Index <= r.Steps:
				row.State, row.Class = "passed", "pass"
			case !r.Passed && st.Index == r.Steps+1 && r.Failure != nil && r.Failure.Step == 0:
				row.State, row.Class = "failed", "fail"
			default:
				row.State, row.Class = "not run", "none"
			}
			s.Steps = append(s.Steps, row)
		}
		s.Timeline = timeline(r.Transcript)
		page.Scenarios = append(page.Scenarios, s)
	}
	page.Total = len(results)
	return htmlTmpl.Execute(w, page)
}

type htmlPage struct {
	Title                          string
	Total, Passed, Failed, Skipped int
	Scenarios                      []htmlScenario
}

type htmlScenario struct {
	Name, File, Tags, Instance, Elapsed, Start string
	Seed                                       uint64
	Verdict, Class, SkipReason                 string
	Open                                       bool
	Failures                                   []htmlFailure
	Steps                                      []htmlStep
	Timeline                                   []htmlEvent
}

type htmlFailure struct{ At, Message string }

type htmlStep struct {
	Index                   int
	Pos, What, State, Class string
}

type htmlEvent struct {
	Time, Kind, Class, Text string
}

var (
	stepLine = regexp.MustCompile(`^step (\d+) (\S+) \[([^\]]+)\] (.*)$`)
	simLine  = regexp.MustCompile(`^\s+sim#\d+ (\d\d:\d\d:\d\d) (\S+) ?(.*)$`)
)

// timeline classifies transcript lines: runner steps and results, simulator records by
// kind (call = a request the adapter made, callback, payer, fault, clock, event), notes
// and failures.
func timeline(lines []string) []htmlEvent {
	var out []htmlEvent
	for _, l := range lines {
		switch {
		case stepLine.MatchString(l):
			m := stepLine.FindStringSubmatch(l)
			ev := htmlEvent{Time: m[3], Kind: "step " + m[1], Class: "step", Text: m[4] + "  (" + m[2] + ")"}
			if strings.HasPrefix(m[4], "advance") || strings.HasPrefix(m[4], "set_time") || strings.HasPrefix(m[4], "wait_callbacks") {
				ev.Class = "step clock"
			}
			out = append(out, ev)
		case simLine.MatchString(l):
			m := simLine.FindStringSubmatch(l)
			kind := m[2]
			label := kind
			switch kind {
			case "call":
				label = "request"
			case "clock":
				label = "clock"
			}
			out = append(out, htmlEvent{Time: m[1], Kind: label, Class: "k-" + kind, Text: m[3]})
		case strings.HasPrefix(l, "FAILED: "):
			out = append(out, htmlEvent{Kind: "FAILED", Class: "failed", Text: strings.TrimPrefix(l, "FAILED: ")})
		case strings.HasPrefix(strings.TrimSpace(l), "=> "):
			out = append(out, htmlEvent{Kind: "result", Class: "result", Text: strings.TrimPrefix(strings.TrimSpace(l), "=> ")})
		case strings.HasPrefix(l, "note: "):
			out = append(out, htmlEvent{Kind: "note", Class: "note", Text: strings.TrimPrefix(l, "note: ")})
		default:
			out = append(out, htmlEvent{Kind: "", Class: "info", Text: strings.TrimSpace(l)})
		}
	}
	return out
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}
.summary span{margin-right:1.2em;font-weight:600}
details{border:1px solid #ccc;border-radius:4px;margin:.6em 0;padding:.3em .8em}
summary{cursor:pointer;font-weight:600}
.badge{display:inline-block;min-width:3em;text-align:center;border-radius:3px;padding:0 .4em;color:#fff;margin-right:.5em}
.badge.pass{background:#2e7d32}.badge.fail{background:#c62828}.badge.skip{background:#757575}
.meta{color:#555;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border-bottom:1px solid #eee;padding:.15em .5em;text-align:left;vertical-align:top}
td.t{white-space:nowrap;color:#555;font-family:ui-monospace,monospace}
td.x{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
tr.pass td.s{color:#2e7d32}tr.fail td.s{color:#c62828;font-weight:600}tr.none td.s,tr.skip td.s{color:#999}
.failures li{color:#c62828;font-family:ui-monospace,monospace;white-space:pre-wrap}
tr.step{background:#f3f6fb;font-weight:600}tr.clock{background:#fff8e1}
tr.k-call td.k{color:#1565c0}tr.k-callback td.k{color:#6a1b9a}tr.k-payer td.k{color:#00838f}
tr.k-fault td.k{color:#e65100}tr.k-clock td.k{color:#8d6e63}tr.failed{background:#ffebee;color:#c62828}
tr.note td{color:#e65100}tr.result td.x{color:#333}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="summary"><span>{{.Total}} scenarios</span><span>{{.Passed}} passed</span><span>{{.Failed}} failed</span><span>{{.Skipped}} skipped</span></p>
{{range .Scenarios}}<details{{if .Open}} open{{end}}>
<summary><span class="badge {{.Class}}">{{.Verdict}}</span>{{.Name}}</summary>
<p class="meta">{{.File}} · seed {{.Seed}} · start {{.Start}}{{if .Tags}} · tags {{.Tags}}{{end}}{{if .Instance}} · matrix {{.Instance}}{{end}} · {{.Elapsed}}</p>
{{if .SkipReason}}<p>Skipped: {{.SkipReason}}</p>{{end}}{{if .Failures}}<h3>Failing expectations</h3>
<ul class="failures">{{range .Failures}}<li>{{.At}}: {{.Message}}</li>{{end}}</ul>
{{end}}<h3>Steps</h3>
<table><tr><th>#</th><th>step</th><th>where</th><th>state</th></tr>
{{range .Steps}}<tr class="{{.Class}}"><td>{{.Index}}</td><td class="x">{{.What}}</td><td class="t">{{.Pos}}</td><td class="s">{{.State}}</td></tr>
{{end}}</table>
{{if .Timeline}}<h3>Timeline</h3>
<table><tr><th>time</th><th>what</th><th>detail</th></tr>
{{range .Timeline}}<tr class="{{.Class}}"><td class="t">{{.Time}}</td><td class="k">{{.Kind}}</td><td class="x">{{.Text}}</td></tr>
{{end}}</table>
{{end}}</details>
{{end}}</body>
</html>
`))
