package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
)

const accountsUsage = `Usage: tongdao ledger accounts COMMAND --db DSN …

Commands:
  list     --db DSN
           every account with its chart code, owner, type and normal side, flags, age limit
  set      --db DSN ACCOUNT [--age-limit DURATION] [--flags LIST]
           change an account's age limit (e.g. 48h; 0 turns ageing off) or flags (a comma
           list of allow-negative, frozen, closed; "none" clears them)
  history  --db DSN [ACCOUNT]
           the change log of the chart and account attributes, oldest first

Every change goes through the ledger and is recorded in its change log, a hash chain that
each day close seals; ledger verify reports any attribute changed in the database directly.
ACCOUNT is an id or CODE:OWNERKIND:OWNERID[:CURRENCY].
`

func ledgerAccounts(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, accountsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "list":
		return accountsList(ctx, args[1:], stdout, stderr)
	case "set":
		return accountsSet(ctx, args[1:], stdout, stderr)
	case "history":
		return accountsHistory(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "tongdao ledger accounts: unknown command %q\n\n%s", args[0], accountsUsage)
	return 2
}

var flagNames = []struct {
	f    ledger.Flags
	name string
}{{ledger.AllowNegative, "allow-negative"}, {ledger.Frozen, "frozen"}, {ledger.Closed, "closed"}}

func flagsText(f ledger.Flags) string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

