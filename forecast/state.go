package forecast

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"
)

// Stateful is an optional capability of a Forecaster: MarshalState
// captures what it learned — the fitted parameters, the level, trend and
// seasonal states, the error scale, and for [Auto] the outcome of the last
// selection and the calibration of its intervals — and UnmarshalState
// restores it into a forecaster built with the same configuration, so that
// a restarted process forecasts as the old one would have. The Controller
// detects it with a type assertion. [Model] and [Auto] implement it.
//
// While the history window is young (at most Config.StateWindow values,
// 4096 by default) the state holds it, and a restored forecaster refits,
// reselects and forecasts exactly as the one that saved the state whether
// or not the caller observes the history again: values observed again up
// to the state's last observation are ignored. A longer window is not
// held: after UnmarshalState the forecaster takes its history back from
// the caller, who observes the window again, oldest first (a metrics
// source's history, say).
// Observations at or before the last one the state had seen go into the
// window only, not into the restored state; gaps among them are filled by
// linear interpolation, and values older than the window the state had
// are dropped. The first later observation continues as usual. Until the
// window is as long again as when the state was saved, Refit keeps the
// restored fit (a fit on a shorter window would throw away a good model),
// so that a restart without the history forecasts well at once too. Until
// the window is observed again, the history counts as long as the saved
// window (a gap it would have bridged is filled, not taken for a new
// start), and an [Auto] judges zeros by the latest 60 values it had fed,
// which its state keeps for that ("Zero runs" in Auto: on a short history
// the recent level judges).
//
// With the whole window observed again and values equal to those first
// seen, the restored forecaster forecasts, refits and reselects exactly as
// the one that saved the state. An [Auto]'s run of zeros held back (see
// "Zero runs" in Auto) is part of the state: values observed again up to
// its last zero are left out. So are the values the forecaster filled
// gaps with (its own forecasts, or before its first fit interpolations,
// every one still in the window, as the window holds them; those of the
// latest 256 gaps): where the history observed again has such a gap, a
// value at such a slot, or the zeros of a run that was filled as one, the
// restored forecaster puts the saved fills into its window. Gaps
// beyond those it interpolates. A state then holds up to a window of
// fills (16 bytes each before encoding), and the Model keeps only their
// runs of slots between saves.
//
// UnmarshalState checks the version, the configuration the state was saved
// under and every value before it changes anything: on an error wrapping
// [ErrBadState] the forecaster is as it was. An [Auto] also reads a state
// saved by a release with fewer candidates, the same ones first in the
// same order: the saved choice forecasts as before, and the candidates
// added since are unfitted until the next selection fits and scores them.
// A state saved under another ResidualWindow (the default was 120 steps
// whatever the step) restores too: its error scale is taken as saved and
// follows the forecaster's own time constant from there.
type Stateful interface {
	// MarshalState returns the forecaster's state.
	MarshalState() ([]byte, error)
	// UnmarshalState replaces the forecaster's state with data.
	UnmarshalState(data []byte) error
}

// ErrBadState reports a state UnmarshalState cannot use: corrupt, of
// another version, or saved by a forecaster of another configuration.
var ErrBadState = errors.New("forecast: unusable state")

// defaultStateWindow is Config.StateWindow's default. A variable so that
// the package's tests run with states that hold no window too (TestMain).
var defaultStateWindow = 4096

// stateVersion is the version of the state format.
const stateVersion = 1

var (
	_ Stateful = (*Model)(nil)
	_ Stateful = (*Auto)(nil)
)

// floats is a float64 slice encoded exactly, NaN and infinities included,
// as base64 of its little-endian bits.
type floats []float64

func (v floats) MarshalText() ([]byte, error) { return marshalBits(v), nil }

func (v *floats) UnmarshalText(text []byte) (err error) {
	*v, err = unmarshalBits[float64](text)
	return err
}

// floats32 is a float32 slice encoded as floats is.
type floats32 []float32

func (v floats32) MarshalText() ([]byte, error) { return marshalBits(v), nil }

func (v *floats32) UnmarshalText(text []byte) (err error) {
	*v, err = unmarshalBits[float32](text)
	return err
}

// bitSize is the size in bytes of a T.
func bitSize[T float32 | float64]() int {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return 4
	}
	return 8
}

// marshalBits returns the base64 text of v's little-endian bits.
func marshalBits[T float32 | float64](v []T) []byte {
	return appendBits(make([]byte, 0, b64(bitSize[T]()*len(v))), v)
}

// chunk is how many bytes of values are base64-encoded at a time: a
// multiple of 3 (so that the chunks' encodings concatenate), of 4 and of
// 8.
const chunk = 768

// appendBits appends the base64 text of v's little-endian bits to b.
func appendBits[T float32 | float64](b []byte, v []T) []byte {
	var buf [chunk]byte
	size := bitSize[T]()
	for len(v) > 0 {
		n := min(len(v), chunk/size)
		for i, x := range v[:n] {
			if size == 4 {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(x)))
			} else {
				binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(float64(x)))
			}
		}
		b = base64.StdEncoding.AppendEncode(b, buf[:size*n])
		v = v[n:]
	}
	return b
}

