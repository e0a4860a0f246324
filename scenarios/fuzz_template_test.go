package scenarios

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzParseAll feeds arbitrary bytes to ParseAll with anchors, variables, matrices and
// includes (from a fixed in-memory set of files, the fuzzed one included as main.yaml):
// it must never panic, and must return scenarios with names and numbered steps, or a
// *ParseError of positioned problems.
func FuzzParseAll(f *testing.F) {
	f.Add([]byte("name: m ${a}\nchannel: toy\nmatrix: {a: [1, 2]}\nvars: {b: x${a}}\nsteps:\n  - advance: ${a}s\n  - include: {file: inc/a.inc.yaml, vars: {o: \"${b}\"}}\n"))
	f.Add([]byte("name: x\nchannel: toy\nsteps:\n  - pay: &p {order: A, amount: \"1\"}\n  - pay: {<<: *p, order: B}\n  - include: main.yaml\n"))
	f.Add([]byte("name: $${x} ${\nchannel: toy\nsteps:\n  - include: inc/b.inc.yaml\n"))
	files := map[string]string{
		"inc/a.inc.yaml": "vars: {o: A}\nsteps:\n  - pay: {order: \"${o}\", amount: \"0.01\"}\n  - include: b.inc.yaml\n",
		"inc/b.inc.yaml": "- query: {order: \"${o}\"}\n- include: b.inc.yaml\n",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(name string) ([]byte, error) {
			if name == "main.yaml" {
				return data, nil
			}
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		}
		list, err := ParseAll("main.yaml", data, ParseOptions{Channels: []string{"toy"}, ReadFile: read})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(pe.Errs) == 0 || !errors.Is(err, ErrBadScenario) {
				t.Fatalf("error is not a non-empty *ParseError: %T %v", err, err)
			}
			for _, fe := range pe.Errs {
				if fe.File != "main.yaml" && !strings.HasPrefix(fe.File, "inc/") || fe.Line < 0 {
					t.Fatalf("bad position in %v", fe)
				}
			}
			return
		}
		if len(list) == 0 || len(list) > maxMatrix {
			t.Fatalf("%d scenarios", len(list))
		}
		for _, s := range list {
			if s == nil || s.Name == "" || len(s.Steps) == 0 {
				t.Fatalf("accepted a scenario without name or steps: %+v", s)
			}
			for i, st := range s.Steps {
				if st.Action == "" || st.Index != i+1 {
					t.Fatalf("step %d: %+v", i, st)
				}
			}
		}
	})
}
