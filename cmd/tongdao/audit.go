package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
)

const auditUsage = `Usage: tongdao audit COMMAND --db DSN [flags]

The audit log records every balance query and token issue: who, what, which account, when,
from where and the result. It is append-only and hash-chained; verify proves no record was
edited, deleted, reordered or cut off the tail.

Commands:
  verify  check the chain and the stored head; --anchor FILE also checks heads exported earlier
  list    print records (newest first): --account ID, --actor WHO, --limit N, --json
  head    print the current head as JSON, to keep outside the database (an anchor for verify)

Exit codes: 0 ok, 1 a check failed or the command failed, 2 usage.

Example: keep a head out of the database's reach every hour, and verify against them:
  tongdao audit head --db DSN >> /mnt/audit/heads.jsonl
  tongdao audit verify --db DSN --anchor /mnt/audit/heads.jsonl
`

// auditMain runs "tongdao audit …".
func auditMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, auditUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"verify": auditVerify, "list": auditList, "head": auditHead,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tongdao audit: unknown command %q\n\n%s", args[0], auditUsage)
		return 2
	}
	return fn(ctx, args[1:], stdout, stderr)
}

func auditFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("tongdao audit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", store.DefaultDSN, "store DSN: sqlite:PATH or postgres://…")
	return fs, dsn
}

// readAnchors reads heads from a file of JSON objects ({"seq":N,"hash":"base64"}), one per
// line or as one JSON array.
func readAnchors(path string) ([]audit.Head, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []audit.Head
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(raw) > 0 && raw[0] == '[' {
			var hs []audit.Head
			if err := json.Unmarshal(raw, &hs); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, hs...)
			continue
		}
		var h audit.Head
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Seq <= 0 || len(h.Hash) != 32 {
			return nil, fmt.Errorf("%s: head %s: want seq ≥ 1 and a 32-byte hash", path, raw)
		}
		out = append(out, h)
	}
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := auditFlags("verify", stderr)
	anchorPath := fs.String("anchor", "", "file of heads exported earlier by `tongdao audit head` (JSON lines) that must still match")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	var opts audit.VerifyOptions
	if *anchorPath != "" {
		hs, err := readAnchors(*anchorPath)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao audit verify: --anchor: %v\n", err)
			return 2
		}
		opts.Anchors = hs
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao audit verify: %v\n", err)
		return 1
	}
	defer db.Close()
	began := time.Now()
	rp, err := audit.Verify(ctx, db, opts)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao audit verify: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			OK bool `json:"ok"`
			*audit.Report
		}{rp.OK(), rp})
	} else {
		fmt.Fprintf(stdout, "audit verify: %d records, head %d, %d anchors (%.2fs)\n", rp.Records, rp.Head.Seq, len(opts.Anchors), time.Since(began).Seconds())
		if first, ok := rp.First(); ok {
			fmt.Fprintf(stdout, "FAILED: first untrustworthy record is %d (%s)\n", first.Seq, first.Kind)
			for _, p := range rp.Problems {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
		} else {
			fmt.Fprintln(stdout, "ok: the chain is whole and ends at the stored head")
		}
	}
	if !rp.OK() {
		return 1
	}
	return 0
}

func auditList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := auditFlags("list", stderr)
	account := fs.String("account", "", "only records of this account")
	actor := fs.String("actor", "", "only records of this actor (user id, merchant:ID, anonymous)")
	limit := fs.Int("limit", 50, "at most this many records (0 = all)")
	oldest := fs.Bool("oldest", false, "oldest first")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *limit < 0 {
		fmt.Fprintln(stderr, "tongdao audit list: --limit must be 0 or more")
		return 2
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao audit list: %v\n", err)
		return 1
	}
	defer db.Close()
	enc := json.NewEncoder(stdout)
	err = db.AuditRecords(ctx, audit.Filter{Account: *account, Actor: *actor, Limit: *limit, Newest: !*oldest}, func(r *audit.Record) error {
		if *asJSON {
			return enc.Encode(r)
		}
		_, err := fmt.Fprintln(stdout, r)
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao audit list: %v\n", err)
		return 1
	}
	return 0
}

func auditHead(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := auditFlags("head", stderr)
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao audit head: %v\n", err)
		return 1
	}
	defer db.Close()
	h, err := db.AuditHead(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao audit head: %v\n", err)
		return 1
	}
	_ = json.NewEncoder(stdout).Encode(h)
	return 0
}
