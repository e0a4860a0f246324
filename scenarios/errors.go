package scenarios

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadScenario is wrapped by every error about a scenario file's content, so a caller can
// tell a bad file (exit status 2) from a failed run: errors.Is(err, ErrBadScenario).
var ErrBadScenario = errors.New("scenarios: bad scenario file")

// FieldError is one problem in a scenario file: where it is, which field (a path such as
// "steps[3].pay.amount") and what is wrong with it.
type FieldError struct {
	Pos
	Field string
	Msg   string
}

// Error formats as "file:line:col: field: message".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrBadScenario) hold.
func (e *FieldError) Unwrap() error { return ErrBadScenario }

// String formats a position as "file:line:col" ("file" alone when the line is unknown).
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// ParseError lists every problem found in one file, in file order. It wraps ErrBadScenario.
type ParseError struct {
	File string
	Errs []*FieldError
}

// Error lists the problems one per line.
func (e *ParseError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrBadScenario) hold.
func (e *ParseError) Unwrap() error { return ErrBadScenario }
