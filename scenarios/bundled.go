package scenarios

import "embed"

// Bundled holds the bundled QA suites (scenarios/<channel>/*.yaml, and the payment core's
// scenarios/recon and scenarios/wallet, which run through the in-process gateway) compiled
// into the binary, so `tongdao demo` runs them from any directory.
//
//go:embed wechat/*.yaml alipay/*.yaml bank/*.yaml unionpay/*.yaml recon/*.yaml wallet/*.yaml
var Bundled embed.FS
