package gcptest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/shadowscale/shadowscale/drivers/gcp/gcptest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock, safe to read from the server's goroutines.
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

// recorder collects what a server reports.
type recorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *recorder) Report(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *recorder) Errs() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

func start(t *testing.T, cfg gcptest.Config, groups ...gcptest.Group) (*gcptest.Server, *compute.Service) {
	t.Helper()
	s := gcptest.Start(t, cfg)
	for _, g := range groups {
		s.AddGroup(g)
	}
	svc, err := s.Service(context.Background())
	require.NoError(t, err)
	return s, svc
}

type instanceState struct{ action, status string }

func states(t *testing.T, svc *compute.Service, zone string) []instanceState {
	t.Helper()
	var out []instanceState
	err := svc.InstanceGroupManagers.ListManagedInstances("test-project", zone, "web").
		Pages(context.Background(), func(r *compute.InstanceGroupManagersListManagedInstancesResponse) error {
			for _, m := range r.ManagedInstances {
				out = append(out, instanceState{m.CurrentAction, m.InstanceStatus})
			}
			return nil
		})
	require.NoError(t, err)
	return out
}

// TestResizeLifecycle: a resize answers with a RUNNING operation that is
// DONE after Lifecycle.Operation; new instances go CREATING/PROVISIONING →
// CREATING/STAGING → VERIFYING/RUNNING → NONE/RUNNING; removed ones are
// DELETING/STOPPING, then gone; the group's counts and isStable follow.
func TestResizeLifecycle(t *testing.T) {
	clk := &clock{now: t0}
	_, svc := start(t, gcptest.Config{Now: clk.Now, Lifecycle: gcptest.Lifecycle{Verifying: 10 * time.Second}},
		gcptest.Group{Zone: "europe-west1-b", Name: "web", TargetSize: 2})
	ctx := context.Background()
	igm := svc.InstanceGroupManagers

	op, err := igm.Resize("test-project", "europe-west1-b", "web", 4).Context(ctx).Do()
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", op.Status)
	assert.Equal(t, "compute.instanceGroupManagers.resize", op.OperationType)
	assert.Nil(t, op.Error)
	running, none := instanceState{"NONE", "RUNNING"}, instanceState{"CREATING", "PROVISIONING"}
	assert.Equal(t, []instanceState{running, running, none, none}, states(t, svc, "europe-west1-b"))
	g, err := igm.Get("test-project", "europe-west1-b", "web").Do()
	require.NoError(t, err)
	assert.EqualValues(t, 4, g.TargetSize)
	assert.EqualValues(t, 2, g.CurrentActions.Creating)
	assert.False(t, g.Status.IsStable)

	got, err := svc.ZoneOperations.Get("test-project", "europe-west1-b", op.Name).Do()
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", got.Status)
	clk.Add(2 * time.Second)
	got, err = svc.ZoneOperations.Wait("test-project", "europe-west1-b", op.Name).Do()
	require.NoError(t, err)
	assert.Equal(t, "DONE", got.Status)
	assert.EqualValues(t, 100, got.Progress)
	assert.Nil(t, got.Error)

	clk.Add(28 * time.Second) // 30s: provisioned
	assert.Equal(t, instanceState{"CREATING", "STAGING"}, states(t, svc, "europe-west1-b")[3])
	clk.Add(15 * time.Second) // 45s: running, verifying
	assert.Equal(t, instanceState{"VERIFYING", "RUNNING"}, states(t, svc, "europe-west1-b")[3])
	clk.Add(10 * time.Second)
	assert.Equal(t, []instanceState{running, running, running, running}, states(t, svc, "europe-west1-b"))
	g, err = igm.Get("test-project", "europe-west1-b", "web").Do()
	require.NoError(t, err)
	assert.True(t, g.Status.IsStable)

	_, err = igm.Resize("test-project", "europe-west1-b", "web", 1).Do()
	require.NoError(t, err)
	deleting := instanceState{"DELETING", "STOPPING"}
	assert.Equal(t, []instanceState{running, deleting, deleting, deleting}, states(t, svc, "europe-west1-b"))
	clk.Add(20 * time.Second)
	assert.Equal(t, []instanceState{running}, states(t, svc, "europe-west1-b"))
}

