package store_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
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

type edKey struct{ priv ed25519.PrivateKey }

func (k edKey) KeyID() string                   { return "test" }
func (k edKey) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(k.priv, msg), nil }
func (k edKey) Verify(id string, msg, sig []byte) error {
	if id != "test" || !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), msg, sig) {
		return errors.New("bad signature")
	}
	return nil
}

// TestMigration3_AdoptsControlDataAndKeepsOldSeals upgrades a ledger with a chart, accounts
// and a signed version-1 seal: the chart and accounts become the change log's first changes,
// the old seal still verifies (and the report says it predates sealed rows), and the next
// close makes a version-2 seal that follows it.
func TestMigration3_AdoptsControlDataAndKeepsOldSeals(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		key := edKey{ed25519.NewKeyFromSeed(make([]byte, 32))}
		old, err := store.OpenAt(ctx, dsn, 2)
		if err != nil {
			t.Fatal(err)
		}
		q := func(s string) string { return store.Rebind(old, s) }
		day19 := clock.Date{Year: 2026, Month: 11, Day: 19}
		v1 := ledger.Seal{Day: day19, HeadSeq: 0, HeadHash: ledger.ZeroHash(), ClosedAt: start.Add(-9 * time.Hour).UTC(), KeyID: "test"}
		if v1.Signature, err = key.Sign(ledger.SealMessage(v1)); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{
			`INSERT INTO chart (code, parent, name, type, normal) VALUES ('1122', '', 'receivables', 'asset', 'D')`,
			`INSERT INTO chart (code, parent, name, type, normal) VALUES ('2202', '', 'payables', 'liability', 'C')`,
			`INSERT INTO accounts (code, owner_kind, owner_id, currency, name, flags, age_limit_s) VALUES ('1122', 'channel', 'wechat', 'CNY', 'wechat', 0, 86400)`,
			`INSERT INTO accounts (code, owner_kind, owner_id, currency, name, flags, age_limit_s) VALUES ('2202', 'merchant', 'M1', 'CNY', 'M1', 1, 0)`,
			`UPDATE ledger_head SET last_closed = '2026-11-19' WHERE id = 1`,
		} {
			if _, err := old.SQL().Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := old.SQL().Exec(q(`INSERT INTO day_closes (day, head_seq, head_hash, closed_at, key_id, signature) VALUES ('2026-11-19', 0, ?, ?, 'test', ?)`),
			v1.HeadHash, v1.ClosedAt.UnixNano(), v1.Signature); err != nil {
			t.Fatal(err)
		}
		_ = old.Close()

		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(start)
		l, err := ledger.New(ledger.Config{Store: db, Clock: clk, Signer: key})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		cs, err := l.Changes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 4 || cs[0].Chart == nil || cs[0].Chart.Code != "1122" || cs[3].Account == nil || cs[3].Account.ID != 2 ||
			cs[3].Account.Flags != ledger.AllowNegative || cs[2].Account.AgeLimitSeconds != 86400 || cs[3].Memo != "adopted at upgrade" {
			t.Fatalf("adopted changes %+v", cs)
		}
		r, err := l.Verify(ctx, ledger.VerifyOptions{Verifier: key})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || !strings.Contains(r.Check(ledger.CheckChain).Note, "1 seal(s) predate") {
			t.Fatalf("after upgrade: %+v", r.Checks)
		}
		if _, err := l.Post(ctx, ledger.Posting{Key: "p", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(500)},
			Lines: []ledger.Line{{Account: 1, Side: ledger.Debit, Amount: money.Fen(500)}, {Account: 2, Side: ledger.Credit, Amount: money.Fen(500)}}}); err != nil {
			t.Fatal(err)
		}
		if err := l.SetAgeLimit(ctx, 1, 2*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		clk.Advance(24 * time.Hour)
		s, err := l.CloseDay(ctx, clock.Date{Year: 2026, Month: 11, Day: 20})
		if err != nil {
			t.Fatal(err)
		}
		if s.Version() != 2 || s.PrevDay != day19 || s.ControlSeq != 5 || len(s.Rows) != 32 {
			t.Fatalf("seal after the upgrade %+v", s)
		}
		if r, err = l.Verify(ctx, ledger.VerifyOptions{Verifier: key}); err != nil || !r.OK() {
			t.Fatalf("after a close: %+v %v", r, err)
		}
	})
}
