package depcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

func TestCheck_Rules(t *testing.T) {
	m := func(p string) string { return Module + "/" + p }
	tests := []struct {
		name    string
		pkg     string
		imports []string
		want    string // substring of the violation, "" = allowed
	}{
		{"leaf imports stdlib", "core/money", []string{"math/big", "github.com/shopspring/decimal"}, ""},
		{"leaf imports own subtree", "core/clock", []string{m("core/clock/internal/heap")}, ""},
		{"money imports clock", "core/money", []string{m("core/clock")}, "leaves"},
		{"channel imports money and clock", "core/channel", []string{m("core/money"), m("core/clock")}, ""},
		{"channel imports sign", "core/channel", []string{m("adapters/sign")}, "core/channel is a leaf"},
		{"card imports stdlib and gmsm", "core/card", []string{"crypto/cipher", "github.com/tjfoc/gmsm/sm4"}, ""},
		{"card imports money", "core/card", []string{m("core/money")}, ""},
		{"card imports sign", "core/card", []string{m("adapters/sign")}, "core/card is a leaf"},
		{"card imports clock", "core/card", []string{m("core/clock")}, "core/card is a leaf"},
		{"card imports channel", "core/card", []string{m("core/channel")}, "core/card is a leaf"},
		{"money imports card", "core/money", []string{m("core/card")}, "leaves"},
		{"adapter imports card", "adapters/bank", []string{m("core/card"), m("adapters/sign")}, ""},
		{"core imports card", "core/ledger", []string{m("core/card")}, ""},
		{"core imports adapter", "core/gateway", []string{m("adapters/wechat")}, "never imports an adapter"},
		{"core imports sign", "core/ledger", []string{m("adapters/sign")}, "never imports an adapter"},
		{"core imports leaf", "core/ledger", []string{m("core/money"), m("core/clock")}, ""},
		{"adapter imports leaf and sign", "adapters/wechat", []string{m("core/channel"), m("adapters/sign")}, ""},
		{"adapter imports adapter", "adapters/wechat", []string{m("adapters/alipay")}, "adapters import only"},
		{"adapter imports core non-leaf", "adapters/alipay", []string{m("core/ledger")}, "adapters import only"},
		{"sign imports leaf", "adapters/sign", []string{m("core/money")}, "primitives only"},
		{"simulator imports adapter", "simulator/wechat", []string{m("adapters/wechat")}, "never imports an adapter"},
		{"simulator imports sign", "simulator/wechat", []string{m("adapters/sign"), m("simulator"), m("core/clock")}, ""},
		{"simulator imports ledger", "simulator", []string{m("core/ledger")}, "only the leaves"},
		{"cmd wires anything", "cmd/tongdao", []string{m("adapters/wechat"), m("simulator"), m("core/ledger")}, ""},
		{"conformance imports simulator", "conformance", []string{m("simulator"), m("core/channel")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(m(tc.pkg), tc.imports)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no violation, got %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].String(), tc.want) {
				t.Fatalf("want one violation mentioning %q, got %v", tc.want, got)
			}
			if !strings.Contains(got[0].String(), tc.imports[len(tc.imports)-1][len(Module)+1:]) {
				t.Fatalf("violation does not name the offending import: %v", got[0])
			}
		})
	}
}

// TestRepository_DependencyDirection runs the rules over every package of the module as
// `go list` sees it now (non-test imports), so a forbidden import fails the build's tests.
func TestRepository_DependencyDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		seen++
		for _, v := range Check(p.ImportPath, p.Imports) {
			t.Errorf("forbidden import: %s", v)
		}
		// The simulator's own tests are held to its rule too: a protocol tested through the
		// client adapter could hide a bug both sides share. (Other packages' tests may wire
		// anything: conformance and scenario tests exist to join the two sides.)
		if r, _ := rel(p.ImportPath); within(r, "simulator") {
			for _, v := range Check(p.ImportPath, append(p.TestImports, p.XTestImports...)) {
				t.Errorf("forbidden import in the tests of %s: %s", r, v)
			}
		}
	}
	if seen < 3 {
		t.Fatalf("go list returned only %d packages; the check would prove nothing", seen)
	}
}
