package gcptest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// Group is a managed instance group the fake serves.
type Group struct {
	// Zone is the zone of a zonal group; Region the region of a regional
	// one. Exactly one is set.
	Zone, Region string
	// Name is the group's name.
	Name string
	// TargetSize is the group's size at the start; its instances are all
	// RUNNING with no current action.
	TargetSize int
	// Autoscaler, when set, is the URL of an autoscaler attached to the
	// group (status.autoscaler).
	Autoscaler string
	// Paginated sets listManagedInstancesResults to PAGINATED: instances
	// are listed in pages of maxResults (default 500). Otherwise the group
	// is PAGELESS, as groups are by default: one page with every instance,
	// whatever maxResults says.
	Paginated bool
	// PageSize, when positive, caps the pages of a Paginated group below
	// maxResults, so that a client's paging shows with a few instances.
	// The real API pages at maxResults.
	PageSize int
	// Stopped is the size of the group's standby pool of stopped
	// instances (targetStoppedSize): listed as STOPPED with no current
	// action, never resized. get counts them in currentActions.none, as
	// instances without a current action; the API's documentation says
	// none counts running instances, and a client that reads none as
	// ready instances must not count on it.
	Stopped int
}

func (g Group) scope() string {
	if g.Region != "" {
		return "regions/" + g.Region
	}
	return "zones/" + g.Zone
}

// Lifecycle sets how long the phases the fake models last, on the fake's
// clock (Config.Now). A zero field selects the default documented on it; a
// negative one skips the phase.
type Lifecycle struct {
	// Operation is how long a resize operation stays RUNNING before it is
	// DONE. Default 2s.
	Operation time.Duration
	// Provisioning is how long a new instance is PROVISIONING (current
	// action CREATING). Default 30s.
	Provisioning time.Duration
	// Staging is how long it is then STAGING (still CREATING). Default 15s.
	Staging time.Duration
	// Verifying is how long a RUNNING new instance stays VERIFYING (an
	// autohealing health check's initial delay) before its current action
	// is NONE. Default: no VERIFYING phase; positive to have one.
	Verifying time.Duration
	// Deleting is how long an instance a resize removes stays STOPPING
	// (current action DELETING) before it leaves the list. Default 20s.
	Deleting time.Duration
}

func (l Lifecycle) withDefaults() Lifecycle {
	or := func(d, def time.Duration) time.Duration {
		switch {
		case d == 0:
			return def
		case d < 0:
			return 0
		}
		return d
	}
	l.Operation = or(l.Operation, 2*time.Second)
	l.Provisioning = or(l.Provisioning, 30*time.Second)
	l.Staging = or(l.Staging, 15*time.Second)
	l.Verifying = max(l.Verifying, 0)
	l.Deleting = or(l.Deleting, 20*time.Second)
	return l
}

// instance is one managed instance. created is zero for the instances a
// group starts with, which are running.
type instance struct {
	name     string
	id       uint64
	created  time.Time
	deleting time.Time // zero unless a resize removes it
	stopped  bool      // in the standby pool
}

// state returns the instance's currentAction and instanceStatus at now,
// and false once it is gone.
func (in *instance) state(now time.Time, l Lifecycle) (action, status string, ok bool) {
	if in.stopped {
		return "NONE", "STOPPED", true
	}
	if !in.deleting.IsZero() {
		if now.Sub(in.deleting) >= l.Deleting {
			return "", "", false
		}
		return "DELETING", "STOPPING", true
	}
	if in.created.IsZero() {
		return "NONE", "RUNNING", true
	}
	age := now.Sub(in.created)
	switch {
	case age < l.Provisioning:
		return "CREATING", "PROVISIONING", true
	case age < l.Provisioning+l.Staging:
		return "CREATING", "STAGING", true
	case age < l.Provisioning+l.Staging+l.Verifying:
		return "VERIFYING", "RUNNING", true
	}
	return "NONE", "RUNNING", true
}

type mig struct {
	spec      Group
	id        uint64
	target    int
	instances []*instance
	seq       int
}

// prune drops the instances whose deletion is over.
func (g *mig) prune(now time.Time, l Lifecycle) {
	kept := g.instances[:0]
	for _, in := range g.instances {
		if _, _, ok := in.state(now, l); ok {
			kept = append(kept, in)
		}
	}
	g.instances = kept
}

// resize sets the target size: new instances start CREATING; instances
// beyond the target are deleted, those not yet running first, newest
// first, as a group prefers removing instances that serve nothing.
func (g *mig) resize(size int, now time.Time, l Lifecycle, ids func() uint64) {
	g.target = size
	var live []*instance
	for _, in := range g.instances {
		if in.deleting.IsZero() && !in.stopped {
			live = append(live, in)
		}
	}
	for n := len(live); n < size; n++ {
		g.seq++
		g.instances = append(g.instances, &instance{name: fmt.Sprintf("%s-%04d", g.spec.Name, g.seq), id: ids(), created: now})
	}
	if extra := len(live) - size; extra > 0 {
		slices.Reverse(live) // newest first
		sort.SliceStable(live, func(i, j int) bool {
			ai, _, _ := live[i].state(now, l)
			aj, _, _ := live[j].state(now, l)
			return ai != "NONE" && aj == "NONE"
		})
		for _, in := range live[:extra] {
			in.deleting = now
		}
	}
}

// operation is a zonal or regional operation.
type operation struct {
	name, scope, target, opType string
	id, targetID                uint64
	inserted, done              time.Time
	codes, messages             []string // its errors
}

func (o *operation) api(project string, base string, now time.Time) *compute.Operation {
	op := &compute.Operation{
		Kind: "compute#operation", Name: o.name, Id: o.id, OperationType: o.opType,
		TargetLink: o.target, TargetId: o.targetID,
		SelfLink:   base + "projects/" + project + "/" + o.scope + "/operations/" + o.name,
		InsertTime: o.inserted.Format(time.RFC3339Nano), StartTime: o.inserted.Format(time.RFC3339Nano),
		Status: "RUNNING", User: "fake@gcptest",
	}
	if strings.HasPrefix(o.scope, "zones/") {
		op.Zone = base + "projects/" + project + "/" + o.scope
	} else {
		op.Region = base + "projects/" + project + "/" + o.scope
	}
	if !now.Before(o.done) {
		op.Status, op.Progress, op.EndTime = "DONE", 100, o.done.Format(time.RFC3339Nano)
		if len(o.codes) > 0 {
			op.Error = &compute.OperationError{}
			for i := range o.codes {
				op.Error.Errors = append(op.Error.Errors, &compute.OperationErrorErrors{Code: o.codes[i], Message: o.messages[i]})
			}
			op.HttpErrorStatusCode, op.HttpErrorMessage = 400, "BAD REQUEST"
		}
	}
	return op
}
