package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDocs_PrintsEmbeddedGuides(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"docs", "gateway"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "# The tongdao gateway") {
		t.Errorf("docs gateway: %d %q %q", code, out.String()[:min(40, out.Len())], errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"docs", "list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "simulator") {
		t.Errorf("docs list: %d %q", code, out.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"docs", "nope"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "one of: ") {
		t.Errorf("unknown guide: %d %q", code, errb.String())
	}
}