// TestResizeDownRemovesInstancesNotYetServingFirst: a resize down takes
// the instances still being created before those that serve.
func TestResizeDownRemovesInstancesNotYetServingFirst(t *testing.T) {
	clk := &clock{now: t0}
	_, svc := start(t, gcptest.Config{Now: clk.Now}, gcptest.Group{Zone: "z", Name: "web", TargetSize: 2})
	_, err := svc.InstanceGroupManagers.Resize("test-project", "z", "web", 4).Do()
	require.NoError(t, err)
	_, err = svc.InstanceGroupManagers.Resize("test-project", "z", "web", 3).Do()
	require.NoError(t, err)
	assert.Equal(t, []instanceState{{"NONE", "RUNNING"}, {"NONE", "RUNNING"}, {"CREATING", "PROVISIONING"}, {"DELETING", "STOPPING"}},
		states(t, svc, "z"))
}

// TestRegionalGroupAndOperations: the regional methods, their
// operations, and listManagedInstances' regional answer type.
func TestRegionalGroupAndOperations(t *testing.T) {
	clk := &clock{now: t0}
	_, svc := start(t, gcptest.Config{Now: clk.Now, Lifecycle: gcptest.Lifecycle{Operation: -1}},
		gcptest.Group{Region: "europe-west1", Name: "web", TargetSize: 1})
	rigm := svc.RegionInstanceGroupManagers
	op, err := rigm.Resize("test-project", "europe-west1", "web", 3).Do()
	require.NoError(t, err)
	assert.Equal(t, "DONE", op.Status, "Lifecycle.Operation < 0: done at once")
	assert.Contains(t, op.Region, "/regions/europe-west1")
	got, err := svc.RegionOperations.Wait("test-project", "europe-west1", op.Name).Do()
	require.NoError(t, err)
	assert.Equal(t, "DONE", got.Status)
	_, err = svc.RegionOperations.Get("test-project", "europe-west1", op.Name).Do()
	require.NoError(t, err)
	r, err := rigm.ListManagedInstances("test-project", "europe-west1", "web").Do()
	require.NoError(t, err)
	require.Len(t, r.ManagedInstances, 3)
	assert.Equal(t, "CREATING", r.ManagedInstances[2].CurrentAction)
	g, err := rigm.Get("test-project", "europe-west1", "web").Do()
	require.NoError(t, err)
	assert.EqualValues(t, 3, g.TargetSize)
	assert.Contains(t, g.Region, "/regions/europe-west1")
}

// TestOperationErrors: an injected operation error leaves the group alone
// and comes back DONE at once, or RUNNING and then DONE with the error.
func TestOperationErrors(t *testing.T) {
	clk := &clock{now: t0}
	var delayed bool
	s, svc := start(t, gcptest.Config{Now: clk.Now, Fault: func(c gcptest.Call) *gcptest.Fault {
		if c.Method.ID == "compute.instanceGroupManagers.resize" {
			return &gcptest.Fault{OperationError: "ZONE_RESOURCE_POOL_EXHAUSTED", Message: "out of e2-standard-4", Delayed: delayed}
		}
		return nil
	}}, gcptest.Group{Zone: "z", Name: "web", TargetSize: 2})

	op, err := svc.InstanceGroupManagers.Resize("test-project", "z", "web", 5).Do()
	require.NoError(t, err)
	assert.Equal(t, "DONE", op.Status)
	require.NotNil(t, op.Error)
	assert.Equal(t, "ZONE_RESOURCE_POOL_EXHAUSTED", op.Error.Errors[0].Code)

	delayed = true
	op, err = svc.InstanceGroupManagers.Resize("test-project", "z", "web", 5).Do()
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", op.Status)
	assert.Nil(t, op.Error)
	clk.Add(2 * time.Second)
	op, err = svc.ZoneOperations.Get("test-project", "z", op.Name).Do()
	require.NoError(t, err)
	assert.Equal(t, "DONE", op.Status)
	require.NotNil(t, op.Error)
	assert.Equal(t, "out of e2-standard-4", op.Error.Errors[0].Message)

	g, err := svc.InstanceGroupManagers.Get("test-project", "z", "web").Do()
	require.NoError(t, err)
	assert.EqualValues(t, 2, g.TargetSize, "a failed resize changes nothing")
	assert.Len(t, s.CallsTo("compute.instanceGroupManagers.resize"), 2)
}

