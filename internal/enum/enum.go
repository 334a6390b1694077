// Package enum names the values of the module's int enums, with the
// fallback every String method of theirs gives for a value without a name.
// No user imports it.
package enum

import "strconv"

// Name returns names[v], or "unknown KIND: V" when v has no name.
func Name[T ~int](v T, kind string, names []string) string {
	if v >= 0 && int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return "unknown " + kind + ": " + strconv.Itoa(int(v))
}
