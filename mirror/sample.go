package mirror

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// decision is the sampler's verdict on one request.
type decision int

const (
	skip    decision = iota // not eligible or not drawn: not a drop
	take                    // mirror it
	limited                 // drawn but over the rate cap: a drop
)

// stratumKey identifies a stratum: route and method.
type stratumKey struct{ route, method string }

// methodIndex numbers the mirrorable methods for bit masks and tables; -1
// for any other method.
func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodOptions:
		return 2
	case http.MethodPost:
		return 3
	case http.MethodPut:
		return 4
	case http.MethodPatch:
		return 5
	case http.MethodDelete:
		return 6
	}
	return -1
}

const numMethods = 7

// strataTable is an immutable snapshot of the strata, replaced whole
// (copy on write) when a stratum is added, so that lookups take no lock.
type strataTable struct {
	byMethod [numMethods]map[string]*stratum // by route
	other    [numMethods]*stratum            // overflow past MaxStrata
	n        int
}

type stratum struct {
	key       stratumKey
	requests  atomic.Int64
	mirrored  atomic.Int64
	lastTaken atomic.Int64 // unix nanos of the last copy, for the floor
	limit     *bucket      // per-stratum share of MaxRate when stratified
}

// sampler decides which requests are copied. All methods are safe for
// concurrent use and never block on I/O.
type sampler struct {
	cfg      Config
	methods  uint32        // bit methodIndex(m) set if m may be mirrored
	fraction atomic.Uint64 // math.Float64bits
	limit    *bucket       // global cap when not stratified
	rnd      func() float64

	table  atomic.Pointer[strataTable]
	mu     sync.Mutex // serializes table writers
	active atomic.Int64
}

func newSampler(cfg Config, seed *uint64) *sampler {
	s := &sampler{cfg: cfg, rnd: rand.Float64}
	s.table.Store(&strataTable{})
	for _, m := range cfg.Methods {
		if i := methodIndex(m); i >= 0 {
			s.methods |= 1 << i
		}
	}
	s.fraction.Store(math.Float64bits(cfg.Fraction))
	if cfg.MaxRate > 0 && !cfg.Stratify {
		s.limit = newBucket(cfg.MaxRate, cfg.Burst)
	}
	if seed != nil {
		// A counter through splitmix64: deterministic for a sequence of
		// calls, and lock-free.
		var ctr atomic.Uint64
		ctr.Store(*seed)
		s.rnd = func() float64 {
			z := ctr.Add(0x9e3779b97f4a7c15)
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			z ^= z >> 31
			return float64(z>>11) / (1 << 53)
		}
	}
	return s
}

func (s *sampler) setFraction(f float64) { s.fraction.Store(math.Float64bits(f)) }
func (s *sampler) getFraction() float64  { return math.Float64frombits(s.fraction.Load()) }

// route returns the matching route (longest prefix) or nil.
func (s *sampler) route(r *http.Request) *Route {
	var best *Route
	for i := range s.cfg.Routes {
		rt := &s.cfg.Routes[i]
		if rt.Method != "" && rt.Method != r.Method {
			continue
		}
		if strings.HasPrefix(r.URL.Path, rt.PathPrefix) && (best == nil || len(rt.PathPrefix) > len(best.PathPrefix)) {
			best = rt
		}
	}
	return best
}

// defaultRoute names a request without a configured route by its first
// path segment ("/api/v1/x" -> "/api"), without allocating.
func defaultRoute(path string) string {
	if len(path) <= 1 {
		return "/"
	}
	if i := strings.IndexByte(path[1:], '/'); i >= 0 {
		return path[:i+1]
	}
	return path
}

// stratum returns the stratum of route and method index mi, creating it
// (or pooling it under "other" past MaxStrata). Lookups take no lock.
func (s *sampler) stratum(route string, mi int, method string) *stratum {
	tbl := s.table.Load()
	if st, ok := tbl.byMethod[mi][route]; ok {
		return st
	}
	if tbl.n >= s.cfg.MaxStrata && tbl.other[mi] != nil {
		return tbl.other[mi]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tbl = s.table.Load()
	if st, ok := tbl.byMethod[mi][route]; ok {
		return st
	}
	next := *tbl
	if tbl.n >= s.cfg.MaxStrata {
		if tbl.other[mi] != nil {
			return tbl.other[mi]
		}
		st := s.newStratum(stratumKey{route: "other", method: method})
		next.other[mi] = st
		s.table.Store(&next)
		s.active.Add(1)
		return st
	}
	// Copy the strings: route may alias the request's path.
	st := s.newStratum(stratumKey{strings.Clone(route), strings.Clone(method)})
	m := make(map[string]*stratum, len(tbl.byMethod[mi])+1)
	for k, v := range tbl.byMethod[mi] {
		m[k] = v
	}
	m[st.key.route] = st
	next.byMethod[mi] = m
	next.n++
	s.table.Store(&next)
	s.active.Add(1)
	return st
}

func (s *sampler) newStratum(k stratumKey) *stratum {
	st := &stratum{key: k}
	if s.cfg.MaxRate > 0 && s.cfg.Stratify {
		st.limit = newBucket(s.cfg.MaxRate, s.cfg.Burst)
	}
	return st
}

func (s *sampler) activeStrata() int { return max(1, int(s.active.Load())) }

// key returns the consistent-sampling key of r, if configured and present.
func (s *sampler) key(r *http.Request) (string, bool) {
	if s.cfg.KeyHeader != "" {
		if v := r.Header.Get(s.cfg.KeyHeader); v != "" {
			return v, true
		}
	}
	if s.cfg.KeyCookie != "" {
		if c, err := r.Cookie(s.cfg.KeyCookie); err == nil && c.Value != "" {
			return c.Value, true
		}
	}
	if s.cfg.KeyClientAddr && r.RemoteAddr != "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		return host, true
	}
	return "", false
}

