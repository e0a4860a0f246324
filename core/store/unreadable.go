package store

import (
	"database/sql"
	"fmt"
	"strconv"

	"github.com/tongdao/tongdao/core/ledger"
)

// A column edited behind the ledger's back into a value of the wrong type (SQLite stores
// text in an INTEGER column; on PostgreSQL a NOT NULL dropped and NULL written) makes the
// typed Scan of its row fail. Reads then re-read the row as plain driver values to name
// the record, and either skip it, handing it to the function set by SkipUnreadable (Verify:
// one finding per record, the scan goes on), or fail with an error naming it.

// SkipUnreadable implements ledger.SkippingReadTx.
func (t *ltx) SkipUnreadable(fn func(*ledger.UnreadableError)) { t.skip = fn }

var _ ledger.SkippingReadTx = (*ltx)(nil)

// rawRow re-reads the current row of rows as driver values.
func rawRow(rows *sql.Rows) ([]any, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}

// rawText renders a driver value for a record's name.
func rawText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// rawBytes returns a driver value as bytes (nil if it is not bytes or text).
func rawBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return append([]byte(nil), x...)
	case string:
		return []byte(x)
	}
	return nil
}

// unreadable handles a row of rows that failed to read with cause: named by name from its
// raw values, it is handed to the skip function (nil returned: read on) or returned as a
// *ledger.UnreadableError.
func (t *ltx) unreadable(rows *sql.Rows, cause error, name func([]any) string) error {
	vals, err := rawRow(rows)
	if err != nil {
		return fmt.Errorf("store: %w", cause)
	}
	u := &ledger.UnreadableError{Record: name(vals), Err: cause}
	if t.skip == nil {
		return u
	}
	t.skip(u)
	return nil
}
