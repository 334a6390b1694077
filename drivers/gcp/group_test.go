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
	// autoscaler, when set, is the URL of an autoscaler attached.
	autoscaler string
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
		_ = json.NewEncoder(w).Encode(compute.InstanceGroupManager{Name: "web", TargetSize: s.size,
			Status: &compute.InstanceGroupManagerStatus{Autoscaler: s.autoscaler}})
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
		{http.StatusForbidden, "rateLimitExceeded", false},
		{http.StatusForbidden, "userRateLimitExceeded", false},
		{http.StatusForbidden, "quotaExceeded", true},
		{http.StatusTooManyRequests, "", false},
		{http.StatusInternalServerError, "", false},
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
			assert.True(t, strings.HasPrefix(err.Error(), "gcp: scale projects/p/zones/z/instanceGroupManagers/web to 3: get: ") ||
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

func TestFailedOperationIsClassified(t *testing.T) {
	cases := []struct {
		code      string
		permanent bool
	}{
		{"QUOTA_EXCEEDED", true},
		{"RESOURCE_NOT_FOUND", true},
		{"PERMISSION_DENIED", true},
		{"RESOURCE_NOT_READY", false},
		{"ZONE_RESOURCE_POOL_EXHAUSTED", false},
		{"RATE_LIMIT_EXCEEDED", false},
		{"SOMETHING_NEW", false},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodGet {
					_, _ = fmt.Fprint(w, `{"name":"web","targetSize":4}`)
					return
				}
				_, _ = fmt.Fprintf(w, `{"name":"op-9","status":"DONE","error":{"errors":[{"code":%q,"message":"refused by test"}]}}`, c.code)
			}))
			t.Cleanup(srv.Close)
			svc, err := compute.NewService(context.Background(), option.WithEndpoint(srv.URL+"/"),
				option.WithoutAuthentication(), option.WithHTTPClient(srv.Client()))
			require.NoError(t, err)
			g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
			require.NoError(t, err)
			err = g.Scale(context.Background(), 50)
			require.Error(t, err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(err), "error: %v", err)
			var op *OperationError
			require.ErrorAs(t, err, &op)
			assert.Equal(t, []string{c.code}, op.Codes)
			assert.Contains(t, err.Error(), "gcp: scale projects/p/zones/z/instanceGroupManagers/web to 50: ")
			assert.Contains(t, err.Error(), "operation op-9 failed: "+c.code+": refused by test")
		})
	}
}

func TestScaleRefusesAGroupWithAnAutoscaler(t *testing.T) {
	s, svc := newServer(t, "zones/z")
	s.autoscaler = "https://www.googleapis.com/compute/v1/projects/p/zones/z/autoscalers/web-as"
	g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
	require.NoError(t, err)
	err = g.Scale(context.Background(), 6)
	require.ErrorIs(t, err, ErrAutoscalerAttached)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "autoscalers/web-as")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Empty(t, s.resizes)
}

func TestScaleClampsToTheLimitsAndReportsIt(t *testing.T) {
	cases := []struct {
		cfg             Config
		target, applied int
		resizes         []int64
	}{
		{Config{MinSize: 2, MaxSize: 8}, 20, 8, []int64{8}},
		{Config{MinSize: 2, MaxSize: 8}, 0, 2, []int64{2}},
		{Config{MinSize: 4, MaxSize: 8}, 1, 4, nil}, // already at MinSize
		{Config{}, 5000, 1000, []int64{1000}},       // Compute Engine's zonal limit
	}
	for _, c := range cases {
		s, svc := newServer(t, "zones/z")
		c.cfg.Project, c.cfg.Zone, c.cfg.Name = "p", "z", "web"
		g, err := NewGroup(svc, c.cfg)
		require.NoError(t, err)
		err = g.Scale(context.Background(), c.target)
		require.ErrorIs(t, err, ErrOutsideLimits)
		assert.True(t, actuator.IsPermanent(err))
		var lim *LimitedError
		require.ErrorAs(t, err, &lim)
		_, limited := actuator.AsLimited(err)
		assert.True(t, limited, "detectable without importing the driver")
		assert.Equal(t, c.applied, lim.Applied)
		assert.Equal(t, c.target, lim.Requested)
		assert.Contains(t, err.Error(), fmt.Sprintf("target %d limited to %d", c.target, c.applied))
		s.mu.Lock()
		assert.Equal(t, c.resizes, s.resizes)
		s.mu.Unlock()
	}
}

func TestConfigValidateLimits(t *testing.T) {
	base := Config{Project: "p", Zone: "z", Name: "web"}
	cases := []struct {
		min, max int
		region   bool
		want     string
	}{
		{-1, 0, false, "Config.MinSize (-1) is negative"},
		{0, -1, false, "Config.MaxSize (-1) is negative"},
		{0, 1001, false, "Config.MaxSize (1001) is above Compute Engine's limit of 1000"},
		{5, 4, false, "Config.MinSize (5) is above the maximum size (4)"},
		{0, 2001, true, "limit of 2000"},
	}
	for _, c := range cases {
		cfg := base
		cfg.MinSize, cfg.MaxSize = c.min, c.max
		if c.region {
			cfg.Zone, cfg.Region = "", "r"
		}
		assert.ErrorContains(t, cfg.Validate(), c.want)
	}
	regional := Config{Project: "p", Region: "r", Name: "web", MaxSize: 2000}
	require.NoError(t, regional.Validate())
}
