package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/drivers/gcp/gcptest"
)

// clock is the fake's settable clock, safe to read from its goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fake serves the group "web" of project "p" at scope ("zones/Z" or
// "regions/R") with size running instances, on a fake that checks every
// request and answer against the Compute discovery document and fails the
// test on any drift.
func fake(t *testing.T, scope string, size int, cfg gcptest.Config) (*gcptest.Server, *clock, *compute.Service) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg.Project, cfg.Now = "p", clk.Now
	s := gcptest.Start(t, cfg)
	g := gcptest.Group{Name: "web", TargetSize: size}
	if z, ok := strings.CutPrefix(scope, "zones/"); ok {
		g.Zone = z
	} else {
		g.Region = strings.TrimPrefix(scope, "regions/")
	}
	s.AddGroup(g)
	svc, err := s.Service(context.Background())
	require.NoError(t, err)
	return s, clk, svc
}

// methods returns the IDs of the methods the fake was called with, in order.
func methods(s *gcptest.Server) []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Method.ID)
	}
	return out
}

// resizes returns the sizes the fake was asked to resize to.
func resizes(s *gcptest.Server) []int64 {
	var out []int64
	for _, c := range s.Calls() {
		if c.Method.ID == "compute.instanceGroupManagers.resize" || c.Method.ID == "compute.regionInstanceGroupManagers.resize" {
			n, _ := strconv.ParseInt(c.Params["size"], 10, 64)
			out = append(out, n)
		}
	}
	return out
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

// TestZonalGroup: Current reports targetSize and the instances RUNNING
// with no current action; a scale-up shows at once in Desired and in Ready
// as the new instances go through CREATING and VERIFYING.
func TestZonalGroup(t *testing.T) {
	s, clk, svc := fake(t, "zones/europe-west1-b", 3, gcptest.Config{Lifecycle: gcptest.Lifecycle{Verifying: 30 * time.Second}})
	g, err := NewGroup(svc, Config{Project: "p", Zone: "europe-west1-b", Name: "web"})
	require.NoError(t, err)
	ctx := context.Background()

	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 3}, st)

	require.NoError(t, g.Scale(ctx, 7))
	assert.Equal(t, []int64{7}, resizes(s))
	for _, step := range []struct {
		after time.Duration
		ready int
	}{
		{0, 3},                // CREATING, PROVISIONING
		{30 * time.Second, 3}, // CREATING, STAGING
		{15 * time.Second, 3}, // RUNNING, VERIFYING: not yet ready
		{30 * time.Second, 7}, // RUNNING, NONE
	} {
		clk.Add(step.after)
		st, err = g.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, actuator.State{Desired: 7, Ready: step.ready}, st, "after %s more", step.after)
	}

	require.NoError(t, g.Scale(ctx, 7))
	assert.Equal(t, []int64{7}, resizes(s), "already at the target: no resize")
	require.NoError(t, g.Scale(ctx, 2))
	st, err = g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 2, Ready: 2}, st, "instances being deleted are not ready")
}

// TestRegionalGroup: the regional methods; a group without a standby pool
// whose instances list in pages is read with one get.
func TestRegionalGroup(t *testing.T) {
	s, clk, svc := fake(t, "regions/europe-west1", 5, gcptest.Config{})
	s.AddGroup(gcptest.Group{Region: "europe-west1", Name: "paged", TargetSize: 5, Paginated: true, PageSize: 2})
	ctx := context.Background()
	g, err := NewGroup(svc, Config{Project: "p", Region: "europe-west1", Name: "web"})
	require.NoError(t, err)

	require.NoError(t, g.Scale(ctx, 2))
	clk.Add(time.Minute)
	st, err := g.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 2, Ready: 2}, st)
	assert.Equal(t, []int64{2}, resizes(s))

	paged, err := NewGroup(svc, Config{Project: "p", Region: "europe-west1", Name: "paged"})
	require.NoError(t, err)
	st, err = paged.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 5, Ready: 5}, st)
	var calls []string
	for _, c := range s.Calls() {
		if c.Params["instanceGroupManager"] == "paged" {
			calls = append(calls, c.Method.ID)
		}
	}
	assert.Equal(t, []string{"compute.regionInstanceGroupManagers.get"}, calls,
		"one get per Current, however many pages its instances would list in")
}