// TestListManagedInstancesPaging: a PAGELESS group lists every instance in
// one answer; a PAGINATED one pages.
func TestListManagedInstancesPaging(t *testing.T) {
	s, svc := start(t, gcptest.Config{},
		gcptest.Group{Zone: "z", Name: "web", TargetSize: 5},
		gcptest.Group{Zone: "z", Name: "paged", TargetSize: 5, Paginated: true, PageSize: 2})
	for _, name := range []string{"web", "paged"} {
		n := 0
		require.NoError(t, svc.InstanceGroupManagers.ListManagedInstances("test-project", "z", name).
			Pages(context.Background(), func(r *compute.InstanceGroupManagersListManagedInstancesResponse) error {
				n += len(r.ManagedInstances)
				return nil
			}))
		assert.Equal(t, 5, n, name)
	}
	assert.Len(t, s.CallsTo("compute.instanceGroupManagers.listManagedInstances"), 1+3)
	r, err := svc.InstanceGroupManagers.ListManagedInstances("test-project", "z", "paged").MaxResults(1).Do()
	require.NoError(t, err)
	assert.Len(t, r.ManagedInstances, 1)
	assert.Equal(t, "1", r.NextPageToken)
}

// TestNotFound: an unknown group, operation or project is a 404 notFound.
func TestNotFound(t *testing.T) {
	_, svc := start(t, gcptest.Config{}, gcptest.Group{Zone: "z", Name: "web"})
	for _, call := range []func() error{
		func() error { _, err := svc.InstanceGroupManagers.Get("test-project", "z", "api").Do(); return err },
		func() error { _, err := svc.InstanceGroupManagers.Get("other-project", "z", "web").Do(); return err },
		func() error { _, err := svc.ZoneOperations.Get("test-project", "z", "operation-1").Do(); return err },
	} {
		var gerr *googleapi.Error
		require.ErrorAs(t, call(), &gerr)
		assert.Equal(t, http.StatusNotFound, gerr.Code)
		require.Len(t, gerr.Errors, 1)
		assert.Equal(t, "notFound", gerr.Errors[0].Reason)
	}
}

