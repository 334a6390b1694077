package gcptest

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The embedded document: google.golang.org/api's compute/v1/compute-api.json
// with its descriptions removed (see stripDiscovery), re-encoded with sorted
// keys and gzipped. TestEmbeddedDiscoveryMatchesModule regenerates it from
// the module cache and fails when it differs; run it with -update after
// upgrading google.golang.org/api.
//
//go:embed compute-v1.json.gz
var discoveryGz []byte

const (
	// SDKVersion is the google.golang.org/api version whose compute/v1
	// discovery document the fake validates against.
	SDKVersion = "v0.312.0"
	// discoverySHA256 is the SHA-256 of that version's
	// compute/v1/compute-api.json, as shipped.
	discoverySHA256 = "674aa196e1cff559aee0925237506e7cdf83f0836fb16a5a3c12b3c050731711"
)

// Errors callers branch on.
var (
	// ErrNotConformant reports a request or an answer that the Compute v1
	// discovery document does not allow: see [ConformanceError].
	ErrNotConformant = errors.New("gcptest: not conformant to the Compute v1 discovery document")
	// ErrNotModelled reports a conforming request for a method the fake
	// does not serve.
	ErrNotModelled = errors.New("gcptest: method not modelled by the fake")
)

// ConformanceError lists what a request or an answer does that the
// discovery document does not allow. errors.Is(err, ErrNotConformant)
// holds.
type ConformanceError struct {
	// Request is the request as "METHOD path".
	Request string
	// Method is the discovery method's id ("compute.instanceGroupManagers.resize"),
	// empty when no method matched.
	Method string
	// Answer is true when the answer, not the request, is at fault.
	Answer bool
	// Problems says what is wrong, one problem a line, in a stable order.
	Problems []string
}

// Error implements error.
func (e *ConformanceError) Error() string {
	what := "request"
	if e.Answer {
		what = "answer to"
	}
	m := ""
	if e.Method != "" {
		m = " (" + e.Method + ")"
	}
	return fmt.Sprintf("gcptest: %s %s%s does not conform to the Compute v1 discovery document: %s", what, e.Request, m, strings.Join(e.Problems, "; "))
}

// Unwrap returns ErrNotConformant.
func (e *ConformanceError) Unwrap() error { return ErrNotConformant }

// Spec is a parsed discovery document: its methods, their parameters and
// the schemas of their bodies. It is immutable and safe for concurrent use.
type Spec struct {
	// Revision is the document's revision: "20261106".
	Revision string
	// ServicePath is the path the API is served under: "compute/v1/".
	ServicePath string

	params  map[string]*param // the standard parameters every method takes
	schemas map[string]*schema
	methods []*Method
	byID    map[string]*Method

	mu       sync.Mutex
	patterns map[string]*regexp.Regexp
}

// Method is one method of the discovery document.
type Method struct {
	// ID is the method's id: "compute.instanceGroupManagers.resize".
	ID string
	// HTTPMethod is "GET", "POST"...
	HTTPMethod string
	// FlatPath is the path template under the service path:
	// "projects/{project}/zones/{zone}/instanceGroupManagers/{instanceGroupManager}/resize".
	FlatPath string
	// APIVersion is the x-goog-api-version the SDK sends with it.
	APIVersion string

	params   map[string]*param
	request  string // schema name of the body, "" for none
	response string // schema name of the answer, "" for none
	segs     []string
	literals int
}

// Request names the schema of the method's request body; empty for none.
func (m *Method) Request() string { return m.request }

// Response names the schema of the method's answer; empty for none.
func (m *Method) Response() string { return m.response }

type param struct {
	Type     string   `json:"type"`
	Format   string   `json:"format"`
	Location string   `json:"location"`
	Pattern  string   `json:"pattern"`
	Minimum  string   `json:"minimum"`
	Maximum  string   `json:"maximum"`
	Required bool     `json:"required"`
	Repeated bool     `json:"repeated"`
	Enum     []string `json:"enum"`
}

