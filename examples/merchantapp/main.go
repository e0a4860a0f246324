// Command merchantapp is a small example merchant payment service, written the way a
// merchant writes one: a shop backend that sells with WeChat Pay (v2, Native QR) through
// tongdao's WeChat adapter, keeps its orders in memory, and answers WeChat's payment
// notifications. Point it at `tongdao sim serve` instead of WeChat and test it with
// `target: http` scenarios (docs/SCENARIOS.md, "Testing your own service").
//
// Its API (JSON):
//
//	POST /orders          {"order_id":"A1","amount_fen":100,"description":"..."}
//	                      -> {"order_id","out_trade_no","status","code_url","amount_fen","paid_fen"}
//	GET  /orders/{id}     the order; a pending order is queried at WeChat first
//	POST /notify/wechat   WeChat's payment notifications
//
// Status is pending, paid, unknown (WeChat's answer was lost and the query did not settle
// it yet) or failed.
//
// It has deliberate bugs, switched on by -bugs (or MERCHANTAPP_BUGS), comma-separated, so
// scenario suites can show they catch them:
//
//	no-query      a lost answer (timeout) is taken as a failure and never queried
//	double-pay    a retried POST /orders for an unpaid order makes a second WeChat order
//	trust-notify  a notification is trusted without checking its amount against the order
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	var cfg Config
	var bugs string
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8088", "listen address")
	flag.StringVar(&cfg.WeChatURL, "wechat-url", "http://127.0.0.1:8080", "WeChat Pay's base URL (the simulator's, e.g. from `tongdao sim serve`)")
	flag.StringVar(&cfg.PublicURL, "public-url", "", "this service's base URL as WeChat reaches it (default http://ADDR)")
	flag.StringVar(&cfg.MchID, "mch-id", "10000100", "WeChat merchant id (default: the simulator's demo merchant)")
	flag.StringVar(&cfg.AppID, "appid", "wxd930ea5d5a258f4f", "WeChat appid")
	flag.StringVar(&cfg.Key, "key", "192006250b4c09247ec02edce69f6a2d", "WeChat API key (MD5 signing)")
	flag.StringVar(&bugs, "bugs", os.Getenv("MERCHANTAPP_BUGS"), "deliberate bugs to switch on: no-query, double-pay, trust-notify (comma-separated)")
	flag.Parse()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Addr
	}
	var err error
	if cfg.Bugs, err = ParseBugs(bugs); err != nil {
		fmt.Fprintln(os.Stderr, "merchantapp:", err)
		os.Exit(2)
	}
	app, err := New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "merchantapp:", err)
		os.Exit(2)
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: app, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("merchantapp on http://%s (WeChat at %s, bugs: %s)", cfg.Addr, cfg.WeChatURL, orNone(cfg.Bugs.String()))
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Bugs are the deliberate bugs switched on.
type Bugs struct {
	NoQuery, DoublePay, TrustNotify bool
}

// ParseBugs reads "no-query,double-pay,trust-notify" (any subset; "" = none).
func ParseBugs(s string) (Bugs, error) {
	var b Bugs
	for _, f := range strings.Split(s, ",") {
		switch strings.TrimSpace(f) {
		case "":
		case "no-query":
			b.NoQuery = true
		case "double-pay":
			b.DoublePay = true
		case "trust-notify":
			b.TrustNotify = true
		default:
			return b, fmt.Errorf("unknown bug %q: want no-query, double-pay or trust-notify", f)
		}
	}
	return b, nil
}

func (b Bugs) String() string {
	var out []string
	if b.NoQuery {
		out = append(out, "no-query")
	}
	if b.DoublePay {
		out = append(out, "double-pay")
	}
	if b.TrustNotify {
		out = append(out, "trust-notify")
	}
	return strings.Join(out, ",")
}