// raw sends a request to the fake without the SDK, as a driver that
// drifted from the API would.
func raw(t *testing.T, s *gcptest.Server, method, path, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var e struct {
		Error struct{ Message string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	return resp.StatusCode, e.Error.Message
}

// TestRequestDrift: requests that drifted from the discovery document are
// refused with a 400 that says why, and reported.
func TestRequestDrift(t *testing.T) {
	const base = "/compute/v1/projects/test-project/zones/z/instanceGroupManagers"
	cases := []struct {
		name, method, path, body, want string
	}{
		{"wrong path", "POST", base + "/web/resizeTo?size=3", "", "no method's path template matches it"},
		{"singular collection", "GET", "/compute/v1/projects/test-project/zones/z/instanceGroupManager/web", "", "no method's path template matches it"},
		{"outside the service path", "GET", "/compute/beta/projects/test-project/zones/z/instanceGroupManagers/web", "", "not under the service path /compute/v1/"},
		{"wrong HTTP method", "GET", base + "/web/resize?size=3", "", "no GET method at this path; the document has POST (compute.instanceGroupManagers.resize)"},
		{"missing required parameter", "POST", base + "/web/resize", "", "required query parameter size is missing"},
		{"unknown query parameter", "POST", base + "/web/resize?size=3&sizee=4", "", `unknown query parameter "sizee"`},
		{"parameter of the wrong type", "POST", base + "/web/resize?size=three", "", `parameter size="three": not an integer`},
		{"parameter out of range", "POST", base + "/web/resize?size=4294967296", "", "out of int32 range"},
		{"parameter below its minimum", "POST", "/compute/v1/projects/test-project/regions/r/instanceGroupManagers/web/resize?size=-1", "", "below the minimum 0"},
		{"parameter outside its enum", "GET", base + "/web?alt=xml", "", "parameter alt=\"xml\": not one of json, media, proto"},
		{"parameter against its pattern", "GET", "/compute/v1/projects/Test_Project/zones/z/instanceGroupManagers/web", "", "does not match the pattern"},
		{"repeated parameter", "POST", base + "/web/resize?size=3&size=4", "", "query parameter size given 2 times, not repeated"},
		{"body on a method without one", "POST", base + "/web/resize?size=3", `{"size":3}`, "the method takes no body"},
		{"unknown field", "POST", base, `{"name":"web","targetSize":3,"targetSzie":4}`, `InstanceGroupManager: unknown field "targetSzie"`},
		{"field of the wrong type", "POST", base, `{"name":"web","targetSize":"3"}`, `InstanceGroupManager.targetSize: string "3", want an integer`},
		{"nested unknown field", "POST", base, `{"name":"web","targetSize":3,"autoHealingPolicies":[{"initialDelay":30}]}`, `InstanceGroupManager.autoHealingPolicies[0]: unknown field "initialDelay"`},
		{"field required by the method", "POST", base, `{"targetSize":3}`, `field "name" is required by compute.instanceGroupManagers.insert`},
		{"field against its pattern", "POST", base, `{"name":"Web_1","targetSize":3}`, `InstanceGroupManager.name: "Web_1" does not match the pattern`},
		{"field outside its enum", "POST", base, `{"name":"web","targetSize":3,"listManagedInstancesResults":"PAGED"}`, "not one of PAGELESS, PAGINATED"},
		{"not JSON", "POST", base, `{"name":`, "body is not JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			s := gcptest.Start(t, gcptest.Config{Report: rec.Report})
			s.AddGroup(gcptest.Group{Zone: "z", Name: "web", TargetSize: 1})
			s.AddGroup(gcptest.Group{Region: "r", Name: "web", TargetSize: 1})
			code, body := raw(t, s, tc.method, tc.path, tc.body)
			assert.Equal(t, http.StatusBadRequest, code, body)
			assert.Contains(t, body, tc.want)
			errs := rec.Errs()
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], gcptest.ErrNotConformant)
			assert.Contains(t, errs[0].Error(), tc.want)
			var ce *gcptest.ConformanceError
			require.ErrorAs(t, errs[0], &ce)
			assert.False(t, ce.Answer)
			assert.Empty(t, s.Calls(), "a non-conforming request is not served")
		})
	}
}

// TestConformingButNotModelled: a valid Compute request the fake does not
// model is reported as such, not as drift.
func TestConformingButNotModelled(t *testing.T) {
	rec := &recorder{}
	s := gcptest.Start(t, gcptest.Config{Report: rec.Report})
	code, body := raw(t, s, "POST", "/compute/v1/projects/test-project/zones/z/instanceGroupManagers",
		`{"name":"web","targetSize":3,"instanceTemplate":"global/instanceTemplates/t","namedPorts":[{"name":"http","port":80}]}`)
	assert.Equal(t, http.StatusNotImplemented, code, body)
	require.Len(t, rec.Errs(), 1)
	assert.ErrorIs(t, rec.Errs()[0], gcptest.ErrNotModelled)
	assert.NotErrorIs(t, rec.Errs()[0], gcptest.ErrNotConformant)
	assert.Contains(t, rec.Errs()[0].Error(), "compute.instanceGroupManagers.insert")
}

