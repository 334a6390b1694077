package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/shadowscale/shadowscale/actuator"
)

// migServer is a Compute Engine API stand-in for one managed instance group
// at scope (zones/Z or regions/R) in project p.
type migServer struct {
	t     *testing.T
	scope string

	mu        sync.Mutex
	size      int64
	instances []*compute.ManagedInstance
	resizes   []int64
	// errStatus, when set, answers every request with that status.
	errStatus int
	errReason string
}

func (s *migServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if s.errStatus != 0 {
		w.WriteHeader(s.errStatus)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"code": s.errStatus, "message": "refused by test",
			"errors": []map[string]string{{"reason": s.errReason, "message": "refused by test"}},
		}})
		return
	}
	base := "/compute/v1/projects/p/" + s.scope + "/instanceGroupManagers/web"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base:
		_ = json.NewEncoder(w).Encode(compute.InstanceGroupManager{Name: "web", TargetSize: s.size})
	case r.Method == http.MethodPost && r.URL.Path == base+"/resize":
		n, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
		if !assert.NoError(s.t, err, "size parameter") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.resizes = append(s.resizes, n)
		s.size = n
		_ = json.NewEncoder(w).Encode(compute.Operation{Name: "op-1", Status: "RUNNING", OperationType: "compute.instanceGroupManagers.resize"})
	case r.Method == http.MethodPost && r.URL.Path == base+"/listManagedInstances":
		// Two instances per page, to exercise paging.
		start := 0
		if tok := r.URL.Query().Get("pageToken"); tok != "" {
			start, _ = strconv.Atoi(tok)
		}
		end := min(start+2, len(s.instances))
		resp := compute.InstanceGroupManagersListManagedInstancesResponse{ManagedInstances: s.instances[start:end]}
		if end < len(s.instances) {
			resp.NextPageToken = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(resp)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, `{"error":{"code":404,"message":"no route %s %s"}}`, r.Method, r.URL.Path)
	}
}

func newServer(t *testing.T, scope string) (*migServer, *compute.Service) {
	t.Helper()
	s := &migServer{t: t, scope: scope, size: 4, instances: []*compute.ManagedInstance{
		{Name: "a", InstanceStatus: "RUNNING", CurrentAction: "NONE"},
		{Name: "b", InstanceStatus: "RUNNING", CurrentAction: "NONE"},
		{Name: "c", InstanceStatus: "RUNNING", CurrentAction: "VERIFYING"},
		{Name: "d", InstanceStatus: "STAGING", CurrentAction: "CREATING"},
		{Name: "e", InstanceStatus: "RUNNING", CurrentAction: "NONE"},
	}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	svc, err := compute.NewService(context.Background(),
		option.WithEndpoint(srv.URL+"/compute/v1/"),
		option.WithoutAuthentication(),
		option.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	return s, svc
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Zone: "z", Name: "web"}, "Config.Project is empty"},
		{Config{Project: "p", Zone: "z"}, "Config.Name is empty"},
		{Config{Project: "p", Name: "web"}, "one of Config.Zone and Config.Region must be set"},
		{Config{Project: "p", Zone: "z", Region: "r", Name: "web"}, `Config.Zone ("z") and Config.Region ("r")`},
	}
	for _, c := range cases {
		assert.ErrorContains(t, c.cfg.Validate(), c.want)
	}
	require.NoError(t, Config{Project: "p", Region: "r", Name: "web"}.Validate())
	_, err := NewGroup(nil, Config{Project: "p", Zone: "z", Name: "web"})
	require.ErrorContains(t, err, "service is nil")
}

func TestZonalGroup(t *testing.T) {
	s, svc := newServer(t, "zones/europe-west1-b")
	g, err := NewGroup(svc, Config{Project: "p", Zone: "europe-west1-b", Name: "web"})
	require.NoError(t, err)
	ctx := context.Background()

	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 4, Ready: 3}, st)

	require.NoError(t, g.Scale(ctx, 7))
	st, err = g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, st.Desired)
	s.mu.Lock()
	assert.Equal(t, []int64{7}, s.resizes)
	s.mu.Unlock()
}

func TestRegionalGroup(t *testing.T) {
	s, svc := newServer(t, "regions/europe-west1")
	g, err := NewGroup(svc, Config{Project: "p", Region: "europe-west1", Name: "web"})
	require.NoError(t, err)
	ctx := context.Background()

	require.NoError(t, g.Scale(ctx, 2))
	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 2, Ready: 3}, st)
	s.mu.Lock()
	assert.Equal(t, []int64{2}, s.resizes)
	s.mu.Unlock()
}

func TestScaleRejectsNegativeTarget(t *testing.T) {
	s, svc := newServer(t, "zones/z")
	g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
	require.NoError(t, err)
	err = g.Scale(context.Background(), -2)
	require.ErrorIs(t, err, actuator.ErrInvalidTarget)
	assert.True(t, actuator.IsPermanent(err))
	s.mu.Lock()
	assert.Empty(t, s.resizes)
	s.mu.Unlock()
}

func TestErrorsAreClassified(t *testing.T) {
	cases := []struct {
		status    int
		reason    string
		permanent bool
	}{
		{http.StatusBadRequest, "invalid", true},
		{http.StatusBadRequest, "resourceNotReady", false},
		{http.StatusForbidden, "forbidden", true},
		{http.StatusNotFound, "notFound", true},
		{http.StatusConflict, "conflict", false},
		{http.StatusTooManyRequests, "rateLimitExceeded", false},
		{http.StatusServiceUnavailable, "backendError", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-%s", c.status, c.reason), func(t *testing.T) {
			s, svc := newServer(t, "zones/z")
			s.errStatus, s.errReason = c.status, c.reason
			g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
			require.NoError(t, err)

			err = g.Scale(context.Background(), 3)
			require.Error(t, err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(err), "error: %v", err)
			assert.True(t, strings.HasPrefix(err.Error(), "gcp: scale projects/p/zones/z/instanceGroupManagers/web to 3: resize: ") ||
				strings.HasPrefix(err.Error(), "permanent: gcp: scale"), err.Error())
			var gerr *googleapi.Error
			require.ErrorAs(t, err, &gerr)
			assert.Equal(t, c.status, gerr.Code)

			_, err = g.Current(context.Background())
			require.Error(t, err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(err))
			assert.Contains(t, err.Error(), "gcp: read projects/p/zones/z/instanceGroupManagers/web: get: ")
		})
	}
}

func TestClassifyNonAPIErrors(t *testing.T) {
	assert.NoError(t, classify(nil))
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, errors.New("connection refused")} {
		got := classify(err)
		assert.False(t, actuator.IsPermanent(got))
		assert.ErrorIs(t, got, err)
	}
}

func TestFailedOperationIsReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"name":"op-9","status":"DONE","error":{"errors":[{"code":"QUOTA_EXCEEDED","message":"Quota 'CPUS' exceeded"}]}}`)
	}))
	t.Cleanup(srv.Close)
	svc, err := compute.NewService(context.Background(), option.WithEndpoint(srv.URL+"/"),
		option.WithoutAuthentication(), option.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
	require.NoError(t, err)
	err = g.Scale(context.Background(), 50)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "operation op-9 failed: QUOTA_EXCEEDED: Quota 'CPUS' exceeded")
}