// TestStandbyPool: a group with stopped standby instances (which have no
// current action either, and which the fake counts in currentActions.none)
// is read with a get and a list, and Ready counts the RUNNING instances
// only, in either scope, through pages.
func TestStandbyPool(t *testing.T) {
	for _, scope := range []string{"zones/z", "regions/r"} {
		s, clk, svc := fake(t, scope, 1, gcptest.Config{})
		spec := gcptest.Group{Name: "standby", TargetSize: 3, Stopped: 4, Paginated: true, PageSize: 2}
		cfg := Config{Project: "p", Name: "standby"}
		if z, ok := strings.CutPrefix(scope, "zones/"); ok {
			spec.Zone, cfg.Zone = z, z
		} else {
			spec.Region, cfg.Region = strings.TrimPrefix(scope, "regions/"), strings.TrimPrefix(scope, "regions/")
		}
		s.AddGroup(spec)
		g, err := NewGroup(svc, cfg)
		require.NoError(t, err)
		ctx := context.Background()
		st, err := g.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, actuator.State{Desired: 3, Ready: 3}, st, "%s: the stopped instances are not ready", scope)

		require.NoError(t, g.Scale(ctx, 5))
		st, err = g.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, actuator.State{Desired: 5, Ready: 3}, st, "%s: the new instances are still being created", scope)
		clk.Add(time.Minute)
		st, err = g.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, actuator.State{Desired: 5, Ready: 5}, st, "%s", scope)
		var lists int
		for _, c := range s.Calls() {
			if strings.HasSuffix(c.Method.ID, ".listManagedInstances") {
				lists++
			}
		}
		assert.Equal(t, 4+5+5, lists, "%s: three reads, a list of 7 instances and two of 9, in pages of two", scope)
	}
}

func TestScaleRejectsNegativeTarget(t *testing.T) {
	s, _, svc := fake(t, "zones/z", 4, gcptest.Config{})
	g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
	require.NoError(t, err)
	err = g.Scale(context.Background(), -2)
	require.ErrorIs(t, err, actuator.ErrInvalidTarget)
	assert.True(t, actuator.IsPermanent(err))
	assert.Empty(t, s.Calls(), "refused before any call")
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
			s, _, svc := fake(t, "zones/z", 4, gcptest.Config{Fault: func(gcptest.Call) *gcptest.Fault {
				return &gcptest.Fault{Status: c.status, Reason: c.reason, Message: "refused by test"}
			}})
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
			assert.Empty(t, resizes(s))
		})
	}
}

// TestUnknownGroupIsPermanent: the fake's own 404 for a group that does not
// exist.
func TestUnknownGroupIsPermanent(t *testing.T) {
	_, _, svc := fake(t, "zones/z", 1, gcptest.Config{})
	g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "api"})
	require.NoError(t, err)
	_, err = g.Current(context.Background())
	require.Error(t, err)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "The resource 'projects/p/zones/z/instanceGroupManagers/api' was not found")
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
			s, _, svc := fake(t, "zones/z", 4, gcptest.Config{Fault: func(call gcptest.Call) *gcptest.Fault {
				if call.Method.ID == "compute.instanceGroupManagers.resize" {
					return &gcptest.Fault{OperationError: c.code, Message: "refused by test"}
				}
				return nil
			}})
			g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
			require.NoError(t, err)
			err = g.Scale(context.Background(), 50)
			require.Error(t, err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(err), "error: %v", err)
			var op *OperationError
			require.ErrorAs(t, err, &op)
			assert.Equal(t, []string{c.code}, op.Codes)
			assert.True(t, strings.HasPrefix(op.Operation, "operation-"), op.Operation)
			assert.Contains(t, err.Error(), "gcp: scale projects/p/zones/z/instanceGroupManagers/web to 50: ")
			assert.Contains(t, err.Error(), "operation "+op.Operation+" failed: "+c.code+": refused by test")
			assert.Equal(t, []int64{50}, resizes(s))
			st, err := g.Current(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 4, st.Desired, "the failed resize changed nothing")
		})
	}
}