// TestAnswerDrift: an injected answer that does not fit the method's
// response schema is reported and reaches the client as a 500 that says
// why.
func TestAnswerDrift(t *testing.T) {
	cases := []struct {
		method, body, want string
	}{
		{"compute.instanceGroupManagers.get", `{"name":"web","targetSize":"4"}`, `InstanceGroupManager.targetSize: string "4", want an integer`},
		{"compute.instanceGroupManagers.get", `{"name":"web","id":5}`, `InstanceGroupManager.id: number 5, want a string (format uint64)`},
		{"compute.instanceGroupManagers.get", `{"name":"web","size":4}`, `InstanceGroupManager: unknown field "size"`},
		{"compute.instanceGroupManagers.get", `{"name":"web","status":{"autoscaler":true}}`, `InstanceGroupManager.status.autoscaler: boolean true, want a string`},
		{"compute.instanceGroupManagers.listManagedInstances", `{"managedInstances":[{"currentAction":"READY"}]}`, `InstanceGroupManagersListManagedInstancesResponse.managedInstances[0].currentAction: "READY" not one of ABANDONING, CREATING`},
		{"compute.instanceGroupManagers.listManagedInstances", `{"managedInstances":{"name":"a"}}`, `managedInstances: an object, want an array`},
		{"compute.instanceGroupManagers.resize", `{"name":"op","status":"FAILED"}`, `Operation.status: "FAILED" not one of DONE, PENDING, RUNNING`},
		{"compute.instanceGroupManagers.resize", `{"name":"op","status":"DONE","error":{"errors":[{"code":"QUOTA_EXCEEDED","reason":"quota"}]}}`, `Operation.error.errors[0]: unknown field "reason"`},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			rec := &recorder{}
			_, svc := start(t, gcptest.Config{Report: rec.Report, Fault: func(c gcptest.Call) *gcptest.Fault {
				if c.Method.ID == tc.method {
					return &gcptest.Fault{Body: []byte(tc.body)}
				}
				return nil
			}}, gcptest.Group{Zone: "z", Name: "web", TargetSize: 1})
			var err error
			switch tc.method {
			case "compute.instanceGroupManagers.get":
				_, err = svc.InstanceGroupManagers.Get("test-project", "z", "web").Do()
			case "compute.instanceGroupManagers.listManagedInstances":
				_, err = svc.InstanceGroupManagers.ListManagedInstances("test-project", "z", "web").Do()
			default:
				_, err = svc.InstanceGroupManagers.Resize("test-project", "z", "web", 2).Do()
			}
			var gerr *googleapi.Error
			require.ErrorAs(t, err, &gerr)
			assert.Equal(t, http.StatusInternalServerError, gerr.Code)
			assert.Contains(t, gerr.Message, tc.want)
			require.Len(t, rec.Errs(), 1)
			var ce *gcptest.ConformanceError
			require.ErrorAs(t, rec.Errs()[0], &ce)
			assert.True(t, ce.Answer)
			assert.Equal(t, tc.method, ce.Method)
		})
	}
}

// TestFaultThatAnswersNothingIsReported: a Fault with nothing set, or an
// operation error on a method that starts none, is a test's mistake.
func TestFaultThatAnswersNothingIsReported(t *testing.T) {
	rec := &recorder{}
	_, svc := start(t, gcptest.Config{Report: rec.Report, Fault: func(gcptest.Call) *gcptest.Fault {
		return &gcptest.Fault{OperationError: "QUOTA_EXCEEDED"}
	}}, gcptest.Group{Zone: "z", Name: "web"})
	_, err := svc.InstanceGroupManagers.Get("test-project", "z", "web").Do()
	require.Error(t, err)
	require.Len(t, rec.Errs(), 1)
	assert.Contains(t, rec.Errs()[0].Error(), "answers nothing")
}