// unmarshalBits decodes the base64 text of little-endian bits of Ts.
func unmarshalBits[T float32 | float64](text []byte) ([]T, error) {
	size := bitSize[T]()
	b, err := decodeBase64(text, size)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(b)/size)
	for i := range out {
		if size == 4 {
			out[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		} else {
			out[i] = T(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	}
	return out, nil
}

// badState returns an error wrapping ErrBadState with the formatted
// detail.
func badState(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadState, fmt.Sprintf(format, args...))
}

func decodeBase64(text []byte, size int) ([]byte, error) {
	b, err := base64.StdEncoding.AppendDecode(nil, text)
	if err != nil {
		return nil, err
	}
	if len(b)%size != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %d-byte values", len(b), size)
	}
	return b, nil
}

// modelDoc is the state of a Model.
type modelDoc struct {
	Version int       `json:"version"`
	Config  string    `json:"config"`
	Started bool      `json:"started"`
	T0      time.Time `json:"t0"`
	Slot    int64     `json:"slot"`
	Fitted  bool      `json:"fitted"`
	Failed  bool      `json:"failed"`
	Total   int64     `json:"total"`
	// SinceFit and HistLen count observations since the last fit and in
	// the window.
	SinceFit int `json:"since_fit"`
	HistLen  int `json:"window_len"`
	// Vals holds the last value and the error scale s².
	Vals floats `json:"values"`
	Zs   floats `json:"standardized_errors"`
	// Fills holds the gap fills still in the window, as slot and value
	// pairs in slot order.
	Fills floats `json:"gap_fills,omitempty"`
	// Window holds the history window itself, oldest first, while it is
	// at most Config.StateWindow values long (a young history); absent otherwise
	// and in states saved before it was kept.
	Window floats `json:"window,omitempty"`
	// Bias holds the tracking signal's weighted mean and mean absolute
	// one-step error, the early-refit spacing, the observations since
	// the last fit of either kind and, when not zero, the run of errors
	// of a level shift down (Config.BiasWindow); absent in states saved
	// before it, which restore with none.
	Bias floats  `json:"bias,omitempty"`
	M    mState  `json:"model"`
	Auto *autoSt `json:"auto,omitempty"`
}

// mState is the state of one model: its parameters and, when Full, its
// level, trend and seasonal states.
type mState struct {
	ID      string   `json:"id"`
	Fitted  bool     `json:"fitted,omitempty"`
	FitN    int      `json:"fit_n,omitempty"`
	Label   string   `json:"label,omitempty"`
	Params  floats   `json:"params,omitempty"`
	Full    bool     `json:"full,omitempty"`
	Vals    floats   `json:"values,omitempty"`
	N       int      `json:"n,omitempty"`
	Pos     []int    `json:"pos,omitempty"`
	Seasons []floats `json:"seasons,omitempty"`
}

// autoSt is the state of Auto's selection.
type autoSt struct {
	Cands    []mState `json:"candidates"`
	Chosen   []int    `json:"chosen"` // one index, or a combination's parts
	Combined bool     `json:"combined,omitempty"`
	// Inner and Pick are a combination's inner and pick (its parts are
	// Chosen); Inner is 0 for a plain median.
	Inner    int        `json:"inner,omitempty"`
	Pick     int        `json:"pick,omitempty"`
	HB       int        `json:"backtest_horizon"`
	Total    int64      `json:"total"`
	SelTotal int64      `json:"selected_at"`
	Selected bool       `json:"selected"`
	N        int        `json:"n"`
	Label    string     `json:"label"`
	Sel      selState   `json:"selection"`
	Buckets  []floats32 `json:"buckets"`
	Peaks    []floats32 `json:"peak_buckets"`
	// groups, when set, is the encoding of Buckets and Peaks
	// (appendGroups), which change only at a selection: the autoModel
	// keeps it from one save to the next.
	groups []byte
	// Vals holds scaleRatio and s2Cal.
	Vals floats `json:"values"`
	// Long is the long season modeled outside the window, if any.
	Long floats `json:"long_season,omitempty"`
	// PeakACI is PeakUpper's adaptation once PeakUpper was asked: the
	// lead, the level, the adapted miscoverage, then the origin, the bound
	// and the largest value so far of each bound not yet checked.
	PeakACI floats `json:"peak_aci,omitempty"`
	// ZeroRun is the run of zeros held back and whether zeros are load
	// (see zeroRun.save); absent when there is neither, and in states
	// saved before zero runs were held back.
	ZeroRun floats `json:"zero_run,omitempty"`
	// ZeroPhases are the phases of the first seasonal period whose last
	// value or the one before it was a zero (see zeroRun.savePhases);
	// absent when there is none, and in states saved before they were
	// kept.
	ZeroPhases floats `json:"zero_phases,omitempty"`
	// Recent is the latest values fed (at most zeroRecent), oldest first:
	// a restored Auto judges zeros by them until its window is observed
	// again (a history source that fails at start-up). Absent in states
	// saved before it was kept.
	Recent floats `json:"recent,omitempty"`
}

type selState struct {
	Model    string   `json:"model"`
	Reason   string   `json:"reason"`
	Fallback bool     `json:"fallback"`
	Horizon  int      `json:"horizon"`
	Origins  int      `json:"origins"`
	Names    []string `json:"names"`
	MASE     floats   `json:"mase"`
	Skipped  []string `json:"skipped"`
}