func parseAccountFlags(s string) (ledger.Flags, error) {
	var f ledger.Flags
	if s == "none" {
		return 0, nil
	}
	for _, p := range strings.Split(s, ",") {
		found := false
		for _, n := range flagNames {
			if strings.TrimSpace(p) == n.name {
				f |= n.f
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown flag %q: want allow-negative, frozen, closed or none", p)
		}
	}
	return f, nil
}

func ageText(s int64) string {
	if s == 0 {
		return "none"
	}
	return (time.Duration(s) * time.Second).String()
}

func accountsList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("accounts list", stderr)
	if pos, err := parseInterleaved(fs, args); err != nil || len(pos) > 0 {
		return 2
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger accounts list: %v\n", err)
		return 1
	}
	defer db.Close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCODE\tOWNER\tCURRENCY\tTYPE\tNORMAL\tFLAGS\tAGE LIMIT\tNAME")
	err = db.Read(ctx, func(tx ledger.ReadTx) error {
		return tx.Accounts(ctx, func(a ledger.Account) error {
			fmt.Fprintf(tw, "%d\t%s\t%s:%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Code, a.OwnerKind, a.OwnerID, a.Currency, a.Type, a.Normal,
				flagsText(a.Flags), ageText(a.AgeLimitSeconds), a.Name)
			return nil
		})
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger accounts list: %v\n", err)
		return 1
	}
	_ = tw.Flush()
	return 0
}

func accountsSet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("accounts set", stderr)
	age := fs.String("age-limit", "", "how long a balance may stay outstanding before verify reports it (e.g. 48h; 0 turns ageing off)")
	flags := fs.String("flags", "", "comma list of allow-negative, frozen, closed; none clears them")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || (*age == "" && *flags == "") {
		fmt.Fprintln(stderr, "tongdao ledger accounts set: want one ACCOUNT and --age-limit and/or --flags")
		return 2
	}
	var limit time.Duration
	if *age != "" {
		if limit, err = time.ParseDuration(*age); err != nil || limit < 0 || limit%time.Second != 0 {
			fmt.Fprintf(stderr, "tongdao ledger accounts set: --age-limit %q: want a duration of whole seconds, 0 or more (e.g. 48h)\n", *age)
			return 2
		}
	}
	var f ledger.Flags
	if *flags != "" {
		if f, err = parseAccountFlags(*flags); err != nil {
			fmt.Fprintf(stderr, "tongdao ledger accounts set: --flags: %v\n", err)
			return 2
		}
	}
	err = withLedger(ctx, *dsn, false, nil, func(l *ledger.Ledger) error {
		a, err := findAccount(ctx, l, pos[0])
		if err != nil {
			return err
		}
		if *age != "" {
			if err := l.SetAgeLimit(ctx, a.ID, limit); err != nil {
				return err
			}
		}
		if *flags != "" {
			if err := l.SetFlags(ctx, a.ID, f); err != nil {
				return err
			}
		}
		if a, err = l.Account(ctx, a.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %d  %s %s:%s  flags %s  age limit %s\n", a.ID, a.Code, a.OwnerKind, a.OwnerID, flagsText(a.Flags), ageText(a.AgeLimitSeconds))
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger accounts set: %v\n", err)
		return 1
	}
	return 0
}

func accountsHistory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("accounts history", stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil || len(pos) > 1 {
		return 2
	}
	err = withLedger(ctx, *dsn, false, nil, func(l *ledger.Ledger) error {
		only := ""
		if len(pos) == 1 {
			a, err := findAccount(ctx, l, pos[0])
			if err != nil {
				return err
			}
			only = fmt.Sprintf("account %d", a.ID)
		}
		cs, err := l.Changes(ctx)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if only != "" && c.Subject() != only {
				continue
			}
			at := "(adopted)"
			if !c.At.IsZero() {
				at = c.At.In(clock.Beijing()).Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "change %d  %s  %s  %s: %s\n", c.Seq, at, c.Subject(), c.Memo, changeText(c))
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger accounts history: %v\n", err)
		return 1
	}
	return 0
}

func changeText(c *ledger.Change) string {
	switch {
	case c.Chart != nil:
		x := c.Chart
		return fmt.Sprintf("%q parent %q %s normal %s", x.Name, x.Parent, x.Type, x.Normal)
	case c.Account != nil:
		a := c.Account
		return fmt.Sprintf("%s %s:%s %s %q flags %s age limit %s", a.Code, a.OwnerKind, a.OwnerID, a.Currency, a.Name, flagsText(a.Flags), ageText(a.AgeLimitSeconds))
	}
	return "nothing"
}

// exportSeals appends to the JSON file at path the seals of db it does not hold yet, after
// checking that every seal it holds is still in the database unchanged and that the
// database has no seal the file skipped. It writes a new file and renames it over the old.
func exportSeals(path string, db []ledger.Seal) (added, total int, err error) {
	var have []ledger.Seal
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return 0, 0, err
	default:
		if err := json.Unmarshal(b, &have); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	byDay := map[clock.Date]ledger.Seal{}
	for _, s := range db {
		byDay[s.Day] = s
	}
	var last clock.Date
	for _, h := range have {
		s, ok := byDay[h.Day]
		if !ok {
			return 0, 0, fmt.Errorf("the database has no seal of %s, which %s holds: it was deleted", h.Day, path)
		}
		if !bytes.Equal(ledger.SealMessage(s), ledger.SealMessage(h)) || !bytes.Equal(s.Signature, h.Signature) || s.KeyID != h.KeyID {
			return 0, 0, fmt.Errorf("the database's seal of %s differs from the one %s holds: it was rewritten", h.Day, path)
		}
		if h.Day.After(last) {
			last = h.Day
		}
	}
	held := map[clock.Date]bool{}
	for _, h := range have {
		held[h.Day] = true
	}
	out := append([]ledger.Seal{}, have...)
	for _, s := range db {
		switch {
		case held[s.Day]:
		case !s.Day.After(last):
			return 0, 0, fmt.Errorf("the database has a seal of %s, before the last one %s holds (%s), which the file lacks", s.Day, path, last)
		default:
			out = append(out, s)
			added++
		}
	}
	if out == nil {
		out = []ledger.Seal{}
	}
	b, err = json.MarshalIndent(out, "", "  ")
	if err != nil {
		return 0, 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".seals-*.json")
	if err != nil {
		return 0, 0, err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return 0, 0, err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return 0, 0, err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, err
	}
	return added, len(out), nil
}
