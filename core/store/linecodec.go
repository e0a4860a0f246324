package store

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// An entry's lines are stored in its row, in entries.lines, as a JSON array of arrays:
//
//	[[account_id,"side",effect,amount,"currency"],…]   e.g. [[12,"D",0,1000,"CNY"],[7,"C",0,1000,"CNY"]]
//
// One row per entry instead of one per line: the writer inserts a third of the rows and index
// entries it did (docs/benchmarks/ledger.md, "one row per entry"). The text is plain JSON so
// SQL can still see the lines: both schemas define a view "lines" (seq, idx, account_id,
// side, effect, amount, currency, day) over it with json_each / json_array_elements, which
// the tail sums and day-close movements query.
//
// Every field is covered by the entry's chain hash (ledger.EntryHash hashes the lines, not
// this text), so an edited line fails Verify's chain check as before.

// appendLines appends the JSON form of ls to b. Only sides D and C and the three effects
// are stored (the ledger's validation admits nothing else); currencies are written
// unescaped, so anything but printable ASCII without quotes or backslashes is refused.
func appendLines(b []byte, ls []ledger.Line) ([]byte, error) {
	b = append(b, '[')
	for i, l := range ls {
		if err := checkSideEffect(string(l.Side), int64(l.Effect)); err != nil {
			return nil, err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(l.Account), 10)
		b = append(b, ',')
		var err error
		if b, err = appendPlainString(b, string(l.Side)); err != nil {
			return nil, fmt.Errorf("side: %w", err)
		}
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(l.Effect), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, l.Amount.Minor(), 10)
		b = append(b, ',')
		if b, err = appendPlainString(b, string(l.Amount.Currency())); err != nil {
			return nil, fmt.Errorf("currency: %w", err)
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// checkSideEffect admits what a stored line may say: side D or C, effect post, hold or
// unhold. The parser holds stored text to it too, so every reader (balance reads in Go, the
// SQL of the lines view and the counter fold) counts a line the same way or refuses it.
func checkSideEffect(side string, eff int64) error {
	if side != string(ledger.Debit) && side != string(ledger.Credit) {
		return fmt.Errorf("side %q: want D or C", side)
	}
	if eff < int64(ledger.EffectPost) || eff > int64(ledger.EffectUnhold) {
		return fmt.Errorf("effect %d: want 0 (post), 1 (hold) or 2 (unhold)", eff)
	}
	return nil
}

func appendPlainString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return nil, fmt.Errorf("%q: only printable ASCII without quotes or backslashes can be stored", s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// lineParser decodes the JSON of appendLines. It accepts any JSON whitespace (a database's
// JSON functions may add some) but nothing else: integers without fraction or exponent,
// strings without escapes, exactly five fields per line. It interns sides and currencies.
type lineParser struct {
	s      []byte
	i      int
	intern map[string]string
}

var errLinesSyntax = errors.New("malformed lines")

func (p *lineParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c (after whitespace) or fails.
func (p *lineParser) byte(c byte) error {
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return p.errorf("want %q", c)
	}
	p.i++
	return nil
}

// peek reports whether the next non-space byte is c, consuming it if so.
func (p *lineParser) peek(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *lineParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", errLinesSyntax, p.i, fmt.Sprintf(format, args...))
}

func (p *lineParser) int() (int64, error) {
	p.ws()
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.i-digits > 1 && p.s[digits] == '0') {
		return 0, p.errorf("want an integer")
	}
	v, err := strconv.ParseInt(string(p.s[start:p.i]), 10, 64)
	if err != nil {
		return 0, p.errorf("integer: %v", err)
	}
	return v, nil
}

func (p *lineParser) str() (string, error) {
	if err := p.byte('"'); err != nil {
		return "", err
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '"' {
		if c := p.s[p.i]; c == '\\' || c < 0x20 {
			return "", p.errorf("escapes and control characters are not used in lines")
		}
		p.i++
	}
	if p.i >= len(p.s) {
		return "", p.errorf("unterminated string")
	}
	raw := p.s[start:p.i]
	p.i++
	if s, ok := p.intern[string(raw)]; ok {
		return s, nil
	}
	s := string(raw)
	if p.intern != nil && len(p.intern) < 64 {
		p.intern[s] = s
	}
	return s, nil
}

// parseLines appends the lines encoded in s to dst. intern may be nil.
func parseLines(s []byte, dst []ledger.Line, intern map[string]string) ([]ledger.Line, error) {
	p := lineParser{s: s, intern: intern}
	if err := p.byte('['); err != nil {
		return nil, err
	}
	if !p.peek(']') {
		for {
			if err := p.byte('['); err != nil {
				return nil, err
			}
			acct, err := p.int()
			if err != nil {
				return nil, err
			}
			if err := p.byte(','); err != nil {
				return nil, err
			}
			side, err := p.str()
			if err != nil {
				return nil, err
			}
			if err := p.byte(','); err != nil {
				return nil, err
			}
			eff, err := p.int()
			if err != nil {
				return nil, err
			}

			if err := p.byte(','); err != nil {
				return nil, err
			}
			amt, err := p.int()
			if err != nil {
				return nil, err
			}
			if err := p.byte(','); err != nil {
				return nil, err
			}
			cur, err := p.str()
			if err != nil {
				return nil, err
			}
			if err := p.byte(']'); err != nil {
				return nil, err
			}
			if err := checkSideEffect(side, eff); err != nil {
				return nil, p.errorf("%v", err)
			}
			dst = append(dst, ledger.Line{Account: ledger.AccountID(acct), Side: ledger.Side(side), Effect: ledger.Effect(eff), Amount: money.New(amt, money.Currency(cur))})
			if p.peek(']') {
				break
			}
			if err := p.byte(','); err != nil {
				return nil, err
			}
		}
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, p.errorf("trailing bytes")
	}
	return dst, nil
}