// stater is a model whose state can be saved and restored.
type stater interface {
	// id names the model and the configuration its state depends on.
	id() string
	// save returns the parameters and, with full, the dynamic state; the
	// result shares the model's slices and is encoded at once.
	save(full bool) mState
	// load checks st and returns the function that applies it.
	load(st mState) (func(), error)
}

// restored is a Model's progress in taking back its history after
// UnmarshalState.
type restored struct {
	refilling bool
	whole     bool    // the state held the window (modelDoc.Window)
	have      bool    // a value went into the window
	slot      int64   // grid slot of the last value put into the window
	v         float64 // that value
	n         int     // window length when the state was saved
	// fillSlots and fillVals are the saved gap fills, in slot order,
	// put back into the window by the refill.
	fillSlots []int64
	fillVals  []float64
}

// fingerprint names the configuration a Model's state depends on.
func (f *Model) fingerprint() string {
	id := "?"
	if s, ok := f.m.(stater); ok {
		id = s.id()
	}
	return f.fingerprintOf(id)
}

// readsConfig reports whether a state saved by the configuration named
// saved restores into f: the same configuration, or an Auto whose saved
// candidates are the first of f's (a candidate added since joins at the
// next selection). The ResidualWindow may differ (a state saved before
// its default followed the step): the error scale is taken as saved and
// follows f's time constant from there.
func (f *Model) readsConfig(saved string) bool {
	saved = withResiduals(saved, f.cfg.ResidualWindow)
	if saved == f.fingerprint() {
		return true
	}
	a, ok := f.m.(*autoModel)
	if !ok {
		return false
	}
	for n := len(a.cands) - 1; n > 0; n-- {
		if saved == f.fingerprintOf(a.idOf(n)) {
			return true
		}
	}
	return false
}

// withResiduals returns the fingerprint fp with its ResidualWindow
// replaced by n.
func withResiduals(fp string, n int) string {
	const key = " residuals="
	i := strings.Index(fp, key)
	if i < 0 {
		return fp
	}
	j := i + len(key)
	k := j
	for k < len(fp) && fp[k] >= '0' && fp[k] <= '9' {
		k++
	}
	return fp[:j] + strconv.Itoa(n) + fp[k:]
}

// fingerprintOf is the fingerprint of f's configuration with the model
// named id.
func (f *Model) fingerprintOf(id string) string {
	c := f.cfg
	fixed := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%s step=%s period=%d,%d window=%d refit=%d maxgap=%d interval=%d residuals=%d fixed=%s,%s,%s,%s,%s model=%s",
		f.kind, c.Step, c.Period, c.Period2, c.Window, c.RefitEvery, c.MaxGap, c.Interval, c.ResidualWindow,
		fixed(c.Alpha), fixed(c.Beta), fixed(c.Gamma), fixed(c.Delta), fixed(c.Phi), id)
}

// MarshalState implements [Stateful].
func (f *Model) MarshalState() ([]byte, error) {
	doc, err := f.stateDoc()
	if err != nil {
		return nil, err
	}
	return doc.appendJSON(make([]byte, 0, doc.size()))
}

// stateDoc captures the Model's state; the document shares the Model's
// slices and is encoded at once.
func (f *Model) stateDoc() (modelDoc, error) {
	s, ok := f.m.(stater)
	if !ok {
		return modelDoc{}, fmt.Errorf("forecast: %s keeps no state", f.m.name())
	}
	doc := modelDoc{
		Version: stateVersion, Config: f.fingerprint(), Started: f.started, T0: f.t0, Slot: f.slot,
		Fitted: f.fitted, Failed: f.failed, Total: f.total, SinceFit: f.sinceFit, HistLen: f.hist.Len(),
		Vals: floats{f.lastV, f.s2}, Zs: f.zs, M: s.save(f.fitted),
	}
	if f.biasAbs != 0 || f.biasMean != 0 || f.earlyGap != 0 || f.sinceAnyFit != f.sinceFit || f.shiftRun != 0 {
		doc.Bias = floats{f.biasMean, f.biasAbs, float64(f.earlyGap), float64(f.sinceAnyFit)}
		if f.shiftRun != 0 {
			doc.Bias = append(doc.Bias, float64(f.shiftRun))
		}
	}
	doc.Fills = f.appendFills(doc.Fills)
	if f.rs != nil && f.rs.n > doc.HistLen {
		// Still taking the history back: the window the state stands for.
		doc.HistLen = f.rs.n
	}
	if n := f.hist.Len(); n > 0 && n <= f.cfg.StateWindow && n == doc.HistLen && (f.rs == nil || !f.rs.refilling || f.rs.whole) {
		doc.Window = f.hist.AppendTo(make(floats, 0, n))
	}
	if a, ok := f.m.(*autoModel); ok {
		doc.Auto = a.saveAuto(f.fitted)
		doc.Auto.Recent = f.appendRecent(nil, zeroRecent)
	}
	return doc, nil
}

