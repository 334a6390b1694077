package shadow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/transition"
)

// StateStore keeps a Controller's snapshot across restarts: what no
// metrics source knows (the learned lead time, the robust statistics, the
// shadow pool's state, the observation grid, the production and transition
// bookkeeping, the state of each forecaster that implements
// forecast.Stateful, of a policy that implements policy.Stateful and of an
// anomaly detector that implements forecast.Stateful). The
// history itself is not in it: a restored Controller reads it back from a
// MetricsSource that implements HistorySource. Load returns ErrNoSnapshot
// when there is none. Implementations must be safe for concurrent use.
type StateStore interface {
	// Load returns the snapshot saved last.
	Load(ctx context.Context) ([]byte, error)
	// Save stores data as the snapshot, replacing the one before.
	Save(ctx context.Context, data []byte) error
}

// ErrNoSnapshot is returned by StateStore.Load when nothing was saved yet.
var ErrNoSnapshot = errors.New("shadow: no snapshot")

// ErrBadSnapshot reports a snapshot that cannot be used: corrupt,
// truncated, of a newer (or unknown) schema version, of another service,
// or stale. A snapshot of an older schema version is upgraded, not
// refused. The
// Controller logs it, counts it and starts clean.
var ErrBadSnapshot = errors.New("shadow: unusable snapshot")

// badSnapshot returns an error wrapping ErrBadSnapshot with the
// formatted detail.
func badSnapshot(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadSnapshot, fmt.Sprintf(format, args...))
}

// snapshotVersion is the schema version of the snapshot payload. Version
// 1 held the lead time, the robust statistics and the pool's state;
// version 2 added the pass bookkeeping, samples awaiting confirmation,
// the pool's fraction and the forecasters' and the policy's states;
// version 3 the anomaly detector's state; version 4 carries the plug-ins'
// states after the JSON line as they are (see encodeSnapshot), not as
// base64 text inside it. A snapshot of an older version is upgraded when
// it is read (see upgrade); a newer one is refused.
const snapshotVersion = 4

// oldestSnapshot is the oldest schema version that is still read.
const oldestSnapshot = 1

// snapshotMagic starts every encoded snapshot.
const snapshotMagic = "shadowscale-snapshot"

// snapshot is the versioned payload.
type snapshot struct {
	Version  int              `json:"version"`
	Service  string           `json:"service"`
	SavedAt  time.Time        `json:"saved_at"`
	Offset   time.Duration    `json:"grid_offset"`
	LeadTime time.Duration    `json:"lead_time"`
	Lead     leadSnapshot     `json:"lead"`
	Metrics  []robustSnapshot `json:"metrics"`
	FcErr    *float64         `json:"forecast_error,omitempty"`
	FcErrN   int              `json:"forecast_error_n"`
	ActFails int              `json:"actuation_failures"`
	Pool     *poolSnapshot    `json:"pool,omitempty"`
	// HeadFrom, HeadTo: a head start on an unconfirmed sample that still
	// stands (absent when none does).
	HeadFrom int `json:"head_start_from,omitempty"`
	HeadTo   int `json:"head_start_to,omitempty"`

	// The pass that saved: its grid time, the last observation, the pass
	// count (the refit cadence) and the production it saw.
	PassT      time.Time          `json:"pass_grid_time"`
	LastGrid   time.Time          `json:"last_grid_time"`
	LastLoad   float64            `json:"last_load"`
	Passes     int                `json:"passes"`
	HistTotal  int64              `json:"history_total"`
	Production *prodSnapshot      `json:"production,omitempty"`
	PrevFc     *forecast.Forecast `json:"previous_forecast,omitempty"`
	Mirrored   []float64          `json:"mirrored,omitempty"`
	// Forecasters holds one state per scaled metric (empty for a
	// forecaster without forecast.Stateful); Policy the policy's.
	// (Versions 2 and 3 hold the forecasters' states in the JSON as
	// base64; version 4 after it, see States.)
	Forecasters [][]byte        `json:"forecasters,omitempty"`
	Policy      json.RawMessage `json:"policy,omitempty"`
	// Detector holds the anomaly detector's state (version 3), when it
	// implements forecast.Stateful.
	Detector []byte `json:"anomaly_detector,omitempty"`
	// States describes the plug-in states that follow the JSON line in
	// version 4: the forecasters' in metric order, then the detector's.
	States []stateRef `json:"states,omitempty"`

	// from is the schema version the snapshot was read in, when older
	// than snapshotVersion: what that version did not save is not
	// reported missing.
	from int
}

