package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Stateful is an optional capability of a Policy whose decisions depend on
// what it saw before (stabilization windows, rate-limit windows, cooldowns,
// recommendation history): MarshalState captures that state and
// UnmarshalState restores it into a policy built with the same
// configuration, so that a restarted process decides as the old one would
// have. The Controller detects it with a type assertion.
//
// Every stateful policy of this package implements it, and so does every
// wrapper (Stabilize, RateLimit, Cooldown, MinHistory, Ramp, Max, Bounds,
// Tolerance, Headroom, MaxCapacity, NoScaleInOnForecast, DryRun and the
// stack Predictive builds): a wrapper's state holds its own and that of
// each policy it wraps that implements Stateful.
//
// The state is versioned JSON. UnmarshalState checks the version, the
// shape of the wrapper chain and every value before it changes anything:
// on an error wrapping ErrBadState the policy is as it was. A policy of
// another package inside a chain is restored through its own
// UnmarshalState, which should be as careful.
type Stateful interface {
	// MarshalState returns the policy's state.
	MarshalState() ([]byte, error)
	// UnmarshalState replaces the policy's state with data.
	UnmarshalState(data []byte) error
}

// ErrBadState reports a state that UnmarshalState cannot use: corrupt, of
// another version, or saved by a policy of another shape or configuration.
var ErrBadState = errors.New("policy: unusable state")

// stateVersion is the version of the state format.
const stateVersion = 1

// maxStateEvents bounds the events, recommendations and samples a state may
// hold, so that a corrupt state cannot make a policy allocate without end.
const maxStateEvents = 1 << 20

// stateDoc is the JSON form of a policy's state.
type stateDoc struct {
	Version int               `json:"version"`
	Kind    string            `json:"kind"`
	Own     json.RawMessage   `json:"own,omitempty"`
	Inner   []json.RawMessage `json:"inner,omitempty"`
}

// preparer is implemented by this package's stateful policies: prepare
// decodes and checks data without changing the policy, and returns the
// function that applies it.
type preparer interface {
	prepare(data []byte) (commit func(), err error)
}

func badState(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadState, fmt.Sprintf(format, args...))
}

// stateTree is a policy's state before encoding: the states of a chain
// are encoded once, as one document.
type stateTree struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Own     any    `json:"own,omitempty"`
	Inner   []any  `json:"inner,omitempty"`
}

// treer is implemented by this package's stateful policies.
type treer interface {
	tree() (*stateTree, error)
}

// treeOf builds the state of a policy of kind with its own state (nil
// when none) around inner policies.
func treeOf(kind string, own any, inner []Policy) (*stateTree, error) {
	t := &stateTree{Version: stateVersion, Kind: kind, Own: own, Inner: make([]any, len(inner))}
	for i, p := range inner {
		switch q := p.(type) {
		case treer:
			sub, err := q.tree()
			if err != nil {
				return nil, err
			}
			t.Inner[i] = sub
		case Stateful:
			b, err := q.MarshalState()
			if err != nil {
				return nil, fmt.Errorf("policy: %s: inner policy %d: %w", kind, i, err)
			}
			if !json.Valid(b) {
				return nil, fmt.Errorf("policy: %s: inner policy %d: MarshalState returned %d bytes that are not JSON", kind, i, len(b))
			}
			t.Inner[i] = json.RawMessage(b)
		}
	}
	return t, nil
}

// marshalTree encodes a state tree.
func marshalTree(t *stateTree, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: marshal state: %w", t.Kind, err)
	}
	return b, nil
}

