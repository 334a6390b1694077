package enum

import "testing"

type color int

var colorNames = []string{0: "red", 2: "blue"}

func TestName(t *testing.T) {
	for _, c := range []struct {
		v    color
		want string
	}{
		{0, "red"},
		{2, "blue"},
		{1, "unknown color: 1"}, // a gap
		{3, "unknown color: 3"},
		{-1, "unknown color: -1"},
	} {
		if got := Name(c.v, "color", colorNames); got != c.want {
			t.Errorf("Name(%d) = %q, want %q", c.v, got, c.want)
		}
	}
}
