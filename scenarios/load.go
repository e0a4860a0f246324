package scenarios

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadPaths reads scenario files and folders. A folder is walked recursively for *.yaml and
// *.yml files, in lexical order; a file is read whatever its name. It parses every file and
// returns every problem found (errors.Join of *ParseError, each wrapping ErrBadScenario),
// or the scenarios in order. Names must be unique across the set.
func LoadPaths(paths []string, opts ParseOptions) ([]*Scenario, error) {
	var files []string
	var errs []error
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: %w", p, ErrBadScenario, err))
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(d.Name(), ".yaml") || strings.HasSuffix(d.Name(), ".yml")) && !strings.HasSuffix(d.Name(), IncludeSuffix) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: %w", p, ErrBadScenario, err))
		}
		sort.Strings(found)
		if len(found) == 0 && err == nil {
			errs = append(errs, fmt.Errorf("%s: %w: no *.yaml scenario files in this folder", p, ErrBadScenario))
		}
		files = append(files, found...)
	}
	var out []*Scenario
	names := map[string]string{}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		data, err := readFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if opts.ReadFile == nil {
			opts.ReadFile = readInclude
		}
		list, err := ParseAll(f, data, opts)
		if err != nil {
			errs = append(errs, err)
			// A bad file's name still counts: a duplicate is reported in the same run.
			if name, pos, ok := peekName(f, data); ok {
				if prev, dup := names[name]; dup {
					errs = append(errs, &FieldError{Pos: pos, Field: "name", Msg: fmt.Sprintf("scenario name %q is also used by %s", name, prev)})
				} else {
					names[name] = f
				}
			}
			continue
		}
		for _, s := range list {
			if prev, dup := names[s.Name]; dup {
				errs = append(errs, &FieldError{Pos: s.Pos, Field: "name", Msg: fmt.Sprintf("scenario name %q is also used by %s", s.Name, prev)})
				continue
			}
			names[s.Name] = s.Pos.File
			out = append(out, s)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// readInclude reads an included step file, bounded like a scenario file.
func readInclude(name string) ([]byte, error) {
	data, err := readFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	return data, nil
}

// peekName reads the top-level name of a file that did not parse ("" when it has none
// a plain read can find, e.g. one built from variables).
func peekName(file string, data []byte) (string, Pos, bool) {
	var doc yaml.Node
	if len(data) > MaxFileSize || yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
		return "", Pos{}, false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return "", Pos{}, false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" && !strings.Contains(v.Value, "${") {
			return v.Value, Pos{File: file, Line: root.Line, Column: root.Column}, true
		}
	}
	return "", Pos{}, false
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrBadScenario, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrBadScenario, err)
	}
	return data, nil
}

// FilterTags returns the scenarios carrying at least one of tags (all of them when tags is
// empty), in order.
func FilterTags(list []*Scenario, tags []string) []*Scenario {
	if len(tags) == 0 {
		return list
	}
	var out []*Scenario
	for _, s := range list {
		for _, t := range tags {
			if s.HasTag(t) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
