package scenarios

import "embed"

// Bundled holds the bundled QA suites (scenarios/<channel>/*.yaml) compiled into the
// binary, so `tongdao demo` runs them from any directory.
//
//go:embed wechat/*.yaml alipay/*.yaml bank/*.yaml unionpay/*.yaml
var Bundled embed.FS