// validBias reports whether a saved tracking signal is absent or a finite
// mean error, a mean absolute error ≥ 0, and a whole early-refit spacing
// and count of observations since a fit ≥ 0.
func validBias(b floats) bool {
	if len(b) == 0 {
		return true
	}
	whole := func(x float64) bool { return x >= 0 && x <= math.MaxInt32 && x == math.Trunc(x) }
	return (len(b) == 4 || len(b) == 5 && whole(b[4])) && mathx.Finite(b[0]) && b[1] >= 0 && mathx.Finite(b[1]) && whole(b[2]) && whole(b[3])
}

// UnmarshalState implements [Stateful].
func (f *Model) UnmarshalState(data []byte) error {
	var doc modelDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return badState("%v", err)
	}
	s, ok := f.m.(stater)
	switch {
	case doc.Version != stateVersion:
		return badState("version %d, this forecaster reads %d", doc.Version, stateVersion)
	case !ok:
		return badState("%s keeps no state", f.m.name())
	case !f.readsConfig(doc.Config):
		return badState("saved by %q, this is %q", doc.Config, f.fingerprint())
	case doc.Slot < 0 || doc.Total < 0 || doc.SinceFit < 0 || doc.HistLen < 0 || doc.HistLen > f.cfg.Window:
		return badState("slot %d, total %d, %d since the fit, window of %d", doc.Slot, doc.Total, doc.SinceFit, doc.HistLen)
	case len(doc.Vals) != 2 || !(doc.Vals[0] >= 0) || !(doc.Vals[1] >= 0) || math.IsInf(doc.Vals[0], 0) || math.IsInf(doc.Vals[1], 0):
		return badState("last value and error scale %v", doc.Vals)
	case len(doc.Zs) > maxQuantilePoints || !sortedFinite(doc.Zs):
		return badState("%d standardized errors, sorted and finite: %t", len(doc.Zs), sortedFinite(doc.Zs))
	case doc.Fitted && !doc.M.Full:
		return badState("fitted, but without the model's state")
	case doc.Fitted && !doc.Started:
		return badState("fitted, but never observed")
	case !validBias(doc.Bias):
		return badState("tracking signal %v: want a finite mean error, a mean absolute error, a spacing, a count of whole steps and optionally a run of them, none negative", []float64(doc.Bias))
	case len(doc.Window) > 0 && (len(doc.Window) != doc.HistLen || !doc.Started || slices.ContainsFunc(doc.Window, func(x float64) bool { return !(x >= 0) || math.IsInf(x, 0) })):
		return badState("window of %d values for a window of %d (observed %t): want as many, finite and not negative", len(doc.Window), doc.HistLen, doc.Started)
	case !validFills(doc.Fills, doc.Slot, f.cfg.Window):
		return badState("gap fills %v: want slot and value pairs, slots rising within the window of %d before slot %d, values finite and not negative",
			[]float64(doc.Fills), f.cfg.Window, doc.Slot)
	}
	apply, err := s.load(doc.M)
	if err != nil {
		return badState("%v", err)
	}
	a, isAuto := f.m.(*autoModel)
	if isAuto != (doc.Auto != nil) {
		return badState("selection state present %t, forecaster selects %t", doc.Auto != nil, isAuto)
	}
	var tail []float64
	if isAuto {
		applyAuto, err := a.loadAuto(doc.Auto, doc.Fitted, doc.Slot, f.cfg.MaxGap)
		if err != nil {
			return badState("%v", err)
		}
		apply = applyAuto
		r := doc.Auto.Recent
		if len(r) > zeroRecent || int64(len(r)) > doc.Total || slices.ContainsFunc(r, func(x float64) bool { return !(x >= 0) || math.IsInf(x, 0) }) {
			return badState("%d recent values, at most %d and the %d observed, finite and not negative", len(r), zeroRecent, doc.Total)
		}
		tail = slices.Clone(r)
	}
	apply()
	f.started, f.t0, f.slot = doc.Started, doc.T0, doc.Slot
	f.fitted, f.failed, f.total, f.sinceFit = doc.Fitted, doc.Failed, doc.Total, doc.SinceFit
	f.lastV, f.s2 = doc.Vals[0], doc.Vals[1]
	f.biasMean, f.biasAbs, f.earlyGap, f.sinceAnyFit, f.shiftRun = 0, 0, 0, doc.SinceFit, 0
	if len(doc.Bias) >= 4 {
		f.biasMean, f.biasAbs, f.earlyGap, f.sinceAnyFit = doc.Bias[0], doc.Bias[1], int(doc.Bias[2]), int(doc.Bias[3])
	}
	if len(doc.Bias) == 5 {
		f.shiftRun = int(doc.Bias[4])
	}
	f.zs = append(f.zs[:0], doc.Zs...)
	f.fills = f.fills[:0]
	var fillSlots []int64
	var fillVals []float64
	for i := 0; i < len(doc.Fills); i += 2 {
		k := int64(doc.Fills[i])
		fillSlots = append(fillSlots, k)
		fillVals = append(fillVals, doc.Fills[i+1])
		f.addFill(k)
	}
	f.kh = f.kh[:0]
	f.hist.Clear()
	f.tail = tail
	f.rs = nil
	if doc.Started {
		f.rs = &restored{refilling: true, n: doc.HistLen, fillSlots: fillSlots, fillVals: fillVals}
	}
	if len(doc.Window) > 0 {
		// The window came with the state: the history observed again up
		// to the state's last observation is not needed.
		for _, x := range doc.Window {
			f.hist.Push(x)
		}
		f.rs.whole, f.rs.have, f.rs.slot, f.rs.v = true, true, doc.Slot, doc.Window[len(doc.Window)-1]
		f.tail = nil
	}
	return nil
}

