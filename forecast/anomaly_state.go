package forecast

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

var _ Stateful = (*Brutlag)(nil)

// brutlagDoc is the state of a Brutlag detector.
type brutlagDoc struct {
	Version int    `json:"version"`
	Config  string `json:"config"`
	// Dev holds the deviation of each seasonal position; Seen marks, one
	// character per position ('1' or '0'), those that have one.
	Dev  floats `json:"deviations"`
	Seen string `json:"seen"`
	// Hits marks the band violations of the alarm window, as Seen does;
	// Next is where the next verdict goes.
	Hits  string        `json:"hits"`
	Next  int           `json:"next"`
	Start bool          `json:"started"`
	T0    time.Time     `json:"t0"`
	Step  time.Duration `json:"step"`
	// Last is the verdict on the last observation: its time, whether it
	// was outside and an alarm, its reason, and (Vals) its value,
	// expected value, band and score.
	LastT       time.Time `json:"last_time"`
	LastVals    floats    `json:"last_values"`
	LastOutside bool      `json:"last_outside,omitempty"`
	LastAlarm   bool      `json:"last_alarm,omitempty"`
	LastReason  string    `json:"last_reason,omitempty"`
	// Forecaster is the wrapped forecaster's own state; absent when it
	// keeps none.
	Forecaster json.RawMessage `json:"forecaster,omitempty"`
}

// fingerprint names the configuration a Brutlag's state depends on.
func (b *Brutlag) fingerprint() string {
	c := b.cfg
	return fmt.Sprintf("brutlag period=%d gamma=%v delta=%v window=%d threshold=%d", c.Period, c.Gamma, c.Delta, c.Window, c.Threshold)
}

func bits(v []bool) string {
	var sb strings.Builder
	sb.Grow(len(v))
	for _, x := range v {
		if x {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	}
	return sb.String()
}

// parseBits decodes bits into dst, which must be as long as s; it returns
// how many were set.
func parseBits(s string, dst []bool) (int, error) {
	if len(s) != len(dst) {
		return 0, fmt.Errorf("%d flags, want %d", len(s), len(dst))
	}
	n := 0
	for i := range len(s) {
		switch s[i] {
		case '1':
			dst[i] = true
			n++
		case '0':
			dst[i] = false
		default:
			return 0, fmt.Errorf("flag %d is %q, want 0 or 1", i, s[i])
		}
	}
	return n, nil
}

// MarshalState implements [Stateful]: the deviations, the alarm window,
// the last verdict and, when the wrapped forecaster implements Stateful,
// its state. A forecaster without state starts clean after a restore and
// learns again from the history observed again.
func (b *Brutlag) MarshalState() ([]byte, error) {
	var inner []byte
	if st, ok := b.f.(Stateful); ok {
		var err error
		if inner, err = st.MarshalState(); err != nil {
			return nil, fmt.Errorf("forecast: Brutlag's forecaster: %w", err)
		}
		if !json.Valid(inner) {
			return nil, fmt.Errorf("forecast: Brutlag's forecaster %T returned %d bytes of state that are not JSON", b.f, len(inner))
		}
	}
	l := b.last
	doc := brutlagDoc{
		Version: stateVersion, Config: b.fingerprint(),
		Dev: b.dev, Seen: bits(b.seen), Hits: bits(b.hits), Next: b.hi,
		Start: b.start, T0: b.t0, Step: b.step,
		LastT: l.Time, LastVals: floats{l.Value, l.Expected, l.Lower, l.Upper, l.Score},
		LastOutside: l.Outside, LastAlarm: l.Alarm, LastReason: l.Reason,
		Forecaster: inner,
	}
	return json.Marshal(doc)
}

// UnmarshalState implements [Stateful]. It checks the version, the
// configuration and every value, then restores the wrapped forecaster's
// state when it keeps one; on an error wrapping
// [ErrBadState] the detector and its forecaster are as they were.
//
// As for a restored forecaster, observations at or before the last one
// the state had judged are history taken back: Detect passes them to the
// forecaster only (which puts them into its window) and returns a verdict
// that is neither outside nor an alarm. The first later observation is
// judged as usual.
func (b *Brutlag) UnmarshalState(data []byte) error {
	var doc brutlagDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return badState("%v", err)
	}
	st, ok := b.f.(Stateful)
	switch {
	case doc.Version != stateVersion:
		return badState("version %d, this detector reads %d", doc.Version, stateVersion)
	case doc.Config != b.fingerprint():
		return badState("saved by %q, this is %q", doc.Config, b.fingerprint())
	case ok != (len(doc.Forecaster) > 0):
		return badState("forecaster state present %t, forecaster %T keeps state %t", len(doc.Forecaster) > 0, b.f, ok)
	case len(doc.Dev) != b.cfg.Period:
		return badState("%d deviations for a period of %d", len(doc.Dev), b.cfg.Period)
	case doc.Next < 0 || doc.Next >= b.cfg.Window:
		return badState("next verdict at %d of a window of %d", doc.Next, b.cfg.Window)
	case doc.Step < 0:
		return badState("step %s", doc.Step)
	case len(doc.LastVals) != 5:
		return badState("%d values of the last verdict, want 5", len(doc.LastVals))
	}
	for i, d := range doc.Dev {
		if !(d >= 0) || math.IsInf(d, 0) {
			return badState("deviation %d is %v", i, d)
		}
	}
	seen := make([]bool, b.cfg.Period)
	warm, err := parseBits(doc.Seen, seen)
	if err != nil {
		return badState("seen: %v", err)
	}
	hits := make([]bool, b.cfg.Window)
	count, err := parseBits(doc.Hits, hits)
	if err != nil {
		return badState("hits: %v", err)
	}
	if ok {
		if err := st.UnmarshalState(doc.Forecaster); err != nil {
			return fmt.Errorf("%w: Brutlag's forecaster: %w", ErrBadState, err)
		}
	}
	v := doc.LastVals
	b.dev = append(b.dev[:0], doc.Dev...)
	b.seen, b.warm, b.hits, b.hi, b.count = seen, warm, hits, doc.Next, count
	b.start, b.t0, b.step = doc.Start, doc.T0, doc.Step
	b.last = Anomaly{Time: doc.LastT, Value: v[0], Expected: v[1], Lower: v[2], Upper: v[3], Score: v[4],
		Outside: doc.LastOutside, Alarm: doc.LastAlarm, Reason: doc.LastReason}
	b.refill = !doc.LastT.IsZero()
	return nil
}
