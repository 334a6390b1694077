package policy

import (
	"fmt"
	"strconv"
	"sync"
)

// reason is a Decision's reason, either formatted (text) or still to be
// formatted (f). The policies of this package hand decisions to one another
// with their reasons unformatted and format each once, where it leaves the
// package (a Policy's exported Decide): a reason that is only wrapped by
// the next policy out, or that loses in Max, costs no formatting. The
// result is the same string the eager formatting gave.
type reason struct {
	text string
	f    appender
}

// appender appends a reason to b.
type appender interface {
	appendTo(b []byte) []byte
}

// appendFunc is an appender written as a function.
type appendFunc func(b []byte) []byte

func (f appendFunc) appendTo(b []byte) []byte { return f(b) }

// text is a reason already formatted.
func text(s string) reason { return reason{text: s} }

// textf is a reason formatted now, as fmt.Sprintf formats it.
func textf(format string, args ...any) reason { return text(fmt.Sprintf(format, args...)) }

// lazy is a reason formatted by f when it is read.
func lazy(f func(b []byte) []byte) reason { return reason{f: appendFunc(f)} }

// deferred is a reason formatted by a when it is read.
func deferred(a appender) reason { return reason{f: a} }

func (r reason) empty() bool { return r.f == nil && r.text == "" }

// appendTo appends the reason to b.
func (r reason) appendTo(b []byte) []byte {
	if r.f != nil {
		return r.f.appendTo(b)
	}
	return append(b, r.text...)
}

// reasonBufs recycles the buffers reasons are formatted in.
var reasonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// String formats the reason.
func (r reason) String() string {
	if r.f == nil {
		return r.text
	}
	bp := reasonBufs.Get().(*[]byte)
	b := r.f.appendTo((*bp)[:0])
	s := string(b)
	*bp = b[:0]
	reasonBufs.Put(bp)
	return s
}

// prefixed is r after prefix.
func prefixed(prefix string, r reason) reason {
	return lazy(func(b []byte) []byte { return r.appendTo(append(b, prefix...)) })
}

// decided is a Decision on its way out of the package: its reason is r, not
// Decision.Reason, until final formats it.
type decided struct {
	Decision
	r reason
}

// final is the Decision with its reason formatted.
func (d decided) final() Decision {
	d.Reason = d.r.String()
	return d.Decision
}

// String formats d as Decision.String does, its reason formatted: the
// promoted method would print the empty Decision.Reason.
func (d decided) String() string { return d.final().String() }

// appendDecision appends what Decision.String returns for d.
func appendDecision(b []byte, d decided) []byte {
	b = append(b, d.Action.String()...)
	b = append(b, " to "...)
	b = strconv.AppendInt(b, int64(d.Target), 10)
	b = append(b, ": "...)
	return d.r.appendTo(b)
}

// lazyPolicy is a policy of this package: decide returns its decision with
// the reason unformatted, and Decide is decide's decision formatted.
type lazyPolicy interface {
	decide(in Input) (decided, error)
}

// decideWith calls p, with the reason unformatted when p is one of this
// package's policies.
func decideWith(p Policy, in Input) (decided, error) {
	if lp, ok := p.(lazyPolicy); ok {
		return lp.decide(in)
	}
	d, err := p.Decide(in)
	return decided{Decision: d, r: text(d.Reason)}, err
}

// finalize formats the reason of a decision leaving the package.
func finalize(d decided, err error) (Decision, error) {
	if err != nil {
		return Decision{}, err
	}
	return d.final(), nil
}

// suffixed is "<r>; <why>: <n>".
func suffixed(r, why reason, n int) reason {
	return lazy(func(b []byte) []byte {
		b = why.appendTo(append(r.appendTo(b), "; "...))
		return strconv.AppendInt(append(b, ": "...), int64(n), 10)
	})
}
