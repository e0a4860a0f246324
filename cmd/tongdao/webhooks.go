package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
)

const webhooksUsage = `Usage: tongdao webhooks COMMAND [flags]

Merchant webhooks (and the optional NATS publication) are delivered from the order outbox:
one delivery per order event and consumer, retried on a back-off schedule
(15s 1m 5m 30m 2h 6h 12h 24h) and dead-lettered after the ninth failed try.

Commands:
  list       --db DSN [--state pending|done|dead] [--merchant ID] [--payment ID]
             [--consumer webhook|nats] [--limit 50] [--json]
             list deliveries, newest event first, with their tries and last error
  redeliver  --db DSN [--consumer webhook|nats] EVENT_ID…
             send delivered or dead-lettered events again (same event id, so a merchant
             that de-duplicates by it is safe); a delivery still pending is refused

DSN is sqlite:PATH or postgres://…; the default is ` + store.DefaultDSN + `.
The payload, headers, signature check and NATS subjects: tongdao docs webhooks.
Exit codes: 0 ok, 1 an event could not be redelivered or the database failed, 2 usage.
`

// webhooksMain runs "tongdao webhooks …".
func webhooksMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, webhooksUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{"list": webhooksList, "redeliver": webhooksRedeliver}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tongdao webhooks: unknown command %q\n\n%s", args[0], webhooksUsage)
		return 2
	}
	return fn(ctx, args[1:], stdout, stderr)
}

func webhookFlags(name string, stderr io.Writer) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet("tongdao webhooks "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", store.DefaultDSN, "store DSN: sqlite:PATH or postgres://…")
	consumer := fs.String("consumer", notify.Consumer, `outbox consumer: "webhook" or "nats"`)
	fs.Usage = func() {} // --help prints webhooksUsage and the flags to stdout; a bad flag only its error
	return fs, dsn, consumer
}

// openOrders opens an existing store; a missing SQLite file is an error, not a new database.
func openOrders(ctx context.Context, dsn string) (*store.DB, error) {
	if p, ok := strings.CutPrefix(dsn, "sqlite:"); ok && p != ":memory:" {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no database at %s: %w", p, err)
		}
	}
	return store.Open(ctx, dsn)
}

// parseWebhookFlags parses args, printing the usage on --help; ok false means return code.
func parseWebhookFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (pos []string, code int, ok bool) {
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, webhooksUsage)
		fmt.Fprintf(stdout, "\nFlags of %s:\n", fs.Name())
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil, 0, false
	}
	if err != nil {
		fmt.Fprintf(fs.Output(), "(tongdao webhooks --help for usage)\n")
		return nil, 2, false
	}
	return pos, 0, true
}

func webhooksList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn, consumer := webhookFlags("list", stderr)
	state := fs.String("state", "", "only deliveries in this state: pending, done or dead")
	merchant := fs.String("merchant", "", "only this merchant's events")
	payment := fs.String("payment", "", "only this payment's events (pay_…)")
	limit := fs.Int("limit", 50, "at most this many deliveries")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	pos, code, ok := parseWebhookFlags(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "tongdao webhooks list: unexpected argument %q\n", pos[0])
		return 2
	}
	switch *state {
	case "", "pending", "done", "dead":
	default:
		fmt.Fprintf(stderr, "tongdao webhooks list: --state %q: want pending, done or dead\n", *state)
		return 2
	}
	if *limit <= 0 {
		fmt.Fprintf(stderr, "tongdao webhooks list: --limit %d: want a positive number\n", *limit)
		return 2
	}
	db, err := openOrders(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao webhooks list: %v\n", err)
		return 1
	}
	defer db.Close()
	es, err := db.OutboxEntries(ctx, store.OutboxFilter{Consumer: *consumer, State: *state, MerchantID: *merchant, PaymentID: *payment, Limit: *limit})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao webhooks list: %v\n", err)
		return 1
	}
	bj := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.Beijing()).Format(time.RFC3339)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range es {
			_ = enc.Encode(map[string]any{"seq": e.Event.Seq, "event_id": e.Event.ID, "type": e.Event.Type, "merchant_id": e.Event.MerchantID,
				"payment_id": e.Event.PaymentID, "order_id": e.Event.OrderID, "event_at": bj(e.Event.At), "consumer": e.Consumer,
				"state": e.State, "attempts": e.Attempts, "next_at": bj(e.NextAt), "last_error": e.LastErr})
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tEVENT\tTYPE\tMERCHANT\tPAYMENT\tSTATE\tTRIES\tNEXT (BEIJING)\tLAST ERROR")
	for _, e := range es {
		next := ""
		if e.State == "pending" {
			next = bj(e.NextAt)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Event.Seq, e.Event.ID, e.Event.Type, e.Event.MerchantID,
			e.Event.PaymentID, e.State, e.Attempts, next, e.LastErr)
	}
	_ = tw.Flush()
	return 0
}

func webhooksRedeliver(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn, consumer := webhookFlags("redeliver", stderr)
	ids, code, ok := parseWebhookFlags(fs, args, stdout)
	if !ok {
		return code
	}
	if len(ids) == 0 {
		fmt.Fprintf(stderr, "tongdao webhooks redeliver: name at least one event id (evt_…; see tongdao webhooks list)\n")
		return 2
	}
	db, err := openOrders(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao webhooks redeliver: %v\n", err)
		return 1
	}
	defer db.Close()
	rc := 0
	for _, id := range ids {
		ev, err := notify.Redeliver(ctx, db, *consumer, id, time.Now())
		switch {
		case errors.Is(err, order.ErrNotFound):
			fmt.Fprintf(stderr, "%s: no such event\n", id)
			rc = 1
		case err != nil:
			fmt.Fprintf(stderr, "%s: %v\n", id, err)
			rc = 1
		default:
			fmt.Fprintf(stdout, "%s: %s of %s queued for %s again\n", id, ev.Type, ev.OrderID, *consumer)
		}
	}
	return rc
}
