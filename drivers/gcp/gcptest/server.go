package gcptest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
)

// linkBase is what the real API's links start with.
const linkBase = "https://www.googleapis.com/compute/v1/"

// Config configures a Server. The zero value serves project "test-project"
// on the wall clock with the default Lifecycle.
type Config struct {
	// Project is the only project the fake knows; requests for another
	// get 404 notFound. Default "test-project".
	Project string
	// Now is the fake's clock: operations and instances move through
	// their lifecycle on it. nil uses time.Now; tests pass a mock clock's
	// Now.
	Now func() time.Time
	// Lifecycle sets how long operations and instance states last.
	Lifecycle Lifecycle
	// Fault, if not nil, is called for every conforming request to a
	// known group or operation before the fake serves it; a non-nil Fault
	// is answered instead of the modelled answer. nil injects nothing.
	Fault func(Call) *Fault
	// Report, if not nil, is called with every error of the fake's: a
	// request or an answer that does not conform to the discovery document
	// (errors.Is(err, ErrNotConformant)), a conforming request for a
	// method the fake does not model (ErrNotModelled), a Fault that
	// answers nothing. nil keeps them for Server.Err only; Start reports
	// them with t.Errorf. Either way the client gets an error answer that
	// carries the message.
	Report func(error)
}

// Fault is an answer a test injects in place of the modelled one; see
// Config.Fault. Set Body, Status with Reason, or OperationError.
type Fault struct {
	// Body, if not nil, is the answer's JSON body, sent with Status (200
	// when zero). A 2xx body is validated against the method's response
	// schema like every answer of the fake's.
	Body json.RawMessage
	// Status, with Body nil, answers with this HTTP error in the API's
	// error format: {"error": {"code", "message", "errors": [{"reason"}]}}.
	Status int
	// Reason and Message fill the error's reason and message.
	Reason, Message string
	// OperationError, for a method that starts an operation (resize),
	// accepts the call and answers with an operation that fails with this
	// error code and Message, leaving the group as it was: already DONE,
	// or RUNNING and DONE with the error after Lifecycle.Operation when
	// Delayed is set.
	OperationError string
	// Delayed: see OperationError.
	Delayed bool
}

// Server is a fake Compute Engine v1 API for managed instance groups on an
// httptest server. Every request it serves is checked against the
// discovery document ([Spec.CheckRequest]) and every answer it gives
// against the method's response schema ([Spec.CheckResponse]). It is safe
// for concurrent use.
type Server struct {
	// URL is the server's base URL; the API is under URL + "/compute/v1/".
	URL string

	spec *Spec
	cfg  Config
	srv  *httptest.Server

	mu     sync.Mutex
	groups map[string]*mig       // scope + "/" + name
	ops    map[string]*operation // scope + "/" + name
	calls  []Call
	errs   []error
	ids    uint64
}

// handler serves one modelled method; it runs with s.mu held.
type handler func(s *Server, c Call, f *Fault, now time.Time) (any, *apiError)

var handlers = map[string]handler{
	"compute.instanceGroupManagers.get":                        (*Server).getGroup,
	"compute.regionInstanceGroupManagers.get":                  (*Server).getGroup,
	"compute.instanceGroupManagers.resize":                     (*Server).resize,
	"compute.regionInstanceGroupManagers.resize":               (*Server).resize,
	"compute.instanceGroupManagers.listManagedInstances":       (*Server).listInstances,
	"compute.regionInstanceGroupManagers.listManagedInstances": (*Server).listInstances,
	"compute.zoneOperations.get":                               (*Server).getOperation,
	"compute.zoneOperations.wait":                              (*Server).getOperation,
	"compute.regionOperations.get":                             (*Server).getOperation,
	"compute.regionOperations.wait":                            (*Server).getOperation,
}

// startsOperation holds the modelled methods that start an operation.
var startsOperation = map[string]bool{
	"compute.instanceGroupManagers.resize":       true,
	"compute.regionInstanceGroupManagers.resize": true,
}

