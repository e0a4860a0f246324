package wallet

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// StatementPage is one page of an account statement.
type StatementPage struct {
	Lines []Line
	// Next is the cursor of the following page ("" at the end for now). A cursor is the
	// last line's sequence: lines are only ever appended, so a cursor stays valid and a
	// page never repeats or skips a line.
	Next string
}

// Statement returns up to limit (1–500, default 100) lines of merchantID's account after
// cursor ("" = from the start). Every line names its ledger entry and voucher.
func (s *Service) Statement(ctx context.Context, merchantID, accountID, cursor string, limit int) (*StatementPage, error) {
	a, _, err := s.account(ctx, merchantID, accountID)
	if err != nil {
		return nil, err
	}
	var after int64
	if cursor != "" {
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return nil, fail(ErrInvalid, "cursor", "not a cursor this API returned")
		}
	}
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 500 {
		return nil, fail(ErrInvalid, "limit", "want 1 to 500")
	}
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	ls, err := s.cfg.Store.StatementLines(ctx, a.ID, after, limit)
	if err != nil {
		return nil, err
	}
	p := &StatementPage{Lines: ls}
	if len(ls) == limit {
		p.Next = strconv.FormatInt(ls[len(ls)-1].Seq, 10)
	}
	return p, nil
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"seq", "time_beijing", "account_id", "direction", "amount", "currency", "operation", "op_id", "ledger_entry", "voucher_kind", "voucher_id", "memo"}

// WriteCSV writes lines as CSV with CSVHeader first when header is set: amounts in yuan
// ("12.34"), times in Beijing time, direction "out" (debit) or "in" (credit).
func WriteCSV(w io.Writer, lines []Line, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	for _, l := range lines {
		dir := "in"
		if l.Side == "D" {
			dir = "out"
		}
		if err := cw.Write([]string{strconv.FormatInt(l.Seq, 10), l.At.In(clock.Beijing()).Format(time.DateTime), l.AccountID, dir,
			l.Amount.Decimal(), string(l.Amount.Currency()), string(l.OpKind), l.OpID, strconv.FormatInt(l.EntrySeq, 10), l.VoucherKind, l.VoucherID, l.Memo}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