// validFills reports whether v holds slot and value pairs, slots whole
// and rising within the window before slot (so at most a window of them),
// values finite and not negative.
func validFills(v floats, slot int64, window int) bool {
	if len(v)%2 != 0 || len(v) > 2*window {
		return false
	}
	prev := float64(slot - int64(window))
	for i := 0; i < len(v); i += 2 {
		k, x := v[i], v[i+1]
		if !whole(k) || !(k > prev) || !(k < float64(slot)) || !(x >= 0) || math.IsInf(x, 0) {
			return false
		}
		prev = k
	}
	return true
}

func sortedFinite(v []float64) bool {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || i > 0 && x < v[i-1] {
			return false
		}
	}
	return true
}

// refillObserve puts v at t into the window if t is not after the last
// observation the restored state had seen; it reports whether it took v.
func (f *Model) refillObserve(t time.Time, v float64) (bool, error) {
	r := f.rs
	if r == nil || !r.refilling {
		return false, nil
	}
	k := gridSlot(f.t0, t, f.cfg.Step)
	if k > f.slot {
		f.endRefill()
		return false, nil
	}
	if r.whole {
		return true, nil // the state held the window
	}
	if r.have && k <= r.slot {
		return true, fmt.Errorf("%w: time %s is not after the last history value %s on the %s grid",
			ErrInvalidArgument, t.Format(time.RFC3339Nano), f.t0.Add(time.Duration(r.slot)*f.cfg.Step).Format(time.RFC3339Nano), f.cfg.Step)
	}
	if k <= f.slot-int64(r.n) {
		return true, nil // older than the window the state stands for
	}
	f.tail = nil // the window is observed again
	f.refillTo(k, v)
	return true, nil
}

// appendFills appends the kept gap fills still in the window to v, as
// slot and value pairs: the values the window holds at their slots, or,
// while the window is being taken back, the fills restored from a state.
func (f *Model) appendFills(v floats) floats {
	oldest := f.slot - int64(f.cfg.Window) + 1
	if r := f.rs; r != nil && r.refilling {
		for i, k := range r.fillSlots {
			if k >= oldest {
				v = append(v, float64(k), r.fillVals[i])
			}
		}
		return v
	}
	for _, run := range f.fills {
		for k := max(run.start, oldest); k < run.start+run.n; k++ {
			x, ok := f.windowValue(k)
			if !ok && f.rs != nil {
				// Restored, and the window not taken back (the
				// history read failed): the fill is the saved one.
				x, ok = f.rs.filled(k)
			}
			if ok {
				v = append(v, float64(k), x)
			}
		}
	}
	return v
}

// filled returns the restored gap fill for slot k, if any.
func (r *restored) filled(k int64) (float64, bool) {
	i, ok := slices.BinarySearch(r.fillSlots, k)
	if !ok {
		return 0, false
	}
	return r.fillVals[i], true
}

// refillTo puts v at slot k into the window, interpolating from the last
// value put there; a slot the saved Model had filled with its forecasts
// takes that fill instead.
func (f *Model) refillTo(k int64, v float64) {
	r := f.rs
	if x, ok := r.filled(k); ok {
		v = x
	}
	if r.have {
		gap := k - r.slot
		for i := max(int64(1), gap-int64(f.cfg.Window)); i < gap; i++ {
			x, ok := r.filled(r.slot + i)
			if !ok {
				x = interpolate(r.v, v, float64(i)/float64(gap))
			}
			f.hist.Push(x)
		}
	}
	f.hist.Push(v)
	r.slot, r.v, r.have = k, v, true
}

// endRefill closes the window's refill: the slots between the last value
// put there and the state's last observation are interpolated.
func (f *Model) endRefill() {
	r := f.rs
	if r == nil || !r.refilling {
		return
	}
	r.refilling = false
	if r.whole {
		f.rs = nil // the window is as it was saved
		return
	}
	if r.have && r.slot < f.slot {
		f.refillTo(f.slot, f.lastV)
	}
}

// keepRestored ends a refill and reports whether Refit must keep the
// restored fit because the window is still shorter than when the state was
// saved.
func (f *Model) keepRestored() bool {
	if f.rs == nil {
		return false
	}
	f.endRefill()
	if f.rs != nil && f.fitted && f.hist.Len() < f.rs.n {
		return true
	}
	f.rs = nil
	return false
}

// Models.

func fixedID(ps ...*float64) string {
	var b strings.Builder
	for _, p := range ps {
		if p == nil {
			b.WriteString("-,")
		} else {
			fmt.Fprintf(&b, "%v,", *p)
		}
	}
	return b.String()
}

func checkFinite(what string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s[%d] is %v", what, i, x)
		}
	}
	return nil
}