// stateRef is the length of a plug-in's state after the JSON line, and
// whether it is stored as base64 text (a state that is not UTF-8: the
// snapshot stays text, which stores such as a ConfigMap's data require).
type stateRef struct {
	Len    int  `json:"len"`
	Base64 bool `json:"base64,omitempty"`
}

type prodSnapshot struct {
	Desired      int              `json:"desired"`
	Ready        int              `json:"ready"`
	Serving      int              `json:"serving"`
	ServingKnown bool             `json:"serving_known"`
	Move         *transition.Plan `json:"transition,omitempty"`
}

type leadSnapshot struct {
	Requested []time.Time     `json:"requested"`
	Window    []time.Duration `json:"window"`
	Next      int             `json:"next"`
}

type robustSnapshot struct {
	Metric Metric    `json:"metric"`
	Recent []float64 `json:"recent"` // oldest first
	Maxima []float64 `json:"block_maxima"`
	Cur    float64   `json:"block_max"`
	CurN   int       `json:"block_n"`
	// A suspect sample waiting for confirmation.
	Pending    bool      `json:"pending,omitempty"`
	PendingV   float64   `json:"pending_value,omitempty"`
	PendingT   time.Time `json:"pending_time,omitempty"`
	PendingDir int       `json:"pending_direction,omitempty"`
	// PendingScraped is its scrape time (Sample.Scraped), when the source
	// gave one.
	PendingScraped time.Time `json:"pending_scraped,omitzero"`
	// The samples left out within the history window (absent from
	// snapshots of builds that kept no such record).
	Dropped *droppedSnapshot `json:"dropped,omitempty"`
	// Last is the grid time of the last value the metric's forecaster was
	// fed (absent from snapshots of builds that kept none: the saving
	// pass's time stands for it).
	Last time.Time `json:"last,omitzero"`
	// Spikes are the recent new readings far above that nothing but
	// their recurrence confirmed, oldest first (absent when none, and from
	// snapshots of builds that kept none).
	Spikes []spikeSnapshot `json:"spikes,omitempty"`
}

// spikeSnapshot is one of metricState.spikes.
type spikeSnapshot struct {
	Time    time.Time `json:"time"`
	Value   float64   `json:"value"`
	Scraped time.Time `json:"scraped,omitzero"`
	Taken   bool      `json:"taken,omitempty"`
}

// droppedSnapshot is metricState.dropped and dropFrom.
type droppedSnapshot struct {
	From  time.Time   `json:"from,omitzero"`
	Times []time.Time `json:"times"`
}

type poolSnapshot struct {
	Active   bool    `json:"active"`
	Want     int     `json:"want"`
	Unwanted int     `json:"unwanted"`
	Baseline float64 `json:"baseline"`
	Trig     int     `json:"triggered"`
	Fraction float64 `json:"fraction"`
}

// crc32c is the Castagnoli table: CRC-32C is computed in hardware on
// amd64 and arm64, several times faster than SHA-256, and detects
// corruption as well (the checksum guards against torn and flipped
// writes, not against forgery).
var crc32c = crc32.MakeTable(crc32.Castagnoli)

