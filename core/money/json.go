package money

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// jsonAmount is the wire shape of an Amount. Pointers detect missing fields.
type jsonAmount struct {
	Minor    *int64  `json:"minor"`
	Currency *string `json:"currency"`
}

// MarshalJSON encodes a as {"minor":100,"currency":"CNY"}: exact integer minor
// units, never a float or a decimal string, so any JSON reader keeps it exact.
// The zero Amount encodes as {"minor":0,"currency":""}.
func (a Amount) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 48)
	b = append(b, `{"minor":`...)
	b = strconv.AppendInt(b, a.minor, 10)
	b = append(b, `,"currency":`...)
	cb, err := json.Marshal(string(a.cur))
	if err != nil {
		return nil, err
	}
	b = append(b, cb...)
	return append(b, '}'), nil
}

// UnmarshalJSON decodes {"minor":100,"currency":"CNY"}. Both fields are
// required; minor must be a JSON integer within int64; currency must be a
// known upper-case code, except that {"minor":0,"currency":""} decodes to the
// zero Amount (so the zero value round-trips). Unknown fields are rejected.
// JSON null leaves a unchanged, as encoding/json expects. On error a is not
// modified.
func (a *Amount) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var j jsonAmount
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("money: decoding amount: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("money: decoding amount: data after the object: %w", ErrSyntax)
	}
	if j.Minor == nil {
		return fmt.Errorf("money: decoding amount: field minor missing: %w", ErrSyntax)
	}
	if j.Currency == nil {
		return fmt.Errorf("money: decoding amount: field currency missing: %w", ErrSyntax)
	}
	c := Currency(*j.Currency)
	if c == "" && *j.Minor == 0 {
		*a = Amount{}
		return nil
	}
	if !c.Valid() {
		return fmt.Errorf("money: decoding amount: field currency %q: %w", *j.Currency, ErrUnknownCurrency)
	}
	*a = Amount{minor: *j.Minor, cur: c}
	return nil
}