// checkShape checks the parameters, values, positions and seasons of st
// against the counts a model expects (seasons by length) when st is Full,
// the parameters within [0, 1].
func checkShape(st mState, params, vals int, pos []int, seasons []int) error {
	if len(st.Params) != params {
		return fmt.Errorf("%s: %d parameters, want %d", st.ID, len(st.Params), params)
	}
	for i, x := range st.Params {
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("%s: parameter %d is %v, outside [0, 1]", st.ID, i, x)
		}
	}
	if st.FitN < 0 {
		return fmt.Errorf("%s: fitted on %d values", st.ID, st.FitN)
	}
	if !st.Full {
		return nil
	}
	if len(st.Vals) != vals || len(st.Pos) != len(pos) || len(st.Seasons) != len(seasons) {
		return fmt.Errorf("%s: %d values, %d positions, %d seasons; want %d, %d, %d", st.ID, len(st.Vals), len(st.Pos), len(st.Seasons), vals, len(pos), len(seasons))
	}
	// The level, trend and seasonal terms are not checked for finiteness: a
	// model fed values near MaxFloat64 overflows them live, forecasts the
	// last value in place of the non-finite mean (Model.meanOf), and
	// restores to do the same.
	for i, p := range st.Pos {
		if p < 0 || p >= pos[i] {
			return fmt.Errorf("%s: position %d outside [0, %d)", st.ID, p, pos[i])
		}
	}
	for i, s := range st.Seasons {
		if len(s) != seasons[i] {
			return fmt.Errorf("%s: season %d of %d terms, want %d", st.ID, i, len(s), seasons[i])
		}
	}
	return nil
}

func (n *naive) id() string { return "naive" }
func (n *naive) save(full bool) mState {
	st := mState{ID: n.id(), Full: full}
	if full {
		st.Vals = floats{n.last}
	}
	return st
}
func (n *naive) load(st mState) (func(), error) {
	if err := checkShape(st, 0, 1, nil, nil); err != nil {
		return nil, err
	}
	return func() {
		if st.Full {
			n.last = st.Vals[0]
		}
	}, nil
}

func (d *drift) id() string { return "drift" }
func (d *drift) save(full bool) mState {
	st := mState{ID: d.id(), Full: full}
	if full {
		st.Vals, st.N = floats{d.first, d.last}, d.n
	}
	return st
}
func (d *drift) load(st mState) (func(), error) {
	if err := checkShape(st, 0, 2, nil, nil); err != nil {
		return nil, err
	}
	if st.N < 0 {
		return nil, fmt.Errorf("drift: %d observations", st.N)
	}
	return func() {
		if st.Full {
			d.first, d.last, d.n = st.Vals[0], st.Vals[1], st.N
		}
	}, nil
}

func (e *ewma) id() string { return "ewma fixed=" + fixedID(e.fixed) }
func (e *ewma) save(full bool) mState {
	st := mState{ID: e.id(), Fitted: e.fitted, Label: e.label, Params: floats{e.alpha}, Full: full}
	if full {
		st.Vals = floats{e.level}
	}
	return st
}
func (e *ewma) load(st mState) (func(), error) {
	if err := checkShape(st, 1, 1, nil, nil); err != nil {
		return nil, err
	}
	return func() {
		e.alpha, e.fitted, e.label = st.Params[0], st.Fitted, st.Label
		if st.Full {
			e.level = st.Vals[0]
		}
	}, nil
}

func (s *seasonalNaive) id() string { return fmt.Sprintf("seasonal-naive m=%d", s.m) }
func (s *seasonalNaive) save(full bool) mState {
	st := mState{ID: s.id(), Full: full && s.buf != nil}
	if st.Full {
		st.Pos, st.Seasons = []int{s.pos}, []floats{s.buf}
	}
	return st
}
func (s *seasonalNaive) load(st mState) (func(), error) {
	if err := checkShape(st, 0, 0, []int{s.m}, []int{s.m}); err != nil {
		return nil, err
	}
	return func() {
		if st.Full {
			s.buf, s.pos = slices.Clone(st.Seasons[0]), st.Pos[0]
		}
	}, nil
}

func (h *hw) id() string {
	return fmt.Sprintf("hw m=%d mult=%t trend=%d relerr=%t fixed=%s", h.m, h.mult, h.trend, h.errMult, fixedID(h.fixed[:]...))
}
func (h *hw) save(full bool) mState {
	st := mState{ID: h.id(), Fitted: h.fitted, FitN: h.fitN, Label: h.label,
		Params: floats{h.alpha, h.beta, h.gamma, h.phi}, Full: full && h.season != nil}
	if st.Full {
		st.Vals, st.Pos, st.Seasons = floats{h.level, h.b}, []int{h.pos}, []floats{h.season}
	}
	return st
}
func (h *hw) load(st mState) (func(), error) {
	if err := checkShape(st, 4, 2, []int{h.m}, []int{h.m}); err != nil {
		return nil, err
	}
	return func() {
		h.alpha, h.beta, h.gamma, h.phi = st.Params[0], st.Params[1], st.Params[2], st.Params[3]
		h.fitted, h.fitN, h.label = st.Fitted, st.FitN, st.Label
		if st.Full {
			h.season = slices.Clone(st.Seasons[0])
			h.level, h.b, h.pos = st.Vals[0], st.Vals[1], st.Pos[0]
		}
	}, nil
}

