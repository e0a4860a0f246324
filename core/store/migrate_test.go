package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestMigration2_CarriesLinesIntoEntries writes a journal in the first schema (a lines table,
// rows inserted out of idx order), migrates, and checks every line arrived in its entry in
// order, the chain hashes still verify, and the lines view shows the same rows.
func TestMigration2_CarriesLinesIntoEntries(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := store.OpenAt(ctx, dsn, 1)
		if err != nil {
			t.Fatal(err)
		}
		q := func(s string) string { return store.Rebind(old, s) }
		day, err := clock.ParseDate("2026-11-20")
		if err != nil {
			t.Fatal(err)
		}
		prev := ledger.ZeroHash()
		var want []*ledger.Entry
		for seq := int64(1); seq <= 3; seq++ {
			e := &ledger.Entry{Seq: seq, Key: "k" + string(rune('0'+seq)), Kind: ledger.KindPost, Day: day,
				PostedAt: time.Unix(1763600000+seq, 0).UTC(), Voucher: ledger.Voucher{Kind: "order", ID: "O" + string(rune('0'+seq)), Amount: money.Fen(300)},
				Fingerprint: make([]byte, 32), PrevHash: prev,
				Lines: []ledger.Line{
					{Account: 1, Side: ledger.Debit, Amount: money.Fen(100 * seq)},
					{Account: 2, Side: ledger.Debit, Effect: ledger.EffectHold, Amount: money.Fen(300 - 100*seq)},
					{Account: 3, Side: ledger.Credit, Amount: money.Fen(300)},
				}}
			e.Hash = ledger.EntryHash(e)
			prev = e.Hash
			want = append(want, e)
			if _, err := old.SQL().Exec(q(`INSERT INTO entries (seq, idem_key, kind, day, late_for, posted_at, ref, v_kind, v_id, v_amount, v_cur, memo, fp, prev_hash, hash)
				VALUES (?, ?, ?, ?, '', ?, 0, ?, ?, ?, 'CNY', '', ?, ?, ?)`),
				e.Seq, e.Key, string(e.Kind), e.Day.String(), e.PostedAt.UnixNano(), string(e.Voucher.Kind), e.Voucher.ID, e.Voucher.Amount.Minor(),
				e.Fingerprint, e.PrevHash, e.Hash); err != nil {
				t.Fatal(err)
			}
			for _, idx := range []int{2, 0, 1} {
				l := e.Lines[idx]
				if _, err := old.SQL().Exec(q(`INSERT INTO lines (seq, idx, account_id, side, effect, amount, currency) VALUES (?, ?, ?, ?, ?, ?, ?)`),
					seq, idx, int64(l.Account), string(l.Side), int64(l.Effect), l.Amount.Minor(), "CNY"); err != nil {
					t.Fatal(err)
				}
			}
		}
		_ = old.Close()

		db := storetest.Open(t, dsn)
		var got []*ledger.Entry
		if err := db.Read(ctx, func(tx ledger.ReadTx) error {
			return tx.Entries(ctx, 0, func(e *ledger.Entry) error { got = append(got, e); return nil })
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d entries after the migration, want %d", len(got), len(want))
		}
		for i, e := range got {
			if len(e.Lines) != 3 {
				t.Fatalf("entry %d: %d lines", e.Seq, len(e.Lines))
			}
			for j := range e.Lines {
				if e.Lines[j] != want[i].Lines[j] {
					t.Errorf("entry %d line %d: %+v, want %+v", e.Seq, j, e.Lines[j], want[i].Lines[j])
				}
			}
			if string(ledger.EntryHash(e)) != string(e.Hash) {
				t.Errorf("entry %d: chain hash no longer matches", e.Seq)
			}
		}
		rows, err := db.SQL().Query(`SELECT seq, idx, account_id, side, effect, amount, currency FROM lines ORDER BY seq, idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var seq, idx, acct, eff, amt int64
			var side, cur string
			if err := rows.Scan(&seq, &idx, &acct, &side, &eff, &amt, &cur); err != nil {
				t.Fatal(err)
			}
			l := want[seq-1].Lines[idx]
			if acct != int64(l.Account) || side != string(l.Side) || eff != int64(l.Effect) || amt != l.Amount.Minor() || cur != "CNY" {
				t.Errorf("view row %d/%d: %d %s %d %d %s, want %+v", seq, idx, acct, side, eff, amt, cur, l)
			}
			n++
		}
		if err := rows.Err(); err != nil || n != 9 {
			t.Fatalf("lines view: %d rows (%v), want 9", n, err)
		}
	})
}