// prepareDoc decodes data as a state of kind wrapping inner, checks it and
// prepares the inner policies; own, if not nil, receives the own state and
// is checked by check. Foreign Stateful inner policies are restored here,
// after everything of this package was checked.
func prepareDoc(kind string, data []byte, own any, check func() error, inner []Policy) (func(), error) {
	var doc stateDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, badState("%s: %v", kind, err)
	}
	switch {
	case doc.Version != stateVersion:
		return nil, badState("%s: version %d, this policy reads %d", kind, doc.Version, stateVersion)
	case doc.Kind != kind:
		return nil, badState("saved by a %q policy, this is %q", doc.Kind, kind)
	case len(doc.Inner) != len(inner):
		return nil, badState("%s: %d inner policies saved, this one wraps %d", kind, len(doc.Inner), len(inner))
	}
	if own != nil {
		if len(doc.Own) == 0 {
			return nil, badState("%s: no state of its own", kind)
		}
		if err := json.Unmarshal(doc.Own, own); err != nil {
			return nil, badState("%s: %v", kind, err)
		}
		if check != nil {
			if err := check(); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrBadState, kind, err)
			}
		}
	}
	var commits []func()
	var foreign []int
	for i, p := range inner {
		null := string(doc.Inner[i]) == "null"
		s, ok := p.(Stateful)
		switch {
		case !ok && null:
			continue
		case !ok:
			return nil, badState("%s: inner policy %d keeps no state, but state was saved for it", kind, i)
		case null:
			return nil, badState("%s: inner policy %d keeps state, but none was saved for it", kind, i)
		}
		if pr, ok := s.(preparer); ok {
			c, err := pr.prepare(doc.Inner[i])
			if err != nil {
				return nil, fmt.Errorf("%w (inner policy %d of %s)", err, i, kind)
			}
			commits = append(commits, c)
			continue
		}
		foreign = append(foreign, i)
	}
	for _, i := range foreign {
		if err := inner[i].(Stateful).UnmarshalState(doc.Inner[i]); err != nil {
			return nil, fmt.Errorf("%w: %s: inner policy %d: %v", ErrBadState, kind, i, err)
		}
	}
	return func() {
		for _, c := range commits {
			c()
		}
	}, nil
}

// unmarshalWith prepares and applies a state.
func unmarshalWith(p preparer, data []byte) error {
	commit, err := p.prepare(data)
	if err != nil {
		return err
	}
	commit()
	return nil
}

// wrapper is a Policy built from a decision function around inner
// policies, with optional state of its own: the form every wrapper of
// this package returns, so that state composes through a chain.
type wrapper struct {
	kind  string
	fn    func(Input) (decided, error)
	inner []Policy
	// save returns the own state (nil when stateless); load returns a
	// fresh value to decode into, the check of the decoded value and the
	// function that applies it.
	save func() any
	load func() (dst any, check func() error, apply func())
}

var (
	_ Policy   = (*wrapper)(nil)
	_ Stateful = (*wrapper)(nil)
)

func (w *wrapper) Decide(in Input) (Decision, error) { return finalize(w.fn(in)) }

func (w *wrapper) decide(in Input) (decided, error) { return w.fn(in) }

// MarshalState implements Stateful.
func (w *wrapper) MarshalState() ([]byte, error) { return marshalTree(w.tree()) }

func (w *wrapper) tree() (*stateTree, error) {
	var own any
	if w.save != nil {
		own = w.save()
	}
	return treeOf(w.kind, own, w.inner)
}

// UnmarshalState implements Stateful.
func (w *wrapper) UnmarshalState(data []byte) error { return unmarshalWith(w, data) }

func (w *wrapper) prepare(data []byte) (func(), error) {
	var dst any
	var check func() error
	apply := func() {}
	if w.load != nil {
		dst, check, apply = w.load()
	}
	commit, err := prepareDoc(w.kind, data, dst, check, w.inner)
	if err != nil {
		return nil, err
	}
	return func() { commit(); apply() }, nil
}

// wrap returns a stateless wrapper around inner (nil entries are skipped).
func wrap(kind string, fn func(Input) (decided, error), inner ...Policy) *wrapper {
	w := &wrapper{kind: kind, fn: fn}
	for _, p := range inner {
		if p != nil {
			w.inner = append(w.inner, p)
		}
	}
	return w
}

// clockState is the JSON form of a clock.
type clockState struct {
	Last time.Time `json:"last"`
	Set  bool      `json:"set"`
}

func (c clock) state() clockState { return clockState{c.last, c.set} }

func (s clockState) clock() clock { return clock{s.Last, s.Set} }

// stampState is a time-stamped count: a recommendation, a scale event, a
// planner's need.
type stampState struct {
	At time.Time `json:"at"`
	N  int       `json:"n"`
}

// checkStamps checks that a list of stamped counts is bounded, time-ordered
// and, with positive set, of positive counts (non-negative otherwise).
func checkStamps(what string, s []stampState, positive bool) error {
	if len(s) > maxStateEvents {
		return fmt.Errorf("%s: %d entries", what, len(s))
	}
	for i, e := range s {
		switch {
		case e.At.IsZero():
			return fmt.Errorf("%s[%d]: zero time", what, i)
		case i > 0 && e.At.Before(s[i-1].At):
			return fmt.Errorf("%s[%d]: %s before the entry ahead of it", what, i, e.At.Format(time.RFC3339))
		case positive && e.N <= 0, e.N < 0:
			return fmt.Errorf("%s[%d]: count %d", what, i, e.N)
		}
	}
	return nil
}