// An operation that fails after it was accepted (a stockout found while
// creating) is Scale's error: Scale waits for the operation. With NoWait,
// Scale returns once the resize is accepted and the failure is not seen;
// the group keeps its size either way, which is what Current reports.
func TestOperationThatFailsLater(t *testing.T) {
	for _, noWait := range []bool{false, true} {
		s, clk, svc := fake(t, "zones/z", 4, gcptest.Config{Fault: func(call gcptest.Call) *gcptest.Fault {
			if call.Method.ID == "compute.instanceGroupManagers.resize" {
				return &gcptest.Fault{OperationError: "ZONE_RESOURCE_POOL_EXHAUSTED", Delayed: true}
			}
			return nil
		}})
		g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web", NoWait: noWait})
		require.NoError(t, err)
		err = g.Scale(context.Background(), 9)
		if noWait {
			require.NoError(t, err)
			assert.NotContains(t, methods(s), "compute.zoneOperations.wait")
		} else {
			var op *OperationError
			require.ErrorAs(t, err, &op)
			assert.Equal(t, []string{"ZONE_RESOURCE_POOL_EXHAUSTED"}, op.Codes)
			assert.False(t, actuator.IsPermanent(err), "a stockout may clear")
			assert.Contains(t, methods(s), "compute.zoneOperations.wait")
		}
		clk.Add(time.Minute)
		st, err := g.Current(context.Background())
		require.NoError(t, err)
		assert.Equal(t, actuator.State{Desired: 4, Ready: 4}, st, "noWait=%v", noWait)
	}
}

// An operation longer than the API's wait deadline is waited for again,
// with growing pauses between the waits, until it is DONE; a context that
// ends during a pause ends Scale with its error.
func TestScaleWaitsForALongOperation(t *testing.T) {
	for _, scope := range []string{"zones/z", "regions/r"} {
		s, clk, svc := fake(t, scope, 2, gcptest.Config{Lifecycle: gcptest.Lifecycle{Operation: 10 * time.Minute}})
		cfg := Config{Project: "p", Name: "web"}
		if z, ok := strings.CutPrefix(scope, "zones/"); ok {
			cfg.Zone = z
		} else {
			cfg.Region = strings.TrimPrefix(scope, "regions/")
		}
		g, err := NewGroup(svc, cfg)
		require.NoError(t, err)
		var pauses []time.Duration
		g.pause = func(_ context.Context, d time.Duration) error {
			pauses = append(pauses, d)
			clk.Add(2*time.Minute + d) // the API's wait blocked, then the pause
			return nil
		}
		require.NoError(t, g.Scale(context.Background(), 5))
		ms := time.Millisecond
		assert.Equal(t, []time.Duration{500 * ms, 1000 * ms, 2000 * ms, 4000 * ms}, pauses, scope)
		waits := 0
		for _, m := range methods(s) {
			if strings.HasSuffix(m, "Operations.wait") {
				waits++
			}
		}
		assert.Equal(t, 5, waits, scope)

		ctx, cancel := context.WithCancel(context.Background())
		g.pause = func(context.Context, time.Duration) error { cancel(); return ctx.Err() }
		err = g.Scale(ctx, 7)
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "(RUNNING)")
	}
}

func TestScaleRefusesAGroupWithAnAutoscaler(t *testing.T) {
	s, _, svc := fake(t, "zones/z", 4, gcptest.Config{})
	s.SetAutoscaler("zones/z", "web", "https://www.googleapis.com/compute/v1/projects/p/zones/z/autoscalers/web-as")
	g, err := NewGroup(svc, Config{Project: "p", Zone: "z", Name: "web"})
	require.NoError(t, err)
	err = g.Scale(context.Background(), 6)
	require.ErrorIs(t, err, ErrAutoscalerAttached)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "autoscalers/web-as")
	assert.Empty(t, resizes(s))
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
		s, _, svc := fake(t, "zones/z", 4, gcptest.Config{})
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
		assert.Equal(t, c.resizes, resizes(s))
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
