package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the scenario decoder: it must never panic, and must
// either return a scenario with a name and steps or a *ParseError listing positioned
// problems.
func FuzzParse(f *testing.F) {
	// Small seeds only: minimising a large interesting input costs the short fuzz smoke
	// run most of its time.
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range seeds {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nchannel: toy\nsteps:\n  - pay: {order: A, amount: \"0.01\"}\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("name: x\nsteps:\n  - {}\n"))
	f.Add([]byte("name: y\nchannel: wechat\nsteps:\n  - fault: {kind: timeout_after, op: pay, first: 1}\n  - advance: 2d\n    expect: {callbacks: {order: A, parsed: 1}}\nexpect:\n  statement: {day: 2026-11-20, contains: [{order: A, amount: \"0.01 USD\"}]}\n"))
	f.Add([]byte("name: c\ntarget: gateway\nchannel: wechat\nsteps:\n  - recon: {account: wechat, day: 2026-12-01, capture: {i: \"items[0].id\"}}\n    expect: {result: {counts.matched: 1, agrees: true}}\n  - recon_resolve: {item: \"${i}\", action: adjust}\n    expect: {error: any}\n  - funds_arrived: {channel: wechat, day: 2026-12-01, amount: \"1.00\"}\n  - http: {to: simulator, path: /_sim/x}\n"))
	f.Add([]byte("name: z\ntarget: http\nchannel: wechat\nsteps:\n  - misbehave: {respond: status, status: 500, first: 1}\n  - http: {method: POST, path: /o/${a}, json: {a: [1]}, capture: {a: x.y[0]}}\n    expect: {http: {status: [200], json: {a: {regex: b}, c: null}}}\n  - wait_acks: {order: \"${a}\", count: 1}\nexpect:\n  records: {kind: call, distinct: f, within: 1s, after: {kind: call, acked: true}}\n  webhooks: {type: t, events: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data, ParseOptions{})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(pe.Errs) == 0 {
				t.Fatalf("error is not a non-empty *ParseError: %T %v", err, err)
			}
			if !errors.Is(err, ErrBadScenario) {
				t.Fatalf("error does not wrap ErrBadScenario: %v", err)
			}
			for _, fe := range pe.Errs {
				if fe.File != "f.yaml" || fe.Line < 0 {
					t.Fatalf("bad position in %v", fe)
				}
			}
			return
		}
		if s == nil || s.Name == "" || len(s.Steps) == 0 {
			t.Fatalf("accepted a scenario without name or steps: %+v", s)
		}
		for i, st := range s.Steps {
			if st.Action == "" || st.Index != i+1 {
				t.Fatalf("step %d: %+v", i, st)
			}
		}
	})
}