// Modelled returns the ids of the discovery methods the fake serves.
func Modelled() []string {
	ids := make([]string, 0, len(handlers))
	for id := range handlers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// NewServer starts a fake. Close it when done.
func NewServer(cfg Config) *Server {
	spec, err := Compute()
	if err != nil {
		panic(err) // the embedded document is part of the build
	}
	if cfg.Project == "" {
		cfg.Project = "test-project"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Lifecycle = cfg.Lifecycle.withDefaults()
	s := &Server{spec: spec, cfg: cfg, groups: map[string]*mig{}, ops: map[string]*operation{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Start starts a fake for a test: errors are reported with t.Errorf
// unless cfg.Report is set, and the server is closed when the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Report == nil {
		cfg.Report = func(err error) { t.Errorf("%v", err) }
	}
	s := NewServer(cfg)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down, after the requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Endpoint is the API's base URL, for option.WithEndpoint.
func (s *Server) Endpoint() string { return s.URL + "/" + s.spec.ServicePath }

// Service returns a Compute client that calls the fake without
// credentials.
func (s *Server) Service(ctx context.Context) (*compute.Service, error) {
	return compute.NewService(ctx, option.WithEndpoint(s.Endpoint()), option.WithoutAuthentication(),
		option.WithHTTPClient(s.srv.Client()))
}

// AddGroup adds a managed instance group. It panics on a group without a
// name, with both or neither of Zone and Region, or already added.
func (s *Server) AddGroup(g Group) {
	if g.Name == "" || (g.Zone == "") == (g.Region == "") || g.TargetSize < 0 || g.Stopped < 0 {
		panic(fmt.Sprintf("gcptest: AddGroup: bad group %+v", g))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := g.scope() + "/" + g.Name
	if s.groups[key] != nil {
		panic("gcptest: AddGroup: " + key + " already added")
	}
	m := &mig{spec: g, id: s.nextID(), target: g.TargetSize}
	for i := range g.TargetSize + g.Stopped {
		m.seq++
		m.instances = append(m.instances, &instance{name: fmt.Sprintf("%s-%04d", g.Name, m.seq), id: s.nextID(), stopped: i >= g.TargetSize})
	}
	s.groups[key] = m
}

// SetAutoscaler attaches (url set) or detaches (url empty) an autoscaler
// to the group scope/name, where scope is "zones/Z" or "regions/R".
func (s *Server) SetAutoscaler(scope, name, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.groups[scope+"/"+name]
	if m == nil {
		panic("gcptest: SetAutoscaler: no group " + scope + "/" + name)
	}
	m.spec.Autoscaler = url
}

// Calls returns the conforming requests served so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the conforming requests to the method id so far.
func (s *Server) CallsTo(id string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method.ID == id {
			out = append(out, c)
		}
	}
	return out
}

// Err joins every error the fake reported; nil when every request and
// answer conformed.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

func (s *Server) nextID() uint64 {
	s.ids++
	return 1_000_000_000_000 + s.ids
}

func (s *Server) report(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
	if s.cfg.Report != nil {
		s.cfg.Report(err)
	}
}

// apiError is an answer in the API's error format.
type apiError struct {
	code            int
	reason, message string
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, &apiError{http.StatusBadRequest, "invalid", err.Error()})
		return
	}
	call, err := s.spec.CheckRequest(r, body)
	if err != nil {
		s.report(err)
		writeError(w, &apiError{http.StatusBadRequest, "invalid", err.Error()})
		return
	}
	h := handlers[call.Method.ID]
	if h == nil {
		err := fmt.Errorf("%w: %s %s (%s)", ErrNotModelled, r.Method, r.URL.Path, call.Method.ID)
		s.report(err)
		writeError(w, &apiError{http.StatusNotImplemented, "notImplemented", err.Error()})
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, *call)
	now := s.cfg.Now()
	var (
		answer any
		aerr   *apiError
		fault  *Fault
	)
	if call.Params["project"] != s.cfg.Project {
		aerr = notFound("projects/" + call.Params["project"])
	} else if aerr = s.exists(*call); aerr == nil && s.cfg.Fault != nil {
		s.mu.Unlock()
		fault = s.cfg.Fault(*call)
		s.mu.Lock()
	}
	switch {
	case aerr != nil:
	case fault != nil && fault.Body != nil:
		s.mu.Unlock()
		status := fault.Status
		if status == 0 {
			status = http.StatusOK
		}
		s.answer(w, call, status, fault.Body)
		return
	case fault != nil && fault.Status != 0:
		aerr = &apiError{fault.Status, fault.Reason, fault.Message}
	case fault != nil && (fault.OperationError == "" || call.Method.Response() != "Operation" || !startsOperation[call.Method.ID]):
		s.mu.Unlock()
		err := fmt.Errorf("gcptest: %s: Fault %+v answers nothing", call.Method.ID, *fault)
		s.report(err)
		writeError(w, &apiError{http.StatusInternalServerError, "internalError", err.Error()})
		return
	default:
		answer, aerr = h(s, *call, fault, now)
	}
	s.mu.Unlock()
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	b, err := json.Marshal(answer)
	if err != nil {
		panic(err)
	}
	s.answer(w, call, http.StatusOK, b)
}

// answer validates a 2xx body against the method's response schema and
// sends it; a non-conforming one is reported and answered with a 500 that
// says why.
func (s *Server) answer(w http.ResponseWriter, call *Call, status int, body []byte) {
	if status/100 == 2 {
		if err := s.spec.CheckResponse(call.Method.ID, body); err != nil {
			s.report(err)
			writeError(w, &apiError{http.StatusInternalServerError, "internalError", err.Error()})
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.code)
	item := map[string]string{"domain": "global", "message": e.message}
	if e.reason != "" {
		item["reason"] = e.reason
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": e.code, "message": e.message, "errors": []any{item},
	}})
}

func notFound(resource string) *apiError {
	return &apiError{http.StatusNotFound, "notFound", fmt.Sprintf("The resource '%s' was not found", resource)}
}

// scopeOf returns "zones/Z" or "regions/R" from a call's parameters.
func scopeOf(c Call) string {
	if z, ok := c.Params["zone"]; ok {
		return "zones/" + z
	}
	return "regions/" + c.Params["region"]
}

// exists answers 404 for a group or operation the fake does not have.
func (s *Server) exists(c Call) *apiError {
	scope := scopeOf(c)
	if name, ok := c.Params["instanceGroupManager"]; ok && s.groups[scope+"/"+name] == nil {
		return notFound("projects/" + s.cfg.Project + "/" + scope + "/instanceGroupManagers/" + name)
	}
	if name, ok := c.Params["operation"]; ok && s.ops[scope+"/"+name] == nil {
		return notFound("projects/" + s.cfg.Project + "/" + scope + "/operations/" + name)
	}
	return nil
}

func (s *Server) group(c Call, now time.Time) *mig {
	m := s.groups[scopeOf(c)+"/"+c.Params["instanceGroupManager"]]
	m.prune(now, s.cfg.Lifecycle)
	return m
}

func (s *Server) link(scope, kind, name string) string {
	return linkBase + "projects/" + s.cfg.Project + "/" + scope + "/" + kind + "/" + name
}

func (s *Server) getGroup(c Call, _ *Fault, now time.Time) (any, *apiError) {
	m := s.group(c, now)
	scope := m.spec.scope()
	g := &compute.InstanceGroupManager{
		Kind: "compute#instanceGroupManager", Id: m.id, Name: m.spec.Name,
		SelfLink:                    s.link(scope, "instanceGroupManagers", m.spec.Name),
		InstanceGroup:               s.link(scope, "instanceGroups", m.spec.Name),
		InstanceTemplate:            linkBase + "projects/" + s.cfg.Project + "/global/instanceTemplates/" + m.spec.Name + "-template",
		BaseInstanceName:            m.spec.Name,
		CreationTimestamp:           "2026-01-01T00:00:00.000-07:00",
		Fingerprint:                 base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(m.target))),
		TargetSize:                  int64(m.target),
		TargetStoppedSize:           int64(m.spec.Stopped),
		CurrentActions:              &compute.InstanceGroupManagerActionsSummary{},
		Status:                      &compute.InstanceGroupManagerStatus{Autoscaler: m.spec.Autoscaler},
		ListManagedInstancesResults: "PAGELESS",
	}
	if m.spec.Paginated {
		g.ListManagedInstancesResults = "PAGINATED"
	}
	if m.spec.Region != "" {
		g.Region = linkBase + "projects/" + s.cfg.Project + "/" + scope
	} else {
		g.Zone = linkBase + "projects/" + s.cfg.Project + "/" + scope
	}
	a := g.CurrentActions
	for _, in := range m.instances {
		action, _, _ := in.state(now, s.cfg.Lifecycle)
		switch action {
		case "NONE":
			a.None++
		case "CREATING":
			a.Creating++
		case "VERIFYING":
			a.Verifying++
		case "DELETING":
			a.Deleting++
		}
	}
	g.Status.IsStable = a.None == int64(len(m.instances)) && len(m.instances) == m.target+m.spec.Stopped
	return g, nil
}