type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Pattern              string             `json:"pattern"`
	Enum                 []string           `json:"enum"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	Annotations          struct {
		Required []string `json:"required"`
	} `json:"annotations"`
}

type rawMethod struct {
	ID         string            `json:"id"`
	HTTPMethod string            `json:"httpMethod"`
	Path       string            `json:"path"`
	FlatPath   string            `json:"flatPath"`
	APIVersion string            `json:"apiVersion"`
	Parameters map[string]*param `json:"parameters"`
	Request    *schema           `json:"request"`
	Response   *schema           `json:"response"`
}

type rawResource struct {
	Methods   map[string]*rawMethod   `json:"methods"`
	Resources map[string]*rawResource `json:"resources"`
}

type rawDoc struct {
	Revision    string                  `json:"revision"`
	ServicePath string                  `json:"servicePath"`
	Parameters  map[string]*param       `json:"parameters"`
	Schemas     map[string]*schema      `json:"schemas"`
	Resources   map[string]*rawResource `json:"resources"`
}

var embedded struct {
	once sync.Once
	spec *Spec
	err  error
}

// Compute returns the Compute Engine v1 discovery document of
// google.golang.org/api [SDKVersion], parsed once.
func Compute() (*Spec, error) {
	embedded.once.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(discoveryGz))
		if err != nil {
			embedded.err = fmt.Errorf("gcptest: embedded discovery document: %w", err)
			return
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			embedded.err = fmt.Errorf("gcptest: embedded discovery document: %w", err)
			return
		}
		embedded.spec, embedded.err = ParseSpec(raw)
	})
	return embedded.spec, embedded.err
}

// ParseSpec parses a discovery document.
func ParseSpec(doc []byte) (*Spec, error) {
	var d rawDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("gcptest: parse discovery document: %w", err)
	}
	s := &Spec{Revision: d.Revision, ServicePath: d.ServicePath, params: d.Parameters, schemas: d.Schemas,
		byID: map[string]*Method{}, patterns: map[string]*regexp.Regexp{}}
	var walk func(map[string]*rawResource)
	walk = func(rs map[string]*rawResource) {
		for _, r := range rs {
			for _, m := range r.Methods {
				p := m.FlatPath
				if p == "" {
					p = m.Path
				}
				mm := &Method{ID: m.ID, HTTPMethod: m.HTTPMethod, FlatPath: p, APIVersion: m.APIVersion,
					params: m.Parameters, segs: strings.Split(p, "/")}
				if m.Request != nil {
					mm.request = m.Request.Ref
				}
				if m.Response != nil {
					mm.response = m.Response.Ref
				}
				for _, seg := range mm.segs {
					if !isVar(seg) {
						mm.literals++
					}
				}
				s.methods = append(s.methods, mm)
				s.byID[m.ID] = mm
			}
			walk(r.Resources)
		}
	}
	walk(d.Resources)
	if len(s.methods) == 0 {
		return nil, errors.New("gcptest: discovery document has no methods")
	}
	sort.Slice(s.methods, func(i, j int) bool { return s.methods[i].ID < s.methods[j].ID })
	return s, nil
}

// Method returns the method with id, or nil.
func (s *Spec) Method(id string) *Method { return s.byID[id] }

// Methods returns the number of methods in the document.
func (s *Spec) Methods() int { return len(s.methods) }

func isVar(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// Call is a request that conforms to the discovery document.
type Call struct {
	// Method is the discovery method it calls.
	Method *Method
	// Params holds its path parameters and the first value of each query
	// parameter, by name.
	Params map[string]string
	// Body is the request body, validated against Method.Request().
	Body []byte
}

// CheckRequest finds the discovery method r calls by its HTTP method and
// path (under the service path), and checks its path and query parameters
// (known, required, typed, in their enum and pattern, not repeated unless
// allowed), its x-goog-api-version header if set, and body (against the
// method's request schema: types, formats, enums, no unknown fields, the
// fields the schema requires for this method; no body for a method that
// takes none). It returns a *ConformanceError listing every problem.
func (s *Spec) CheckRequest(r *http.Request, body []byte) (*Call, error) {
	reqName := r.Method + " " + r.URL.EscapedPath()
	fail := func(id string, probs ...string) (*Call, error) {
		return nil, &ConformanceError{Request: reqName, Method: id, Problems: probs}
	}
	prefix := "/" + s.ServicePath
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, prefix) {
		return fail("", fmt.Sprintf("path is not under the service path %s", prefix))
	}
	segs := strings.Split(strings.TrimPrefix(p, prefix), "/")
	m, others := s.match(r.Method, segs)
	if m == nil {
		if len(others) > 0 {
			return fail("", fmt.Sprintf("no %s method at this path; the document has %s", r.Method, strings.Join(others, ", ")))
		}
		return fail("", "no method's path template matches it")
	}
	var probs []string
	call := &Call{Method: m, Params: map[string]string{}, Body: body}
	for i, seg := range m.segs {
		if !isVar(seg) {
			continue
		}
		name := seg[1 : len(seg)-1]
		v, err := url.PathUnescape(segs[i])
		if err != nil {
			probs = append(probs, fmt.Sprintf("path parameter %s: %v", name, err))
			continue
		}
		def := m.params[name]
		if def == nil || def.Location != "path" {
			probs = append(probs, fmt.Sprintf("path parameter %s is not a path parameter of the method", name))
			continue
		}
		call.Params[name] = v
		probs = append(probs, s.checkParam(name, def, v)...)
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		def := m.params[k]
		if def == nil {
			def = s.params[k]
		}
		if def == nil || def.Location != "query" {
			probs = append(probs, fmt.Sprintf("unknown query parameter %q", k))
			continue
		}
		if len(q[k]) > 1 && !def.Repeated {
			probs = append(probs, fmt.Sprintf("query parameter %s given %d times, not repeated", k, len(q[k])))
		}
		for _, v := range q[k] {
			probs = append(probs, s.checkParam(k, def, v)...)
		}
		call.Params[k] = q.Get(k)
	}
	names := make([]string, 0, len(m.params))
	for k := range m.params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if def := m.params[k]; def.Required && def.Location == "query" && !q.Has(k) {
			probs = append(probs, fmt.Sprintf("required query parameter %s is missing", k))
		}
	}
	if v := r.Header.Get("X-Goog-Api-Version"); v != "" && m.APIVersion != "" && v != m.APIVersion {
		probs = append(probs, fmt.Sprintf("x-goog-api-version %s, the method's is %s", v, m.APIVersion))
	}
	switch {
	case m.request == "" && len(bytes.TrimSpace(body)) > 0:
		probs = append(probs, fmt.Sprintf("the method takes no body, got %d bytes", len(body)))
	case m.request != "":
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			probs = append(probs, fmt.Sprintf("body Content-Type %q, want application/json", ct))
		}
		probs = append(probs, s.checkBody(body, m.request, m.ID)...)
	}
	if len(probs) > 0 {
		return fail(m.ID, probs...)
	}
	return call, nil
}

// match returns the method for httpMethod whose template matches segs with
// the most literal segments, or the ids of the methods of other HTTP
// methods that match.
func (s *Spec) match(httpMethod string, segs []string) (*Method, []string) {
	var best *Method
	var others []string
	for _, m := range s.methods {
		if len(m.segs) != len(segs) {
			continue
		}
		ok := true
		for i, t := range m.segs {
			if isVar(t) {
				ok = segs[i] != ""
			} else {
				ok = t == segs[i]
			}
			if !ok {
				break
			}
		}
		switch {
		case !ok:
		case m.HTTPMethod != httpMethod:
			others = append(others, m.HTTPMethod+" ("+m.ID+")")
		case best == nil || m.literals > best.literals:
			best = m
		}
	}
	return best, others
}

func (s *Spec) checkParam(name string, def *param, v string) []string {
	bad := func(format string, args ...any) []string {
		return []string{fmt.Sprintf("parameter %s=%q: ", name, v) + fmt.Sprintf(format, args...)}
	}
	switch def.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad("not an integer")
		}
		if p := intFormat(def.Format, n); p != "" {
			return bad("%s", p)
		}
		if def.Minimum != "" {
			if lo, err := strconv.ParseInt(def.Minimum, 10, 64); err == nil && n < lo {
				return bad("below the minimum %d", lo)
			}
		}
		if def.Maximum != "" {
			if hi, err := strconv.ParseInt(def.Maximum, 10, 64); err == nil && n > hi {
				return bad("above the maximum %d", hi)
			}
		}
	case "boolean":
		if v != "true" && v != "false" {
			return bad("not a boolean")
		}
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad("not a number")
		}
	case "string":
		if p := s.checkString(v, def.Format, def.Pattern, def.Enum); p != "" {
			return bad("%s", p)
		}
	}
	return nil
}

// intFormat checks n against an integer format.
func intFormat(format string, n int64) string {
	switch format {
	case "int32":
		if n < -1<<31 || n > 1<<31-1 {
			return "out of int32 range"
		}
	case "uint32":
		if n < 0 || n > 1<<32-1 {
			return "out of uint32 range"
		}
	}
	return ""
}

func (s *Spec) checkString(v, format, pattern string, enum []string) string {
	switch format {
	case "int64":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "not an int64"
		}
	case "uint64":
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return "not a uint64"
		}
	}
	if len(enum) > 0 && !contains(enum, v) {
		return fmt.Sprintf("not one of %s", strings.Join(enum, ", "))
	}
	if pattern != "" {
		if re := s.pattern(pattern); re != nil && !re.MatchString(v) {
			return fmt.Sprintf("does not match the pattern %s", pattern)
		}
	}
	return ""
}

// pattern compiles a discovery pattern, anchored, once; nil for a pattern
// RE2 cannot compile (none in the Compute document).
func (s *Spec) pattern(p string) *regexp.Regexp {
	s.mu.Lock()
	defer s.mu.Unlock()
	re, ok := s.patterns[p]
	if !ok {
		re, _ = regexp.Compile("^(?:" + p + ")$")
		s.patterns[p] = re
	}
	return re
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