// encodeSnapshot frames a payload: a header line with the magic, the
// version and the CRC-32C of what follows it, then the JSON payload on one
// line, then the forecasters' and the detector's states one after the
// other, as States describes them. The states are JSON themselves (those
// of package forecast), and holding them as they are spares encoding them
// again as base64 text: a quarter of the snapshot, and a third of the CPU
// a saved pass costs (BenchmarkSavedDay). (Versions 1 and 2 carried a
// SHA-256; decodeSnapshot reads either.)
func encodeSnapshot(s snapshot) ([]byte, error) {
	states := append(slices.Clone(s.Forecasters), s.Detector)
	s.Forecasters, s.Detector = nil, nil
	s.States = make([]stateRef, len(states))
	size := 0
	for i, b := range states {
		if !utf8.Valid(b) {
			states[i] = base64.StdEncoding.AppendEncode(nil, b)
			s.States[i].Base64 = true
		}
		s.States[i].Len = len(states[i])
		size += len(states[i])
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	crc := crc32.Update(crc32.Checksum(payload, crc32c), crc32c, []byte{'\n'})
	for _, b := range states {
		crc = crc32.Update(crc, crc32c, b)
	}
	out := make([]byte, 0, len(snapshotMagic)+24+len(payload)+1+size)
	out = append(out, snapshotMagic+" v"...)
	out = strconv.AppendInt(out, snapshotVersion, 10)
	out = append(out, " crc32c="...)
	out = hex.AppendEncode(out, binary.BigEndian.AppendUint32(nil, crc))
	out = append(out, '\n')
	out = append(out, payload...)
	out = append(out, '\n')
	for _, b := range states {
		out = append(out, b...)
	}
	return out, nil
}

// decodeSnapshot checks the frame and the checksum and decodes the
// payload; every failure wraps ErrBadSnapshot and says what is wrong.
func decodeSnapshot(data []byte) (snapshot, error) {
	var s snapshot
	head, payload, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return s, badSnapshot("no header line (%d bytes)", len(data))
	}
	var version int
	var check string
	if _, err := fmt.Sscanf(string(head), snapshotMagic+" v%d %s", &version, &check); err != nil {
		return s, badSnapshot("header %.60q is not a snapshot header", head)
	}
	if version < oldestSnapshot || version > snapshotVersion {
		return s, badSnapshot("schema version %d, this Controller reads %d to %d", version, oldestSnapshot, snapshotVersion)
	}
	alg, sum, _ := strings.Cut(check, "=")
	var got []byte
	switch alg {
	case "crc32c":
		got = binary.BigEndian.AppendUint32(nil, crc32.Checksum(payload, crc32c))
	case "sha256":
		h := sha256.Sum256(payload)
		got = h[:]
	default:
		return s, badSnapshot("header %.60q names no known checksum", head)
	}
	if hex.EncodeToString(got) != sum {
		return s, badSnapshot("checksum mismatch: the payload is corrupt or truncated")
	}
	// The JSON is one line (encoding/json writes no raw newline); in
	// version 4 the plug-ins' states follow it.
	js, tail, _ := bytes.Cut(payload, []byte("\n"))
	if err := json.Unmarshal(js, &s); err != nil {
		return s, badSnapshot("payload: %v", err)
	}
	if s.Version != version {
		return s, badSnapshot("payload version %d, header version %d", s.Version, version)
	}
	if version < 4 {
		if len(tail) > 0 || len(s.States) > 0 {
			return s, badSnapshot("version %d payload followed by %d bytes and %d states", version, len(tail), len(s.States))
		}
		return upgrade(s), nil
	}
	if len(s.Forecasters) > 0 || len(s.Detector) > 0 || len(s.States) == 0 {
		return s, badSnapshot("version 4 payload with %d states in the JSON and %d after it", len(s.Forecasters)+min(len(s.Detector), 1), len(s.States))
	}
	states := make([][]byte, len(s.States))
	for i, ref := range s.States {
		if ref.Len < 0 || ref.Len > len(tail) {
			return s, badSnapshot("state %d of %d of %d bytes, %d left", i+1, len(s.States), ref.Len, len(tail))
		}
		states[i], tail = tail[:ref.Len:ref.Len], tail[ref.Len:]
		if ref.Base64 {
			b, err := base64.StdEncoding.AppendDecode(nil, states[i])
			if err != nil {
				return s, badSnapshot("state %d of %d: %v", i+1, len(s.States), err)
			}
			states[i] = b
		}
	}
	if len(tail) > 0 {
		return s, badSnapshot("%d bytes after the last of %d states", len(tail), len(s.States))
	}
	s.Forecasters, s.Detector, s.States = states[:len(states)-1], states[len(states)-1], nil
	return s, nil
}

