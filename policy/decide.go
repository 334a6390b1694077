package policy

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"
)

// finish bounds target to [in.Min, in.Max], notes a clamp in the reason and
// derives the action from in.Current.
func finish(in Input, target int, r reason) decided {
	return finishUpTo(in, target, 0, r)
}

// finishUpTo is finish with the upper bound raised to ceiling when ceiling
// exceeds in.Max (MaxCapacity's IncreaseMax); the decision keeps the
// ceiling for the wrappers around it.
func finishUpTo(in Input, target, ceiling int, r reason) decided {
	if r.empty() {
		r = text("no reason given")
	}
	hi := max(in.Max, min(ceiling, maxReplicas))
	t := Clamp(target, in.Min, hi)
	if t != target {
		inner, lo := r, in.Min
		r = lazy(func(b []byte) []byte {
			b = inner.appendTo(b)
			return fmt.Appendf(b, "; clamped %d to [%d, %d]", target, lo, hi)
		})
	}
	d := decided{Decision: decision(in.Current, t, ""), r: r}
	if hi > in.Max {
		d.Ceiling = hi
	}
	return d
}

// hold returns NoChange at in.Current, or the nearest bound when Current
// lies outside [Min, Max].
func hold(in Input, r reason) decided {
	return finish(in, in.Current, r)
}

// sanitize repairs a Decision returned by an inner policy a wrapper does not
// control: the target is bounded, the action recomputed and the reason
// filled in.
func sanitize(in Input, d decided) decided {
	out := finishUpTo(in, d.Target, d.Ceiling, d.r)
	out.ShadowTriggered = d.ShadowTriggered && out.Target == d.Target && out.Action == ScaleUp
	return out
}

// num formats a load or ratio for a Reason: whole numbers from 100 up, two
// decimals from 1 up, three significant digits below.
func num(v float64) string {
	var b [32]byte
	return string(appendNum(b[:0], v))
}

// appendNum appends num(v) to b.
func appendNum(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case math.Abs(v) >= 100:
		return strconv.AppendFloat(b, math.Round(v), 'f', -1, 64)
	case math.Abs(v) >= 1:
		return strconv.AppendFloat(b, math.Round(v*100)/100, 'f', -1, 64)
	default:
		return strconv.AppendFloat(b, v, 'g', 3, 64)
	}
}

// observed reports whether in.Load holds a usable observation (finite and
// not negative), fresh or, when LoadValid is false, the last one seen.
func (in Input) observed() bool { return mathx.Finite(in.Load) && in.Load >= 0 }

// loadOK reports whether this pass observed a usable load: the metric was
// read (LoadValid) and its value is finite and not negative.
func (in Input) loadOK() bool { return in.LoadValid && in.observed() }

// clock tracks the last decision time of a stateful policy so that state
// can be discarded when time runs backwards (a replay restarted).
type clock struct {
	last time.Time
	set  bool
}

// advance records now and reports whether time went backwards since the
// previous call.
func (c *clock) advance(now time.Time) (rewound bool) {
	rewound = c.set && now.Before(c.last)
	c.last, c.set = now, true
	return rewound
}
