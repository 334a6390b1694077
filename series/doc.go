// Package series reads a load series — one number per interval, such as
// requests per minute — from CSV, the format the simulator, the forecast
// command and the examples take.
//
// # Format
//
// One or two columns, the same in every row:
//
//	timestamp,value
//	2026-01-01T00:00:00Z,120
//	2026-01-01T00:01:00Z,131.5
//
// or a single value column. Timestamps are RFC 3339 or unix seconds
// (fractions allowed, rounded to the microsecond). Values are finite
// numbers ≥ 0 and at most [Reader.MaxValue].
//
// # Behaviour
//
//   - Header: the first row is a header when none of its cells parses as
//     data (any names, e.g. `timestamp,value` or `time,requests`); a file
//     without a header starts with data. A first row where some cells parse
//     and others do not is a bad data row, not a header.
//   - Grid: timestamps must lie on a regular grid. The step is the interval
//     between the first two samples; a later interval shorter than the step
//     is reported as two samples in one slot, a longer one as a gap with the
//     number of missing samples. Nothing is filled in or dropped silently:
//     resample or fill the series first.
//   - Value-only files have no timestamps: [Series.Times] is nil and
//     [Series.Step] is zero; the caller supplies the step.
//   - Blank lines are skipped; surrounding spaces in cells are ignored; a
//     UTF-8 byte order mark is ignored.
//   - Size: the reader streams the input and keeps only the parsed series
//     (32 bytes a row with timestamps). It refuses more than
//     [Reader.MaxRows] rows (default [DefaultMaxRows]) and lines longer
//     than [MaxLineBytes] with an error wrapping [ErrTooLarge], and reads
//     no further.
//   - Errors: the first problem ends the read. It is a *[LineError] naming
//     the line and the problem and wrapping [ErrInvalid] or [ErrTooLarge];
//     a cell quoted in a message is cut to [MaxQuotedBytes] bytes.
package series