// TestEveryModelledMethodConforms calls each modelled method through the
// SDK: none is refused or answered out of schema.
func TestEveryModelledMethodConforms(t *testing.T) {
	spec, err := gcptest.Compute()
	require.NoError(t, err)
	for _, id := range gcptest.Modelled() {
		require.NotNil(t, spec.Method(id), "%s is in the discovery document", id)
	}
	s, svc := start(t, gcptest.Config{}, gcptest.Group{Zone: "z", Name: "web", TargetSize: 1}, gcptest.Group{Region: "r", Name: "web", TargetSize: 1})
	zop, err := svc.InstanceGroupManagers.Resize("test-project", "z", "web", 2).Do()
	require.NoError(t, err)
	rop, err := svc.RegionInstanceGroupManagers.Resize("test-project", "r", "web", 2).Do()
	require.NoError(t, err)
	calls := []func() error{
		func() error { _, err := svc.InstanceGroupManagers.Get("test-project", "z", "web").Do(); return err },
		func() error {
			_, err := svc.RegionInstanceGroupManagers.Get("test-project", "r", "web").Do()
			return err
		},
		func() error {
			_, err := svc.InstanceGroupManagers.ListManagedInstances("test-project", "z", "web").Do()
			return err
		},
		func() error {
			_, err := svc.RegionInstanceGroupManagers.ListManagedInstances("test-project", "r", "web").Do()
			return err
		},
		func() error { _, err := svc.ZoneOperations.Get("test-project", "z", zop.Name).Do(); return err },
		func() error { _, err := svc.ZoneOperations.Wait("test-project", "z", zop.Name).Do(); return err },
		func() error { _, err := svc.RegionOperations.Get("test-project", "r", rop.Name).Do(); return err },
		func() error { _, err := svc.RegionOperations.Wait("test-project", "r", rop.Name).Do(); return err },
	}
	for i, call := range calls {
		require.NoError(t, call(), "call %d", i)
	}
	require.NoError(t, s.Err())
	seen := map[string]bool{}
	for _, c := range s.Calls() {
		seen[c.Method.ID] = true
	}
	assert.Len(t, seen, len(gcptest.Modelled()), fmt.Sprint(seen))
}

// TestSpecParseErrors: ParseSpec refuses what is not a discovery document.
func TestSpecParseErrors(t *testing.T) {
	_, err := gcptest.ParseSpec([]byte(`{`))
	require.Error(t, err)
	_, err = gcptest.ParseSpec([]byte(`{"resources":{}}`))
	assert.ErrorContains(t, err, "no methods")
}

// TestSpecCheckRequestDirectly: the validator on its own, for a header the
// SDK sets and a raw http.Request.
func TestSpecCheckRequestDirectly(t *testing.T) {
	spec, err := gcptest.Compute()
	require.NoError(t, err)
	req := httptest.NewRequest("POST", "/compute/v1/projects/p/zones/z/instanceGroupManagers/web/resize?size=3&alt=json&prettyPrint=false", nil)
	call, err := spec.CheckRequest(req, nil)
	require.NoError(t, err)
	assert.Equal(t, "compute.instanceGroupManagers.resize", call.Method.ID)
	assert.Equal(t, map[string]string{"project": "p", "zone": "z", "instanceGroupManager": "web", "size": "3", "alt": "json", "prettyPrint": "false"}, call.Params)

	req.Header.Set("X-Goog-Api-Version", "2019-01-01")
	_, err = spec.CheckRequest(req, nil)
	require.ErrorIs(t, err, gcptest.ErrNotConformant)
	assert.Contains(t, err.Error(), "x-goog-api-version 2019-01-01, the method's is "+call.Method.APIVersion)

	assert.NoError(t, spec.CheckResponse("compute.instanceGroupManagers.get", []byte(`{"name":"web","targetSize":3,"id":"17","fingerprint":"AAE="}`)))
	err = spec.CheckResponse("compute.instanceGroupManagers.get", []byte(`{"fingerprint":"not base64!"}`))
	assert.ErrorContains(t, err, `InstanceGroupManager.fingerprint: "not base64!" is not base64`)
	err = spec.CheckResponse("compute.instanceGroupManagers.get", []byte(`{"id":"-1"}`))
	assert.ErrorContains(t, err, `InstanceGroupManager.id: "-1" not a uint64`)
	assert.ErrorContains(t, spec.CheckResponse("compute.nope", nil), "no such method")
}
