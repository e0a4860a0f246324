package scenarios

import (
	"path"
	"strconv"
	"strings"
)

// TranscriptNames returns a file name for each result's transcript, relative to the
// transcripts folder, with "/" separators: the scenario file's path below the folder all
// the files share, that folder's own name first ("scenarios/wechat/refund.txt" for
// scenarios/wechat/refund.yaml and scenarios/alipay/refund.yaml), plus the matrix
// combination ("refund[ch=alipay].txt"). Names are unique: a clash gets "-2", "-3".
func TranscriptNames(results []Result) []string {
	files := make([]string, len(results))
	for i, r := range results {
		files[i] = path.Clean(strings.ReplaceAll(r.Scenario.Pos.File, "\\", "/"))
	}
	common := ""
	for i, f := range files {
		dir := path.Dir(f)
		if i == 0 {
			common = dir
			continue
		}
		for common != "." && common != "/" && dir != common && !strings.HasPrefix(dir, common+"/") {
			common = path.Dir(common)
		}
	}
	prefix := ""
	if b := path.Base(common); b != "." && b != "/" && b != ".." {
		prefix = b + "/"
	}
	out := make([]string, len(results))
	used := map[string]bool{}
	for i, f := range files {
		rel := f
		if common != "." && strings.HasPrefix(f, strings.TrimSuffix(common, "/")+"/") {
			rel = strings.TrimPrefix(f, strings.TrimSuffix(common, "/")+"/")
		}
		rel = strings.TrimLeft(strings.ReplaceAll(rel, "../", ""), "/")
		rel = strings.TrimSuffix(rel, path.Ext(rel))
		if inst := results[i].Scenario.Instance; inst != "" {
			rel += "[" + safeName(inst) + "]"
		}
		name := prefix + rel + ".txt"
		for n := 2; used[name]; n++ {
			name = prefix + rel + "-" + strconv.Itoa(n) + ".txt"
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// safeName keeps letters, digits and . _ = - and turns anything else into _.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '=' || c == '-'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
