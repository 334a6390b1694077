package shadow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StateStore keeps a Controller's snapshot across restarts: what no
// metrics source knows (the learned lead time, the robust statistics, the
// shadow pool's state, the observation grid). Load returns ErrNoSnapshot
// when there is none. Implementations must be safe for concurrent use.
type StateStore interface {
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, data []byte) error
}

// ErrNoSnapshot is returned by StateStore.Load when nothing was saved yet.
var ErrNoSnapshot = errors.New("shadow: no snapshot")

// ErrBadSnapshot reports a snapshot that cannot be used: corrupt,
// truncated, of another schema version or service, or stale. The
// Controller logs it, counts it and starts clean.
var ErrBadSnapshot = errors.New("shadow: unusable snapshot")

// snapshotVersion is the schema version of the snapshot payload.
const snapshotVersion = 1

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
}

type poolSnapshot struct {
	Active   bool    `json:"active"`
	Want     int     `json:"want"`
	Unwanted int     `json:"unwanted"`
	Baseline float64 `json:"baseline"`
	Trig     int     `json:"triggered"`
}

// encodeSnapshot frames a payload: a header line with the magic, the
// version and the payload's SHA-256, then the JSON payload.
func encodeSnapshot(s snapshot) ([]byte, error) {
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(payload)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s v%d sha256=%s\n", snapshotMagic, snapshotVersion, hex.EncodeToString(sum[:]))
	b.Write(payload)
	return b.Bytes(), nil
}

// decodeSnapshot checks the frame and the checksum and decodes the
// payload; every failure wraps ErrBadSnapshot and says what is wrong.
func decodeSnapshot(data []byte) (snapshot, error) {
	var s snapshot
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadSnapshot, fmt.Sprintf(format, args...))
	}
	head, payload, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return s, bad("no header line (%d bytes)", len(data))
	}
	var version int
	var sum string
	if _, err := fmt.Sscanf(string(head), snapshotMagic+" v%d sha256=%s", &version, &sum); err != nil {
		return s, bad("header %.60q is not a snapshot header", head)
	}
	if version != snapshotVersion {
		return s, bad("schema version %d, this Controller reads %d", version, snapshotVersion)
	}
	got := sha256.Sum256(payload)
	if hex.EncodeToString(got[:]) != sum {
		return s, bad("checksum mismatch: the payload is corrupt or truncated")
	}
	if err := json.Unmarshal(payload, &s); err != nil {
		return s, bad("payload: %v", err)
	}
	if s.Version != snapshotVersion {
		return s, bad("payload version %d, want %d", s.Version, snapshotVersion)
	}
	return s, nil
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

// snapshot captures the state a restart would lose.
func (s *state) snapshot(service string, now time.Time) snapshot {
	out := snapshot{
		Version: snapshotVersion, Service: service, SavedAt: now, Offset: s.offset, LeadTime: s.leadTime,
		Lead:   leadSnapshot{Requested: s.lead.requested, Window: s.lead.window, Next: s.lead.next},
		FcErrN: s.fcErrN, ActFails: s.actFails,
	}
	if finite(s.fcErr) {
		e := s.fcErr
		out.FcErr = &e
	}
	for _, m := range s.metrics {
		r := &m.rob
		rs := robustSnapshot{Metric: m.Metric, Cur: r.cur, CurN: r.curN}
		for i := range r.n {
			rs.Recent = append(rs.Recent, r.win[(r.next-r.n+i+robustWindow)%robustWindow])
		}
		for i := range r.nb {
			rs.Maxima = append(rs.Maxima, r.maxima[(r.nextB-r.nb+i+blocks)%blocks])
		}
		out.Metrics = append(out.Metrics, rs)
	}
	if p := s.pool; p != nil {
		out.Pool = &poolSnapshot{Active: p.active, Want: p.want, Unwanted: p.unwanted, Baseline: p.baseline, Trig: p.trig}
	}
	return out
}

// restore applies a decoded snapshot after checking that it belongs to
// this service, is not from the future and not older than the history
// window; it changes nothing when it returns an error.
func (s *state) restore(sn snapshot, service string, now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadSnapshot, fmt.Sprintf(format, args...))
	}
	maxAge := time.Duration(s.cfg.HistorySize) * s.cfg.Interval
	switch {
	case sn.Service != service:
		return bad("saved by service %q, this is %q", sn.Service, service)
	case sn.SavedAt.After(now.Add(s.cfg.Interval)):
		return bad("saved at %s, after the pass at %s", sn.SavedAt.Format(time.RFC3339), now.Format(time.RFC3339))
	case now.Sub(sn.SavedAt) > maxAge:
		return bad("saved at %s, older than the history window %s", sn.SavedAt.Format(time.RFC3339), maxAge)
	case len(sn.Metrics) != len(s.metrics):
		return bad("%d metrics, this Controller scales on %d", len(sn.Metrics), len(s.metrics))
	case len(sn.Lead.Window) > s.lead.size || sn.Lead.Next < 0 || sn.Lead.Next >= max(1, len(sn.Lead.Window)) || sn.LeadTime < 0:
		return bad("lead-time window of %d samples (next %d)", len(sn.Lead.Window), sn.Lead.Next)
	case (sn.Pool != nil) != (s.pool != nil):
		return bad("shadow pool present %t, configured %t", sn.Pool != nil, s.pool != nil)
	}
	for i, rs := range sn.Metrics {
		if rs.Metric != s.metrics[i].Metric || len(rs.Recent) > robustWindow || len(rs.Maxima) > blocks || rs.CurN < 0 || rs.CurN >= blockLen {
			return bad("statistics of metric %d (%q) do not fit %q", i, rs.Metric, s.metrics[i].Metric)
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
		s.metrics[i].rob = r
	}
	s.offset = sn.Offset
	if !s.cfg.DisableLeadTimeLearning && sn.LeadTime > 0 {
		s.leadTime = sn.LeadTime
	}
	s.lead.requested, s.lead.window, s.lead.next = sn.Lead.Requested, sn.Lead.Window, sn.Lead.Next
	s.fcErrN, s.actFails = sn.FcErrN, sn.ActFails
	if sn.FcErr != nil {
		s.fcErr = *sn.FcErr
	}
	if p := sn.Pool; p != nil {
		s.pool.active, s.pool.want, s.pool.unwanted = p.Active, p.Want, p.Unwanted
		// The fraction in force is not restored: the mirror may have
		// restarted too, and the next pass sets it again.
		s.pool.baseline, s.pool.trig = p.Baseline, p.Trig
	}
	return nil
}

// loadState restores the snapshot on the Controller's first pass. A
// missing snapshot is no error; an unusable one is reported and ignored.
func (c *Controller) loadState(ctx context.Context, now time.Time, rep *Report) error {
	data, err := call(ctx, c.cfg.CallTimeout, "state store Load", c.store.Load)
	switch {
	case errors.Is(err, ErrNoSnapshot):
		return nil
	case err != nil:
		return fmt.Errorf("load snapshot: %w", err)
	}
	sn, err := decodeSnapshot(data)
	if err == nil {
		c.mu.Lock()
		err = c.st.restore(sn, c.service, now)
		c.mu.Unlock()
	}
	if err != nil {
		return err
	}
	rep.Restored = true
	return nil
}

// saveState saves the state after a pass, under CallTimeout.
func (c *Controller) saveState(ctx context.Context, now time.Time) error {
	c.mu.Lock()
	data, err := encodeSnapshot(c.st.snapshot(c.service, now))
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	if _, err := call(ctx, c.cfg.CallTimeout, "state store Save", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.store.Save(ctx, data)
	}); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}