// upgrade brings a snapshot of an older schema version to the current one,
// one version at a time, and records the version it was read in.
func upgrade(s snapshot) snapshot {
	if s.Version == snapshotVersion {
		return s
	}
	s.from = s.Version
	if s.Version == 1 {
		// Version 1 knew neither the pass bookkeeping nor the plug-ins'
		// states: the saving pass was observed at its grid time, and each
		// forecaster starts clean. The count of values seen is unknown
		// (0: the restored history counts what is read back after the
		// saving pass), and so is the pool's fraction (none is sent
		// again; the pool sets its own).
		s.PassT = s.SavedAt.Add(s.Offset)
		s.LastGrid = s.PassT
		s.Forecasters = make([][]byte, len(s.Metrics))
		s.Version = 2
	}
	// Version 2 → 3: the anomaly detector's state was not saved; the
	// detector starts clean. Version 3 → 4: the plug-ins' states moved
	// after the JSON line, read by decodeSnapshot; nothing else changed.
	s.Version = snapshotVersion
	return s
}

// FileStore is a StateStore in one file. Save writes a temporary file in
// the same directory, syncs it, renames it over the snapshot and syncs the
// directory, so a crash leaves either the old or the new snapshot whole.
type FileStore struct {
	// Path is the snapshot file.
	Path string
}

var _ StateStore = FileStore{}

// Load implements StateStore.
func (f FileStore) Load(context.Context) ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoSnapshot
	}
	return b, err
}