func (m *dshw) id() string {
	return fmt.Sprintf("dshw m=%d,%d mult=%t trend=%t fixed=%s", m.m1, m.m2, m.mult, m.trend, fixedID(m.fixed[:]...))
}
func (m *dshw) save(full bool) mState {
	st := mState{ID: m.id(), Fitted: m.fitted, FitN: m.fitN, Label: m.label, Params: m.p[:], Full: full && m.d != nil}
	if st.Full {
		st.Vals, st.Pos = floats{m.l, m.b, m.e}, []int{m.pos1, m.pos2}
		st.Seasons = []floats{m.d, m.w}
	}
	return st
}
func (m *dshw) load(st mState) (func(), error) {
	if err := checkShape(st, 5, 3, []int{m.m1, m.m2}, []int{m.m1, m.m2}); err != nil {
		return nil, err
	}
	return func() {
		copy(m.p[:], st.Params)
		m.fitted, m.fitN, m.label = st.Fitted, st.FitN, st.Label
		if st.Full {
			m.d, m.w = slices.Clone(st.Seasons[0]), slices.Clone(st.Seasons[1])
			m.d0, m.dw = make([]float64, m.m1), make([]float64, m.m1)
			m.w0, m.ww = make([]float64, m.m2), make([]float64, m.m2)
			m.l, m.b, m.e = st.Vals[0], st.Vals[1], st.Vals[2]
			m.pos1, m.pos2 = st.Pos[0], st.Pos[1]
		}
	}, nil
}

// Auto.

func (a *autoModel) id() string { return a.idOf(len(a.cands)) }

// idOf is the id of an Auto with the first n of a's candidates.
func (a *autoModel) idOf(n int) string {
	ids := make([]string, n)
	for i, c := range a.cands[:n] {
		if s, ok := c.(stater); ok {
			ids[i] = s.id()
		}
	}
	return fmt.Sprintf("auto periods=%v horizon=%d origins=%d window=%d reselect=%d select=%s candidates=[%s]",
		a.periods, a.horizon, a.maxOrigins, a.window, a.reselect, a.method, strings.Join(ids, "; "))
}

// save is the chosen model's state; saveAuto holds the rest.
func (a *autoModel) save(full bool) mState { return mState{ID: "auto", Full: full} }

func (a *autoModel) load(st mState) (func(), error) {
	if st.ID != "auto" {
		return nil, fmt.Errorf("model %q, want auto", st.ID)
	}
	return func() {}, nil
}

// chosenParts returns the indexes of the chosen model, or of its parts.
func (a *autoModel) chosenParts() (idx []int, combined bool) {
	parts := []model{a.chosen}
	if c, ok := a.chosen.(*combination); ok {
		parts, combined = c.parts, true
	}
	for _, p := range parts {
		idx = append(idx, slices.Index(a.cands, p))
	}
	return idx, combined
}

func (a *autoModel) saveAuto(fitted bool) *autoSt {
	chosen, combined := a.chosenParts()
	st := &autoSt{Chosen: chosen, Combined: combined, HB: a.hb, Total: a.total, SelTotal: a.selTotal,
		Selected: a.selected, N: a.n, Label: a.label, Vals: floats{a.scaleRatio, a.s2Cal},
		Sel: selState{Model: a.sel.Model, Reason: a.sel.Reason, Fallback: a.sel.Fallback, Horizon: a.sel.Horizon, Origins: a.sel.Origins}}
	for i, c := range a.cands {
		st.Cands = append(st.Cands, c.(stater).save(fitted && slices.Contains(chosen, i)))
	}
	if c, ok := a.chosen.(*combination); ok {
		st.Inner, st.Pick = c.inner, c.pick
	}
	if a.long != nil {
		st.Long = a.long.save()
	}
	if c := a.aci; c != nil && c.lead > 0 {
		st.PeakACI = c.save()
	}
	st.ZeroRun = a.zr.save()
	st.ZeroPhases = a.zr.savePhases()
	for _, s := range a.sel.Scores {
		st.Sel.Names = append(st.Sel.Names, s.Model)
		st.Sel.MASE = append(st.Sel.MASE, s.MASE)
		st.Sel.Skipped = append(st.Sel.Skipped, s.Skipped)
	}
	for _, b := range a.buckets {
		st.Buckets = append(st.Buckets, b)
	}
	for _, b := range a.peakBuckets {
		st.Peaks = append(st.Peaks, b)
	}
	if a.groupsText == nil {
		a.groupsText = st.appendGroups(nil)
	}
	st.groups = a.groupsText
	return st
}