// stabState is the state of a stabilizer.
type stabState struct {
	Recs []stampState `json:"recommendations"`
}

func (s *stabilizer) state() stabState {
	out := stabState{Recs: make([]stampState, len(s.recs))}
	for i, r := range s.recs {
		out.Recs[i] = stampState{r.at, r.n}
	}
	return out
}

func (st stabState) check() error { return checkStamps("recommendations", st.Recs, false) }

func (st stabState) recs() []recommendation {
	out := make([]recommendation, len(st.Recs))
	for i, r := range st.Recs {
		out[i] = recommendation{r.At, r.N}
	}
	return out
}

// rateState is the state of a rateLimiter.
type rateState struct {
	Ups           []stampState `json:"ups"`
	Downs         []stampState `json:"downs"`
	Pending       bool         `json:"pending"`
	PendingTarget int          `json:"pending_target"`
	PendingUp     bool         `json:"pending_up"`
}

func (r *rateLimiter) state() rateState {
	conv := func(ev []scaleEvent) []stampState {
		out := make([]stampState, len(ev))
		for i, e := range ev {
			out[i] = stampState{e.at, e.change}
		}
		return out
	}
	return rateState{Ups: conv(r.ups), Downs: conv(r.dwns), Pending: r.pending, PendingTarget: r.pendingTarget, PendingUp: r.pendingUp}
}

func (st rateState) check() error {
	if err := errors.Join(checkStamps("ups", st.Ups, true), checkStamps("downs", st.Downs, true)); err != nil {
		return err
	}
	if st.PendingTarget < 0 {
		return fmt.Errorf("pending target %d", st.PendingTarget)
	}
	return nil
}

// apply sets r's events from st, keeping its rules.
func (st rateState) apply(r *rateLimiter) {
	conv := func(ev []stampState) []scaleEvent {
		if len(ev) == 0 {
			return nil
		}
		out := make([]scaleEvent, len(ev))
		for i, e := range ev {
			out[i] = scaleEvent{e.At, e.N}
		}
		return out
	}
	r.ups, r.dwns = conv(st.Ups), conv(st.Downs)
	r.pending, r.pendingTarget, r.pendingUp = st.Pending, st.PendingTarget, st.PendingUp
}

// hpaState is the state of an HPA.
type hpaState struct {
	Clock clockState `json:"clock"`
	Stab  stabState  `json:"stabilization"`
	Rate  rateState  `json:"rate"`
}

var _ Stateful = (*HPA)(nil)

// MarshalState implements Stateful: the recommendations within the
// stabilization windows and the scale events within the rate-limit
// periods.
func (h *HPA) MarshalState() ([]byte, error) { return marshalTree(h.tree()) }

func (h *HPA) tree() (*stateTree, error) {
	return treeOf("hpa", hpaState{h.clock.state(), h.stab.state(), h.rate.state()}, nil)
}

// UnmarshalState implements Stateful.
func (h *HPA) UnmarshalState(data []byte) error { return unmarshalWith(h, data) }

func (h *HPA) prepare(data []byte) (func(), error) {
	var st hpaState
	check := func() error { return errors.Join(st.Stab.check(), st.Rate.check()) }
	commit, err := prepareDoc("hpa", data, &st, check, nil)
	if err != nil {
		return nil, err
	}
	return func() {
		commit()
		h.clock, h.stab.recs = st.Clock.clock(), st.Stab.recs()
		st.Rate.apply(&h.rate)
	}, nil
}

// rampState is the state of Ramp.
type rampState struct {
	Clock clockState `json:"clock"`
	Loads []float64  `json:"loads"`
}

var _ Stateful = (*ramp)(nil)

// MarshalState implements Stateful.
func (r *ramp) MarshalState() ([]byte, error) { return marshalTree(r.tree()) }

func (r *ramp) tree() (*stateTree, error) {
	return treeOf("ramp", rampState{r.clk.state(), r.loads}, []Policy{r.p})
}

// UnmarshalState implements Stateful.
func (r *ramp) UnmarshalState(data []byte) error { return unmarshalWith(r, data) }

func (r *ramp) prepare(data []byte) (func(), error) {
	var st rampState
	check := func() error {
		if len(st.Loads) > max(r.cfg.Window, maxRampWindow) {
			return fmt.Errorf("%d loads in a window of at most %d", len(st.Loads), max(r.cfg.Window, maxRampWindow))
		}
		for i, v := range st.Loads {
			if !(v >= 0) || v > maxFloat {
				return fmt.Errorf("loads[%d] = %v", i, v)
			}
		}
		return nil
	}
	commit, err := prepareDoc("ramp", data, &st, check, []Policy{r.p})
	if err != nil {
		return nil, err
	}
	return func() {
		commit()
		r.clk, r.loads = st.Clock.clock(), append(r.loads[:0], st.Loads...)
	}, nil
}