// keyPoint maps a key to a uniform point in [0, 1): the same key always
// gets the same point, so raising the fraction only adds sessions.
func keyPoint(key string) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	// Finalize (splitmix64) so that similar keys spread evenly.
	z := h.Sum64()
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// decide is the sampling pipeline for one request at now:
//  1. the method must be in Methods;
//  2. the stratum (route, method) is counted for the mix report;
//  3. the rate is the route's Fraction if one matches, else the global
//     fraction; a global fraction of 0 is the kill switch;
//  4. the draw is the key's hash point if keyed, else random; with Stratify
//     a stratum without a copy for a whole Window is taken regardless;
//  5. a drawn request that switches protocols (Upgrade) is skipped;
//  6. the MaxRate cap (per stratum share when stratified) may turn a take
//     into a limited drop.
//
// now is called only when the decision needs the time (floor or cap), so
// that the common skip path does not read the clock.
func (s *sampler) decide(r *http.Request, now func() time.Time) decision {
	mi := methodIndex(r.Method)
	if mi < 0 || s.methods&(1<<mi) == 0 {
		return skip
	}
	rt := s.route(r)
	var route string
	if rt != nil {
		route = rt.Name
		if route == "" {
			route = rt.PathPrefix
		}
	} else {
		route = defaultRoute(r.URL.Path)
	}
	st := s.stratum(route, mi, r.Method)
	st.requests.Add(1)

	global := s.getFraction()
	if global == 0 {
		return skip
	}
	f := global
	if rt != nil {
		f = rt.Fraction
	}
	var u float64
	key, keyed := s.key(r)
	if keyed {
		u = keyPoint(key)
	} else {
		u = s.rnd()
	}
	var t time.Time
	if s.cfg.Stratify || s.limit != nil {
		t = now()
	}
	forced := s.cfg.Stratify && !keyed && f > 0 && t.UnixNano()-st.lastTaken.Load() >= int64(s.cfg.Window)
	if u >= f && !forced {
		return skip
	}
	if len(r.Header["Upgrade"]) > 0 { // a protocol switch cannot be replayed
		return skip
	}
	switch {
	case st.limit != nil:
		if !st.limit.allow(t, 1/float64(s.activeStrata())) {
			return limited
		}
	case s.limit != nil:
		if !s.limit.allow(t, 1) {
			return limited
		}
	}
	if s.cfg.Stratify {
		st.lastTaken.Store(t.UnixNano())
	}
	st.mirrored.Add(1)
	return take
}

// StratumMix is the achieved sample of one stratum since the Tee started.
type StratumMix struct {
	// Route is the configured route name, the first path segment for
	// requests outside configured routes, or "other" past MaxStrata.
	Route string
	// Method is the HTTP method.
	Method string
	// Requests counts primary requests whose method may be mirrored
	// (protocol upgrades included, though never mirrored); Mirrored counts copies
	// accepted by the sampler (before queueing).
	Requests, Mirrored int64
	// RequestShare is this stratum's share of all eligible requests;
	// MirroredShare its share of all copies. A representative sample has
	// the two close.
	RequestShare, MirroredShare float64
}

func (s *sampler) mix() []StratumMix {
	tbl := s.table.Load()
	var all []*stratum
	for mi := range numMethods {
		for _, st := range tbl.byMethod[mi] {
			all = append(all, st)
		}
		if tbl.other[mi] != nil {
			all = append(all, tbl.other[mi])
		}
	}
	out := make([]StratumMix, len(all))
	var req, mir int64
	for i, st := range all {
		out[i] = StratumMix{Route: st.key.route, Method: st.key.method, Requests: st.requests.Load(), Mirrored: st.mirrored.Load()}
		req += out[i].Requests
		mir += out[i].Mirrored
	}
	for i := range out {
		if req > 0 {
			out[i].RequestShare = float64(out[i].Requests) / float64(req)
		}
		if mir > 0 {
			out[i].MirroredShare = float64(out[i].Mirrored) / float64(mir)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Route != out[j].Route {
			return out[i].Route < out[j].Route
		}
		return out[i].Method < out[j].Method
	})
	return out
}
