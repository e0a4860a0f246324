// Package docs embeds the user documentation (the Markdown files of this folder), so the
// tongdao binary can print it (`tongdao docs NAME`) for users who have only the binary.
package docs

import "embed"

// Files holds every *.md of docs/ (not the benchmark details under benchmarks/).
//
//go:embed *.md
var Files embed.FS
