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
			if !d.IsDir() && (strings.HasSuffix(d.Name(), ".yaml") || strings.HasSuffix(d.Name(), ".yml")) {
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
		s, err := Parse(f, data, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := names[s.Name]; dup {
			errs = append(errs, &FieldError{Pos: s.Pos, Field: "name", Msg: fmt.Sprintf("scenario name %q is also used by %s", s.Name, prev)})
			continue
		}
		names[s.Name] = s.Pos.File
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
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