// maxFloat is the largest finite float64.
const maxFloat = 1.7976931348623157e308

// thresholdState is the state of a Threshold.
type thresholdState struct {
	BreachAt time.Time `json:"breach_at"`
	Breach   string    `json:"breach"`
}

var _ Stateful = (*Threshold)(nil)

// MarshalState implements Stateful: the last shadow breach, which
// ThresholdConfig.ShadowHold keeps in force.
func (t *Threshold) MarshalState() ([]byte, error) { return marshalTree(t.tree()) }

func (t *Threshold) tree() (*stateTree, error) {
	t.mu.Lock()
	st := thresholdState{t.breachAt, t.breach}
	t.mu.Unlock()
	return treeOf("threshold", st, nil)
}

// UnmarshalState implements Stateful.
func (t *Threshold) UnmarshalState(data []byte) error { return unmarshalWith(t, data) }

func (t *Threshold) prepare(data []byte) (func(), error) {
	var st thresholdState
	commit, err := prepareDoc("threshold", data, &st, nil, nil)
	if err != nil {
		return nil, err
	}
	return func() {
		commit()
		t.mu.Lock()
		t.breachAt, t.breach = st.BreachAt, st.Breach
		t.mu.Unlock()
	}, nil
}

// plannerState is the state of a Planner.
type plannerState struct {
	Clock    clockState   `json:"clock"`
	PrevNow  time.Time    `json:"prev_now"`
	PrevCur  int          `json:"prev_current"`
	HavePrev bool         `json:"have_prev"`
	Needs    []stampState `json:"needs"`
	Starts   []stampState `json:"starts"`
	LastDown time.Time    `json:"last_down"`
}

var _ Stateful = (*Planner)(nil)

// MarshalState implements Stateful: the recent needs and replica starts,
// and the state of its shadow Threshold.
func (pl *Planner) MarshalState() ([]byte, error) { return marshalTree(pl.tree()) }

func (pl *Planner) tree() (*stateTree, error) {
	conv := func(s []stamped) []stampState {
		out := make([]stampState, len(s))
		for i, e := range s {
			out[i] = stampState{e.at, e.n}
		}
		return out
	}
	st := plannerState{pl.clk.state(), pl.prevNow, pl.prevCur, pl.havePrev, conv(pl.needs), conv(pl.starts), pl.lastDown}
	return treeOf("planner", st, []Policy{pl.shadow})
}

// UnmarshalState implements Stateful.
func (pl *Planner) UnmarshalState(data []byte) error { return unmarshalWith(pl, data) }

func (pl *Planner) prepare(data []byte) (func(), error) {
	var st plannerState
	check := func() error {
		if st.PrevCur < 0 {
			return fmt.Errorf("previous current %d", st.PrevCur)
		}
		return errors.Join(checkStamps("needs", st.Needs, false), checkStamps("starts", st.Starts, false))
	}
	commit, err := prepareDoc("planner", data, &st, check, []Policy{pl.shadow})
	if err != nil {
		return nil, err
	}
	conv := func(s []stampState) []stamped {
		if len(s) == 0 {
			return nil
		}
		out := make([]stamped, len(s))
		for i, e := range s {
			out[i] = stamped{e.At, e.N}
		}
		return out
	}
	return func() {
		commit()
		pl.clk, pl.prevNow, pl.prevCur, pl.havePrev = st.Clock.clock(), st.PrevNow, st.PrevCur, st.HavePrev
		pl.needs, pl.starts, pl.lastDown = conv(st.Needs), conv(st.Starts), st.LastDown
	}, nil
}

var _ Stateful = (*DryRunPolicy)(nil)

// MarshalState implements Stateful: the state of the inner policy (the
// would-be decision of the last pass is not kept).
func (d *DryRunPolicy) MarshalState() ([]byte, error) { return marshalTree(d.tree()) }

func (d *DryRunPolicy) tree() (*stateTree, error) { return treeOf("dry_run", nil, []Policy{d.p}) }

// UnmarshalState implements Stateful.
func (d *DryRunPolicy) UnmarshalState(data []byte) error { return unmarshalWith(d, data) }

func (d *DryRunPolicy) prepare(data []byte) (func(), error) {
	return prepareDoc("dry_run", data, nil, nil, []Policy{d.p})
}