// Save implements StateStore.
func (f FileStore) Save(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("shadow: save snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("shadow: save snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("shadow: save snapshot: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("shadow: save snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("shadow: save snapshot: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// snapshot captures the state a restart would lose. A forecaster or a
// policy whose state cannot be encoded is left out of it (a null entry)
// and named in the error; the rest is still worth saving.
func (s *state) snapshot(service string, now time.Time) (snapshot, error) {
	out := snapshot{
		Version: snapshotVersion, Service: service, SavedAt: now, Offset: s.offset, LeadTime: s.leadTime,
		Lead:   s.leadSnapshot(),
		FcErrN: s.fcErrN, ActFails: s.actFails, HeadFrom: s.headFrom, HeadTo: s.headTo,
		PassT: s.passT, LastGrid: s.lastGrid, LastLoad: s.lastLoad, Passes: s.passes, HistTotal: s.hist.total,
	}
	if finite(s.fcErr) {
		e := s.fcErr
		out.FcErr = &e
	}
	if s.haveState {
		out.Production = &prodSnapshot{Desired: s.lastDes, Ready: s.lastReady, Serving: s.serving, ServingKnown: s.servingKnown, Move: s.move}
	}
	if s.prevFc.Len() > 0 {
		f := s.prevFc
		out.PrevFc = &f
	}
	var errs []error
	for i, m := range s.metrics {
		r := &m.rob
		rs := robustSnapshot{Metric: m.Metric, Cur: r.cur, CurN: r.curN,
			Pending: m.pending, PendingV: m.pendingV, PendingT: m.pendingT, PendingDir: m.pendingDir, PendingScraped: m.pendingS, Last: m.last}
		for _, p := range m.spikes {
			rs.Spikes = append(rs.Spikes, spikeSnapshot{Time: p.Time, Value: p.Value, Scraped: p.Scraped, Taken: p.taken})
		}
		if !m.dropsUnknown {
			rs.Dropped = &droppedSnapshot{From: m.dropFrom, Times: slices.Clone(m.dropped)}
			if rs.Dropped.Times == nil {
				rs.Dropped.Times = []time.Time{}
			}
		}
		for i := range r.n {
			rs.Recent = append(rs.Recent, r.win[(r.next-r.n+i+robustWindow)%robustWindow])
		}
		for i := range r.nb {
			rs.Maxima = append(rs.Maxima, r.maxima[(r.nextB-r.nb+i+blocks)%blocks])
		}
		out.Metrics = append(out.Metrics, rs)
		var fs []byte
		if st, ok := m.fc.(forecast.Stateful); ok {
			b, err := safeMarshal("forecaster "+name(m.fc), st.MarshalState)
			if err != nil {
				errs = append(errs, fmt.Errorf("forecaster of %s left out: %w", s.metrics[i].Metric, err))
			} else {
				fs = b
			}
		}
		out.Forecasters = append(out.Forecasters, fs)
	}
	if st, ok := s.policy.(policy.Stateful); ok {
		b, err := safeMarshal("policy", st.MarshalState)
		if err == nil && !json.Valid(b) {
			err = fmt.Errorf("policy MarshalState returned %d bytes that are not JSON", len(b))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("policy left out: %w", err))
		} else {
			out.Policy = b
		}
	}
	if st, ok := s.detector.(forecast.Stateful); ok {
		b, err := safeMarshal("anomaly detector", st.MarshalState)
		if err != nil {
			errs = append(errs, fmt.Errorf("anomaly detector left out: %w", err))
		} else {
			out.Detector = b
		}
	}
	if p := s.pool; p != nil {
		out.Pool = &poolSnapshot{Active: p.active, Want: p.want, Unwanted: p.unwanted, Baseline: p.baseline, Trig: p.trig, Fraction: p.fraction}
		out.Mirrored = s.mirrored.values()
	}
	return out, errors.Join(errs...)
}

// safeMarshal calls a plug-in's MarshalState, recovering a panic.
func safeMarshal(what string, f func() ([]byte, error)) (b []byte, err error) {
	defer recoverInto(&err, what+" MarshalState")
	return f()
}

// safeUnmarshal calls a plug-in's UnmarshalState, recovering a panic.
func safeUnmarshal(what string, f func([]byte) error, data []byte) (err error) {
	defer recoverInto(&err, what+" UnmarshalState")
	return f(data)
}

// restore applies a decoded snapshot after checking that it belongs to
// this service, is not from the future and not older than the history
// window; it changes nothing when it returns an error. The state of a
// forecaster or of the policy that does not fit them (their
// configuration changed, say) is reported in parts and ignored: that
// plug-in starts clean, the rest is restored.
func (s *state) restore(sn snapshot, service string, now time.Time) (parts []error, err error) {
	maxAge := time.Duration(s.cfg.HistorySize) * s.cfg.Interval
	switch {
	case sn.Service != service:
		return nil, badSnapshot("saved by service %q, this is %q", sn.Service, service)
	case sn.SavedAt.After(now.Add(s.cfg.Interval)):
		return nil, badSnapshot("saved at %s, after the pass at %s", sn.SavedAt.Format(time.RFC3339), now.Format(time.RFC3339))
	case now.Sub(sn.SavedAt) > maxAge:
		return nil, badSnapshot("saved at %s, older than the history window %s", sn.SavedAt.Format(time.RFC3339), maxAge)
	case len(sn.Metrics) != len(s.metrics):
		return nil, badSnapshot("%d metrics, this Controller scales on %d", len(sn.Metrics), len(s.metrics))
	case len(sn.Forecasters) != len(s.metrics):
		return nil, badSnapshot("%d forecaster states for %d metrics", len(sn.Forecasters), len(s.metrics))
	case len(sn.Lead.Window) > s.lead.size() || sn.Lead.Next < 0 || sn.Lead.Next >= max(1, len(sn.Lead.Window)) || sn.LeadTime < 0:
		return nil, badSnapshot("lead-time window of %d samples (next %d)", len(sn.Lead.Window), sn.Lead.Next)
	case (sn.Pool != nil) != (s.pool != nil):
		return nil, badSnapshot("shadow pool present %t, configured %t", sn.Pool != nil, s.pool != nil)
	case sn.Passes < 0 || sn.HistTotal < 0 || sn.ActFails < 0 || sn.FcErrN < 0 || !finite(sn.LastLoad) || sn.LastLoad < 0:
		return nil, badSnapshot("%d passes, %d actuation failures, %d forecast errors, last load %v", sn.Passes, sn.ActFails, sn.FcErrN, sn.LastLoad)
	case sn.HeadFrom < 0 || sn.HeadTo < 0 || sn.HeadTo != 0 && sn.HeadTo <= sn.HeadFrom:
		return nil, badSnapshot("head start from %d to %d", sn.HeadFrom, sn.HeadTo)
	case sn.LastGrid.After(sn.PassT) || sn.PassT.After(sn.SavedAt.Add(sn.Offset).Add(s.cfg.Interval)):
		return nil, badSnapshot("last observation %s, pass %s, saved %s", sn.LastGrid.Format(time.RFC3339), sn.PassT.Format(time.RFC3339), sn.SavedAt.Format(time.RFC3339))
	case len(sn.Mirrored) > windowSize:
		return nil, badSnapshot("%d mirrored loads, at most %d", len(sn.Mirrored), windowSize)
	}
	if p := sn.Production; p != nil && (p.Desired < 0 || p.Ready < 0 || p.Serving < 0 || p.Move != nil && (p.Move.From < 0 || p.Move.To < p.Move.From)) {
		return nil, badSnapshot("production desired %d, ready %d, serving %d", p.Desired, p.Ready, p.Serving)
	}
	if p := sn.Pool; p != nil && (!(p.Fraction >= 0 && p.Fraction <= 1) || p.Want < 0 || p.Unwanted < 0 || p.Trig < 0 || !finite(p.Baseline)) {
		return nil, badSnapshot("shadow pool fraction %v, baseline %v", p.Fraction, p.Baseline)
	}
	if f := sn.PrevFc; f != nil && (len(f.Lower) != f.Len() || len(f.Upper) != f.Len()) {
		return nil, badSnapshot("previous forecast of %d means, %d lower and %d upper bounds", f.Len(), len(f.Lower), len(f.Upper))
	}
	for i, rs := range sn.Metrics {
		if rs.Metric != s.metrics[i].Metric || len(rs.Recent) > robustWindow || len(rs.Maxima) > blocks || rs.CurN < 0 || rs.CurN >= blockLen ||
			rs.Pending && (rs.PendingDir != 1 && rs.PendingDir != -1 || !finite(rs.PendingV) || rs.PendingV < 0) {
			return nil, badSnapshot("statistics of metric %d (%q) do not fit %q", i, rs.Metric, s.metrics[i].Metric)
		}
		if rs.Pending && (rs.PendingT.After(sn.PassT) || rs.PendingT.IsZero()) {
			return nil, badSnapshot("metric %q: pending sample at %s", rs.Metric, rs.PendingT.Format(time.RFC3339))
		}
		if rs.Last.After(sn.PassT) {
			return nil, badSnapshot("metric %q: last value at %s, after the saving pass %s", rs.Metric, rs.Last.Format(time.RFC3339), sn.PassT.Format(time.RFC3339))
		}
		if d := rs.Dropped; d != nil && (len(d.Times) > maxDropped ||
			!slices.IsSortedFunc(d.Times, time.Time.Compare) || slices.ContainsFunc(d.Times, func(x time.Time) bool { return x.After(sn.PassT) || x.Before(d.From) })) {
			return nil, badSnapshot("metric %q: %d left-out sample times: want at most %d, rising, from %s to the saving pass %s",
				rs.Metric, len(d.Times), maxDropped, d.From.Format(time.RFC3339), sn.PassT.Format(time.RFC3339))
		}
		if len(rs.Spikes) > maxSpikes || !slices.IsSortedFunc(rs.Spikes, func(a, b spikeSnapshot) int { return a.Time.Compare(b.Time) }) ||
			slices.ContainsFunc(rs.Spikes, func(p spikeSnapshot) bool { return p.Time.After(sn.PassT) || !finite(p.Value) || p.Value < 0 }) {
			return nil, badSnapshot("metric %q: %d recent readings far above: want at most %d, rising in time, finite and not negative, none after the saving pass %s",
				rs.Metric, len(rs.Spikes), maxSpikes, sn.PassT.Format(time.RFC3339))
		}
	}

	// The plug-ins, each as a whole or not at all.
	restored := make([]bool, len(s.metrics))
	for i, m := range s.metrics {
		raw := sn.Forecasters[i]
		st, ok := m.fc.(forecast.Stateful)
		switch {
		case len(raw) == 0:
			if ok && (sn.from == 0 || sn.from >= 2) {
				parts = append(parts, badSnapshot("no forecaster state for %s: its forecaster starts clean", m.Metric))
			}
		case !ok:
			parts = append(parts, badSnapshot("forecaster state for %s, but forecaster %s keeps none: ignored", m.Metric, name(m.fc)))
		default:
			if err := safeUnmarshal("forecaster "+name(m.fc), st.UnmarshalState, raw); err != nil {
				parts = append(parts, badSnapshot("forecaster of %s starts clean: %v", m.Metric, err))
			} else {
				restored[i] = true
			}
		}
	}
	if st, ok := s.policy.(policy.Stateful); ok {
		switch {
		case len(sn.Policy) == 0:
			if sn.from == 0 || sn.from >= 2 {
				parts = append(parts, badSnapshot("no policy state: the policy starts clean"))
			}
		default:
			if err := safeUnmarshal("policy", st.UnmarshalState, sn.Policy); err != nil {
				parts = append(parts, badSnapshot("the policy starts clean: %v", err))
			}
		}
	}
	st, ok := s.detector.(forecast.Stateful)
	switch {
	case len(sn.Detector) == 0:
		if ok && (sn.from == 0 || sn.from >= 3) {
			parts = append(parts, badSnapshot("no anomaly detector state: the detector starts clean"))
		}
	case s.detector == nil:
		parts = append(parts, badSnapshot("anomaly detector state, but no detector is configured: ignored"))
	case !ok:
		parts = append(parts, badSnapshot("anomaly detector state, but detector %s keeps none: ignored", name(s.detector)))
	default:
		if err := safeUnmarshal("anomaly detector", st.UnmarshalState, sn.Detector); err != nil {
			parts = append(parts, badSnapshot("the anomaly detector starts clean: %v", err))
		}
	}

	for i, rs := range sn.Metrics {
		var r robust
		for _, v := range rs.Recent {
			r.win[r.next] = v
			r.next = (r.next + 1) % robustWindow
			r.n++
		}
		for _, v := range rs.Maxima {
			r.maxima[r.nextB] = v
			r.nextB = (r.nextB + 1) % blocks
			r.nb++
		}
		r.cur, r.curN = rs.Cur, rs.CurN
		m := s.metrics[i]
		m.rob = r
		m.pending, m.pendingV, m.pendingT, m.pendingDir, m.pendingS = rs.Pending, rs.PendingV, rs.PendingT, rs.PendingDir, rs.PendingScraped
		m.spikes = nil
		for _, p := range rs.Spikes {
			m.spikes = append(m.spikes, spike{Observation{Time: p.Time, Value: p.Value, Scraped: p.Scraped}, p.Taken})
		}
		m.last = rs.Last
		if m.last.IsZero() {
			m.last = sn.PassT
		}
		m.dropped, m.dropFrom, m.dropsUnknown = nil, time.Time{}, rs.Dropped == nil
		if d := rs.Dropped; d != nil {
			m.dropped, m.dropFrom = slices.Compact(d.Times), d.From
		}
		m.restored = restored[i]
	}
	s.offset = sn.Offset
	if !s.cfg.DisableLeadTimeLearning && sn.LeadTime > 0 {
		s.leadTime = sn.LeadTime
	}
	s.lead.restore(sn.Lead.Requested, sn.Lead.Window, sn.Lead.Next)
	s.fcErrN, s.actFails = sn.FcErrN, sn.ActFails
	s.headFrom, s.headTo = sn.HeadFrom, sn.HeadTo
	if sn.FcErr != nil {
		s.fcErr = *sn.FcErr
	}
	s.passT, s.lastGrid, s.lastLoad, s.passes = sn.PassT, sn.LastGrid, sn.LastLoad, sn.Passes
	s.refill, s.restoredAt, s.savedTotal = true, sn.PassT, sn.HistTotal
	if p := sn.Production; p != nil {
		s.lastDes, s.lastReady, s.haveState = p.Desired, p.Ready, true
		s.serving, s.servingKnown, s.move = p.Serving, p.ServingKnown, p.Move
	}
	if sn.PrevFc != nil {
		s.prevFc = *sn.PrevFc
	}
	if p := sn.Pool; p != nil {
		s.pool.active, s.pool.want, s.pool.unwanted = p.Active, p.Want, p.Unwanted
		s.pool.baseline, s.pool.trig = p.Baseline, p.Trig
		// The fraction in force is sent to the mirror again on the first
		// pass: the mirror may have restarted too. Version 1 did not
		// save it.
		s.pool.fraction, s.resendFraction = p.Fraction, sn.from != 1
		for _, v := range sn.Mirrored {
			s.mirrored.push(v)
		}
	}
	return parts, nil
}

// loadState restores the snapshot on the Controller's first pass. A
// missing snapshot is no error; an unusable one is reported and ignored,
// and so is the unusable state of a forecaster or of the policy.
func (c *Controller) loadState(ctx context.Context, now time.Time, rep *Report) []error {
	data, err := call(ctx, c.cfg.CallTimeout, "state store Load", c.store.Load)
	switch {
	case errors.Is(err, ErrNoSnapshot):
		return nil
	case err != nil:
		return []error{fmt.Errorf("load snapshot: %w", err)}
	}
	sn, err := decodeSnapshot(data)
	var parts []error
	if err == nil {
		c.mu.Lock()
		parts, err = c.st.restore(sn, c.service, now)
		c.mu.Unlock()
	}
	if err != nil {
		return []error{err}
	}
	if sn.from != 0 {
		c.log.LogAttrs(ctx, slog.LevelInfo, "snapshot upgraded", slog.Int("from_version", sn.from), slog.Int("to_version", snapshotVersion),
			slog.String("starts_clean", upgradeLosses(sn.from)))
	}
	rep.Restored = true
	return parts
}

// upgradeLosses says what a snapshot of version from did not save.
func upgradeLosses(from int) string {
	switch from {
	case 1:
		return "forecasters, policy, anomaly detector, pass count, pool fraction"
	case 2:
		return "anomaly detector"
	}
	return "nothing"
}

// errSaveRunning reports a save skipped because the one before it has
// not returned yet.
var errSaveRunning = errors.New("the previous Save has not returned yet: not saved")

// saveState saves the state after the pass at now. It runs after the
// pass's decision and apply, never inside decide: the state is captured
// under the state lock, encoded, and handed to the store's Save on a
// goroutine of its own, which the pass waits for at most CallTimeout. A
// Save that does not return by then (a store that ignores ctx) keeps
// running; until it returns, later saves are skipped and reported. Called
// with c.pass held.
func (c *Controller) saveState(ctx context.Context, now time.Time) error {
	if c.inflight != nil {
		select {
		case <-c.inflight:
			c.inflight = nil
		default:
			return fmt.Errorf("save snapshot: %w", errSaveRunning)
		}
	}
	c.unsaved = 0
	c.mu.Lock()
	sn, partErr := c.st.snapshot(c.service, now)
	c.mu.Unlock()
	data, err := encodeSnapshot(sn)
	if err != nil {
		return errors.Join(partErr, fmt.Errorf("encode snapshot: %w", err))
	}
	sctx, cancel := withTimeout(ctx, c.cfg.CallTimeout)
	done := make(chan error, 1)
	fin := make(chan struct{})
	c.saves.Add(1)
	go func() {
		defer c.saves.Done()
		defer close(fin)
		defer cancel()
		_, err := call(sctx, 0, "state store Save", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, c.store.Save(ctx, data)
		})
		done <- err
	}()
	select {
	case err = <-done:
	case <-sctx.Done():
		select {
		case err = <-done:
		default:
			c.inflight = fin
			err = fmt.Errorf("no answer within CallTimeout (%s), still running: %w", c.cfg.CallTimeout, sctx.Err())
		}
	}
	if err != nil {
		return errors.Join(partErr, fmt.Errorf("save snapshot: %w", err))
	}
	return partErr
}

// Save saves the Controller's state to its StateStore now, as a pass does
// every Config.SaveEvery passes, under Config.CallTimeout: for a graceful
// shutdown of a Controller driven by Step (Run saves by itself when it
// stops). It waits for the pass in progress and for a Save still running
// (or ctx's end). It does nothing without a StateStore, and before the
// first pass, which has not restored the saved state yet.
func (c *Controller) Save(ctx context.Context) error {
	c.pass.Lock()
	defer c.pass.Unlock()
	if c.store == nil || !c.loaded {
		return nil
	}
	if c.inflight != nil {
		select {
		case <-c.inflight:
			c.inflight = nil
		case <-ctx.Done():
			return fmt.Errorf("shadow: save snapshot: %w", ctx.Err())
		}
	}
	c.mu.Lock()
	last := c.st.lastPass
	c.mu.Unlock()
	if err := c.saveState(ctx, last); err != nil {
		return fmt.Errorf("shadow: %w", err)
	}
	return nil
}
