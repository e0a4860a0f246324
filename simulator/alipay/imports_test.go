package alipay

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports_NeverTheClientAdapter enforces DESIGN.md's rule that the simulator side is
// written independently of adapters/alipay, so one side cannot hide the other's bugs.
func TestImports_NeverTheClientAdapter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob: %v (%d files)", err, len(files))
	}
	fset := token.NewFileSet()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/tongdao/tongdao/adapters/") && p != "github.com/tongdao/tongdao/adapters/sign" {
				t.Errorf("%s imports %s: only adapters/sign is allowed", f, p)
			}
		}
	}
}