func (s *Server) resize(c Call, f *Fault, now time.Time) (any, *apiError) {
	m := s.group(c, now)
	size, _ := strconv.Atoi(c.Params["size"]) // conforming: an int32
	scope := m.spec.scope()
	op := &operation{
		name: fmt.Sprintf("operation-%d", s.nextID()), scope: scope, opType: "compute.instanceGroupManagers.resize",
		target: s.link(scope, "instanceGroupManagers", m.spec.Name), targetID: m.id,
		inserted: now, done: now.Add(s.cfg.Lifecycle.Operation),
	}
	op.id = s.nextID()
	switch {
	case f != nil:
		msg := f.Message
		if msg == "" {
			msg = "injected by gcptest"
		}
		op.codes, op.messages = []string{f.OperationError}, []string{msg}
		if !f.Delayed {
			op.done = now
		}
	default:
		m.resize(size, now, s.cfg.Lifecycle, s.nextID)
	}
	s.ops[scope+"/"+op.name] = op
	return op.api(s.cfg.Project, linkBase, now), nil
}

func (s *Server) listInstances(c Call, _ *Fault, now time.Time) (any, *apiError) {
	m := s.group(c, now)
	all := make([]*compute.ManagedInstance, 0, len(m.instances))
	instScope := m.spec.Zone
	if instScope == "" {
		instScope = m.spec.Region + "-b"
	}
	for _, in := range m.instances {
		action, status, _ := in.state(now, s.cfg.Lifecycle)
		all = append(all, &compute.ManagedInstance{
			Name: in.name, Id: in.id, CurrentAction: action, InstanceStatus: status,
			Instance: s.link("zones/"+instScope, "instances", in.name),
			Version:  &compute.ManagedInstanceVersion{InstanceTemplate: linkBase + "projects/" + s.cfg.Project + "/global/instanceTemplates/" + m.spec.Name + "-template"},
		})
	}
	page, next := all, ""
	if m.spec.Paginated {
		size := 500
		if v, ok := c.Params["maxResults"]; ok {
			size, _ = strconv.Atoi(v)
			if size == 0 {
				size = 500
			}
		}
		if m.spec.PageSize > 0 {
			size = min(size, m.spec.PageSize)
		}
		start := 0
		if tok := c.Params["pageToken"]; tok != "" {
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n > len(all) {
				return nil, &apiError{http.StatusBadRequest, "invalid", "Invalid value for field 'pageToken': '" + tok + "'."}
			}
			start = n
		}
		end := min(start+size, len(all))
		page = all[start:end]
		if end < len(all) {
			next = strconv.Itoa(end)
		}
	}
	if m.spec.Region != "" {
		return &compute.RegionInstanceGroupManagersListInstancesResponse{ManagedInstances: page, NextPageToken: next}, nil
	}
	return &compute.InstanceGroupManagersListManagedInstancesResponse{ManagedInstances: page, NextPageToken: next}, nil
}

// WaitDeadline is how long the real zoneOperations.wait and
// regionOperations.wait block at most before answering with an operation
// not yet DONE.
const WaitDeadline = 2 * time.Minute

// getOperation serves get and wait. get answers with the operation as of
// the fake's clock. wait answers at once, with the operation as the real
// wait would answer after blocking: DONE when it is done within
// WaitDeadline of the fake's clock, else as it is at that deadline (the
// fake's clock does not move).
func (s *Server) getOperation(c Call, _ *Fault, now time.Time) (any, *apiError) {
	op := s.ops[scopeOf(c)+"/"+c.Params["operation"]]
	if c.Method.ID == "compute.zoneOperations.wait" || c.Method.ID == "compute.regionOperations.wait" {
		now = now.Add(WaitDeadline)
	}
	return op.api(s.cfg.Project, linkBase, now), nil
}
