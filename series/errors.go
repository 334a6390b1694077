package series

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

var (
	// ErrInvalid is wrapped by errors about input that is not a valid
	// series: malformed CSV, a cell that does not parse, a value out of
	// range, timestamps off the grid.
	ErrInvalid = errors.New("series: invalid input")
	// ErrTooLarge is wrapped by errors about input over a size limit:
	// more rows than Reader.MaxRows, or a line longer than MaxLineBytes.
	ErrTooLarge = errors.New("series: input too large")
)

// MaxQuotedBytes bounds how much of a cell an error message quotes.
const MaxQuotedBytes = 40

// LineError is a problem at one line of the input.
type LineError struct {
	// Line is the 1-based line number.
	Line int
	// Msg describes the problem, quoting the offending cell.
	Msg string
	// Err is ErrInvalid or ErrTooLarge.
	Err error
}

// Error implements error.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Unwrap returns ErrInvalid or ErrTooLarge.
func (e *LineError) Unwrap() error { return e.Err }

func invalid(line int, format string, a ...any) error {
	return &LineError{Line: line, Msg: fmt.Sprintf(format, a...), Err: ErrInvalid}
}

// quote returns cell quoted, cut to MaxQuotedBytes with its full length
// noted, so that a huge cell cannot flood a log.
func quote(cell string) string {
	if len(cell) <= MaxQuotedBytes {
		return strconv.Quote(cell)
	}
	cut := MaxQuotedBytes
	for cut > 0 && !utf8.RuneStart(cell[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(cell[:cut]), len(cell))
}
