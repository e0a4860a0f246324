package wechat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
)

// TestGolden_SignedFilesVerify keeps the hand-written golden responses honest: every
// testdata/*.xml that carries a sign must verify with the demo key (MD5 or HMAC-SHA256 by
// length), except bad_signature.xml, which must not.
func TestGolden_SignedFilesVerify(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("golden files: %d, %v", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			root := "xml"
			if strings.HasPrefix(string(data), "<root>") {
				root = "root"
			}
			p, err := decodeFlat(data, root)
			if err != nil {
				t.Fatal(err)
			}
			s := lookup(p, "sign")
			if s == "" {
				return
			}
			st, err := sign.WeChatSignTypeOf(s)
			if err != nil {
				t.Fatal(err)
			}
			err = sign.WeChatVerify(p, demoKey, st, s)
			if (err == nil) == (name == "bad_signature.xml") {
				t.Fatalf("verify = %v", err)
			}
		})
	}
}
