package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// splitJSONPath splits "$.a.b[0].c" (the "$." is optional) into keys and indices.
func splitJSONPath(p string) ([]any, error) {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
	if p == "" {
		return nil, errors.New("empty JSON path")
	}
	var out []any
	for _, part := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" && rest == "" {
			return nil, fmt.Errorf("JSON path %q: empty name", p)
		}
		if name != "" {
			out = append(out, name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil || n < 0 {
				return nil, fmt.Errorf("JSON path %q: want [index]", p)
			}
			out = append(out, n)
			rest = strings.TrimPrefix(after, "[")
			if after != "" && !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("JSON path %q: unexpected %q", p, after)
			}
		}
	}
	return out, nil
}

// lookupJSON follows a JSON path through a decoded document.
func lookupJSON(doc any, p string) (any, bool) {
	parts, err := splitJSONPath(p)
	if err != nil {
		return nil, false
	}
	cur := doc
	for _, k := range parts {
		switch key := k.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[key]; !ok {
				return nil, false
			}
		case int:
			a, ok := cur.([]any)
			if !ok || key >= len(a) {
				return nil, false
			}
			cur = a[key]
		}
	}
	return cur, true
}

// decodeJSON decodes one JSON document keeping numbers as written (json.Number).
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

// jsonText is a JSON value as a scenario compares it: strings bare, numbers as written
// (json.Number never goes through a float), the rest as JSON.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}
