// Package defaults implements the zero-value convention of the module's
// configuration structs: a zero field selects its documented default and,
// where zero itself is a useful setting, a negative value selects zero. No
// user imports it.
package defaults

// Number is a field type the convention applies to; time.Duration is one.
type Number interface {
	~int | ~int64 | ~float64
}

// Or returns def when v is zero, zero when v is negative, and v otherwise.
// NaN is returned as it is, for validation to report.
func Or[T Number](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// IfZero returns def when v is zero and v otherwise, for fields whose zero
// selects a default and whose negative values are left for validation to
// report.
func IfZero[T Number](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