func (a *autoModel) loadAuto(st *autoSt, fitted bool, slot int64, maxGap int) (func(), error) {
	switch {
	case len(st.Cands) == 0 || len(st.Cands) > len(a.cands):
		return nil, fmt.Errorf("%d candidates saved, %d configured", len(st.Cands), len(a.cands))
	case len(st.Chosen) == 0 || (!st.Combined && len(st.Chosen) != 1):
		return nil, fmt.Errorf("chosen %v (combined %t)", st.Chosen, st.Combined)
	case st.Inner != 0 && (!st.Combined || st.Inner < 1 || st.Inner > len(st.Chosen) || st.Pick < 0 || st.Pick >= len(st.Chosen)),
		st.Inner == 0 && st.Pick != 0:
		return nil, fmt.Errorf("combination of %d parts: inner %d, pick %d", len(st.Chosen), st.Inner, st.Pick)
	case st.HB < 0 || st.HB > a.horizon || st.N < 0 || st.Total < 0 || st.SelTotal < 0 || st.SelTotal > st.Total:
		return nil, fmt.Errorf("backtest horizon %d, %d observations, total %d, selected at %d", st.HB, st.N, st.Total, st.SelTotal)
	case len(st.Vals) != 2:
		return nil, fmt.Errorf("%d scale values, want 2", len(st.Vals))
	case len(st.Sel.MASE) != len(st.Sel.Names) || len(st.Sel.Skipped) != len(st.Sel.Names):
		return nil, fmt.Errorf("selection scores of %d names, %d MASEs, %d skip reasons", len(st.Sel.Names), len(st.Sel.MASE), len(st.Sel.Skipped))
	case len(st.Buckets) != len(st.Peaks) || len(st.Buckets) > max(a.horizon, 8):
		return nil, fmt.Errorf("%d interval groups and %d peak groups", len(st.Buckets), len(st.Peaks))
	}
	for _, i := range st.Chosen {
		if i < 0 || i >= len(st.Cands) {
			return nil, fmt.Errorf("chosen candidate %d of %d", i, len(st.Cands))
		}
		if fitted && !st.Cands[i].Full {
			return nil, fmt.Errorf("chosen candidate %d without its state", i)
		}
	}
	for k, g := range [2][]floats32{st.Buckets, st.Peaks} {
		for i, b := range g {
			if len(b) > a.window*max(a.horizon, 1) || !slices.IsSorted(b) || slices.ContainsFunc(b, func(x float32) bool { return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) }) {
				return nil, fmt.Errorf("score group %d.%d: %d scores, not sorted or not finite", k, i, len(b))
			}
		}
	}
	applyLong := func() {}
	if (a.long != nil) != (st.Long != nil) {
		return nil, fmt.Errorf("long season saved %t, configured %t", st.Long != nil, a.long != nil)
	}
	if a.long != nil {
		var err error
		if applyLong, err = a.long.load(st.Long); err != nil {
			return nil, err
		}
	}
	applyACI := func() {}
	if a.aci != nil {
		var err error
		if applyACI, err = a.aci.load(st.PeakACI); err != nil {
			return nil, err
		}
	}
	applyZero, err := a.zr.load(st.ZeroRun, slot, fitted, maxGap)
	if err != nil {
		return nil, err
	}
	applyPhases, err := a.zr.loadPhases(st.ZeroPhases)
	if err != nil {
		return nil, err
	}
	applies := make([]func(), len(a.cands))
	for i, c := range a.cands {
		s := c.(stater)
		if i >= len(st.Cands) {
			// Added since the state was saved: unfitted, as a candidate
			// not chosen is saved, until the next selection fits it.
			fresh := s.save(false)
			fresh.Fitted, fresh.FitN, fresh.Label = false, 0, ""
			apply, err := s.load(fresh)
			if err != nil {
				return nil, fmt.Errorf("candidate %d: %w", i, err)
			}
			applies[i] = apply
			continue
		}
		if st.Cands[i].ID != s.id() {
			return nil, fmt.Errorf("candidate %d is %q, saved %q", i, s.id(), st.Cands[i].ID)
		}
		apply, err := s.load(st.Cands[i])
		if err != nil {
			return nil, fmt.Errorf("candidate %d: %w", i, err)
		}
		applies[i] = apply
	}
	return func() {
		for _, apply := range applies {
			apply()
		}
		applyLong()
		applyACI()
		applyZero()
		applyPhases()
		if st.Combined {
			parts := make([]model, len(st.Chosen))
			for k, i := range st.Chosen {
				parts[k] = a.cands[i]
			}
			c := newCombination(parts)
			c.inner, c.pick = st.Inner, st.Pick
			a.chosen = c
		} else {
			a.chosen = a.cands[st.Chosen[0]]
		}
		a.hb, a.total, a.selTotal, a.selected, a.n, a.label = st.HB, st.Total, st.SelTotal, st.Selected, st.N, st.Label
		a.scaleRatio, a.s2Cal = st.Vals[0], st.Vals[1]
		a.sel = Selection{Model: st.Sel.Model, Reason: st.Sel.Reason, Fallback: st.Sel.Fallback, Horizon: st.Sel.Horizon, Origins: st.Sel.Origins}
		for i, name := range st.Sel.Names {
			a.sel.Scores = append(a.sel.Scores, CandidateScore{Model: name, MASE: st.Sel.MASE[i], Skipped: st.Sel.Skipped[i]})
		}
		a.buckets, a.peakBuckets, a.groupsText = nil, nil, nil
		for _, b := range st.Buckets {
			a.buckets = append(a.buckets, slices.Clone([]float32(b)))
		}
		for _, b := range st.Peaks {
			a.peakBuckets = append(a.peakBuckets, slices.Clone([]float32(b)))
		}
		a.zsBest, a.zsStepBest, a.pkBest = nil, nil, nil
		a.releaseOthers()
	}, nil
}
