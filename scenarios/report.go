package scenarios

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// FormatFailure renders a failed result's first failing expectation and its transcript
// excerpt as indented lines ("" for a passed result).
func FormatFailure(r Result) string {
	f := r.Failure
	if f == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("  ")
	b.WriteString(f.Pos.String())
	b.WriteString(": ")
	if f.Step > 0 {
		fmt.Fprintf(&b, "step %d: ", f.Step)
	}
	b.WriteString(f.Message)
	b.WriteString("\n")
	for _, o := range otherFailures(r) {
		b.WriteString("  also ")
		b.WriteString(o.Pos.String())
		b.WriteString(": ")
		if o.Step > 0 {
			fmt.Fprintf(&b, "step %d: ", o.Step)
		}
		b.WriteString(o.Message)
		b.WriteString("\n")
	}
	if len(f.Excerpt) > 0 {
		b.WriteString("  transcript:\n")
		for _, l := range f.Excerpt {
			for _, sub := range strings.Split(l, "\n") {
				b.WriteString("    ")
				b.WriteString(sub)
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

// WriteText writes one line per scenario ("PASS name (n steps)", "SKIP name (reason)", or
// "FAIL name" followed by the failure), then "K skipped" when some were, and last the
// summary line "N passed, M failed". It returns the number failed.
func WriteText(w io.Writer, results []Result) (failed int, err error) {
	var b strings.Builder
	passed, skipped := 0, 0
	for _, r := range results {
		switch {
		case r.Skipped:
			skipped++
			fmt.Fprintf(&b, "SKIP %s (%s)\n", r.Scenario.Name, r.SkipReason)
		case r.Passed:
			passed++
			fmt.Fprintf(&b, "PASS %s (%d steps)\n", r.Scenario.Name, r.Steps)
		default:
			failed++
			fmt.Fprintf(&b, "FAIL %s\n", r.Scenario.Name)
			b.WriteString(FormatFailure(r))
		}
	}
	if skipped > 0 {
		fmt.Fprintf(&b, "%d skipped\n", skipped)
	}
	fmt.Fprintf(&b, "%d passed, %d failed\n", passed, failed)
	_, err = io.WriteString(w, b.String())
	return failed, err
}

// WriteTranscript writes a result's whole transcript, one line per entry.
func WriteTranscript(w io.Writer, r Result) error {
	var b strings.Builder
	for _, l := range r.Transcript {
		b.WriteString(l)
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JUnit XML, in the shape CI systems (Jenkins, GitLab, GitHub reporters) read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitOut     `xml:"system-out,omitempty"`
}

// junitOut is system-out as CDATA, so the transcript stays readable in the file.
type junitOut struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes results as JUnit XML: one testsuite per scenario file folder, one
// testcase per scenario (classname = the folder, file = the scenario file), a failure
// element with the first failing expectation and the transcript excerpt.
func WriteJUnit(w io.Writer, results []Result) error {
	doc := junitSuites{Name: "tongdao scenarios"}
	index := map[string]int{}
	var total float64
	for _, r := range results {
		suite := suiteName(r.Scenario.Pos.File)
		i, ok := index[suite]
		if !ok {
			i = len(doc.Suites)
			index[suite] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: suite})
		}
		s := &doc.Suites[i]
		secs := r.Elapsed.Seconds()
		total += secs
		c := junitCase{Name: r.Scenario.Name, Classname: suite, File: r.Scenario.Pos.File, Time: fmt.Sprintf("%.3f", secs),
			SystemOut: &junitOut{Text: junitSystemOut(r)}}
		if r.Skipped {
			c.Skipped = &junitSkipped{Message: r.SkipReason}
			s.Skipped++
			doc.Skipped++
		} else if !r.Passed && r.Failure != nil {
			c.Failure = &junitFailure{Message: r.Failure.Pos.String() + ": " + r.Failure.Message, Type: "expectation", Text: FormatFailure(r)}
			s.Failures++
			doc.Failures++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
		doc.Tests++
	}
	for i := range doc.Suites {
		var t float64
		for _, c := range doc.Suites[i].Cases {
			var v float64
			_, _ = fmt.Sscanf(c.Time, "%g", &v)
			t += v
		}
		doc.Suites[i].Time = fmt.Sprintf("%.3f", t)
	}
	doc.Time = fmt.Sprintf("%.3f", total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// suiteName is the folder of a scenario file ("scenarios/wechat"), or "scenarios".
func suiteName(file string) string {
	file = strings.ReplaceAll(file, "\\", "/")
	if i := strings.LastIndex(file, "/"); i > 0 {
		return file[:i]
	}
	return "scenarios"
}
