package gcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/shadowscale/shadowscale/actuator"
)

// Managed instance states that make an instance ready, and an
// operation's finished status.
const (
	statusRunning = "RUNNING"
	actionNone    = "NONE"
	statusDone    = "DONE"
)

// Config names one managed instance group.
type Config struct {
	// Project is the project ID. Required.
	Project string
	// Zone is the zone of a zonal group, e.g. "europe-west1-b". Exactly
	// one of Zone and Region is set.
	Zone string
	// Region is the region of a regional group, e.g. "europe-west1".
	// Exactly one of Zone and Region is set.
	Region string
	// Name is the instance group manager's name. Required.
	Name string
	// MinSize and MaxSize bound the sizes Scale sets; a target outside
	// is clamped and reported with a [*LimitedError]. A managed instance
	// group has no limits of its own (an autoscaler's are refused, see
	// Scale). MaxSize zero means Compute Engine's largest group: 1000
	// instances zonal, 2000 regional.
	MinSize, MaxSize int
	// NoWait makes Scale return once the resize operation is accepted.
	// By default Scale waits (under its context) for the operation to
	// finish, so that an operation that fails after it was accepted is
	// Scale's error.
	NoWait bool
}

// Compute Engine's largest managed instance groups.
const (
	maxZonalSize    = 1000
	maxRegionalSize = 2000
)

// Validate reports the first missing or conflicting field.
func (c Config) Validate() error {
	switch {
	case c.Project == "":
		return errors.New("gcp: Config.Project is empty")
	case c.Name == "":
		return errors.New("gcp: Config.Name is empty")
	case c.Zone == "" && c.Region == "":
		return errors.New("gcp: one of Config.Zone and Config.Region must be set")
	case c.Zone != "" && c.Region != "":
		return fmt.Errorf("gcp: only one of Config.Zone (%q) and Config.Region (%q) may be set", c.Zone, c.Region)
	case c.MinSize < 0:
		return fmt.Errorf("gcp: Config.MinSize (%d) is negative", c.MinSize)
	case c.MaxSize < 0:
		return fmt.Errorf("gcp: Config.MaxSize (%d) is negative", c.MaxSize)
	case c.MaxSize > c.limit():
		return fmt.Errorf("gcp: Config.MaxSize (%d) is above Compute Engine's limit of %d instances for a group", c.MaxSize, c.limit())
	case c.MinSize > c.maxSize():
		return fmt.Errorf("gcp: Config.MinSize (%d) is above the maximum size (%d)", c.MinSize, c.maxSize())
	}
	return nil
}

func (c Config) limit() int {
	if c.Region != "" {
		return maxRegionalSize
	}
	return maxZonalSize
}

// maxSize is MaxSize with its default.
func (c Config) maxSize() int {
	if c.MaxSize == 0 {
		return c.limit()
	}
	return c.MaxSize
}

// String names the group as its resource path.
func (c Config) String() string {
	if c.Region != "" {
		return "projects/" + c.Project + "/regions/" + c.Region + "/instanceGroupManagers/" + c.Name
	}
	return "projects/" + c.Project + "/zones/" + c.Zone + "/instanceGroupManagers/" + c.Name
}

// Group is an [actuator.Actuator] for one managed instance group. It holds
// no mutable state and is safe for concurrent use.
type Group struct {
	svc *compute.Service
	cfg Config
	// pause waits d between two waits for an operation that did not
	// finish within the API's own wait deadline (tests replace it).
	pause func(ctx context.Context, d time.Duration) error
}

var _ actuator.Actuator = (*Group)(nil)

// NewGroup returns an actuator for the group cfg names, called through svc
// (usually compute.NewService(ctx)).
func NewGroup(svc *compute.Service, cfg Config) (*Group, error) {
	if svc == nil {
		return nil, errors.New("gcp: NewGroup: service is nil")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Group{svc: svc, cfg: cfg, pause: sleep}, nil
}

// Config returns the group's configuration.
func (g *Group) Config() Config { return g.cfg }

// Scale resizes the group to target instances:
//
//  1. A group an autoscaler is attached to (status.autoscaler set) is
//     refused with a permanent [ErrAutoscalerAttached]: the autoscaler
//     would resize it back, and the two would fight.
//  2. A target outside [MinSize, MaxSize] is clamped to the nearest limit;
//     the group is resized there and Scale returns a permanent
//     [*LimitedError] saying so.
//  3. A group whose targetSize already is the (clamped) target is left
//     alone.
//
// It returns once the resize operation is done (or, with Config.NoWait,
// once it is accepted), waiting with the API's operations wait method; an
// operation that ends with an error is returned as an [*OperationError],
// permanent or transient by its error codes. When ctx ends first, the
// error says so and the resize may still complete: the Controller's retry
// finds the group at its target and leaves it.
func (g *Group) Scale(ctx context.Context, target int) error {
	if target < 0 {
		return actuator.Permanent(fmt.Errorf("gcp: scale %s to %d: %w", g.cfg, target, actuator.ErrInvalidTarget))
	}
	m, err := g.get(ctx)
	if err != nil {
		return fmt.Errorf("gcp: scale %s to %d: get: %w", g.cfg, target, classify(err))
	}
	if m.Status != nil && m.Status.Autoscaler != "" {
		return actuator.Permanent(fmt.Errorf("gcp: scale %s to %d: %w: %s", g.cfg, target, ErrAutoscalerAttached, m.Status.Autoscaler))
	}
	lo, hi := g.cfg.MinSize, g.cfg.maxSize()
	applied := min(max(target, lo), hi)
	if int64(applied) != m.TargetSize {
		if err := g.resize(ctx, applied); err != nil {
			return fmt.Errorf("gcp: scale %s to %d: %w", g.cfg, applied, err)
		}
	}
	if applied != target {
		return limitedError(g.cfg.String(), target, applied, lo, hi)
	}
	return nil
}

func (g *Group) resize(ctx context.Context, size int) error {
	var (
		op  *compute.Operation
		err error
	)
	if g.cfg.Region != "" {
		op, err = g.svc.RegionInstanceGroupManagers.Resize(g.cfg.Project, g.cfg.Region, g.cfg.Name, int64(size)).Context(ctx).Do()
	} else {
		op, err = g.svc.InstanceGroupManagers.Resize(g.cfg.Project, g.cfg.Zone, g.cfg.Name, int64(size)).Context(ctx).Do()
	}
	if err != nil {
		return fmt.Errorf("resize: %w", classify(err))
	}
	if op != nil && op.Status != statusDone && !g.cfg.NoWait {
		if op, err = g.wait(ctx, op.Name); err != nil {
			return err
		}
	}
	if op != nil && op.Error != nil && len(op.Error.Errors) > 0 {
		return classifyOperation(operationError(op))
	}
	return nil
}

// wait waits for the operation name to be DONE. The API's wait method
// blocks until then or for about two minutes; between answers not yet
// DONE, it pauses a little longer each time (0.5 s doubling to 8 s).
func (g *Group) wait(ctx context.Context, name string) (*compute.Operation, error) {
	for pause := 500 * time.Millisecond; ; pause = min(2*pause, 8*time.Second) {
		var (
			op  *compute.Operation
			err error
		)
		if g.cfg.Region != "" {
			op, err = g.svc.RegionOperations.Wait(g.cfg.Project, g.cfg.Region, name).Context(ctx).Do()
		} else {
			op, err = g.svc.ZoneOperations.Wait(g.cfg.Project, g.cfg.Zone, name).Context(ctx).Do()
		}
		if err != nil {
			return nil, fmt.Errorf("wait for resize operation %s: %w", name, classify(err))
		}
		if op.Status == statusDone {
			return op, nil
		}
		if err := g.pause(ctx, pause); err != nil {
			return nil, fmt.Errorf("wait for resize operation %s (%s): %w", name, op.Status, err)
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Current reports the group's targetSize and its instances that are
// running with no current action. Both come from one
// instanceGroupManagers.get (targetSize and currentActions.none: one call
// per pass, one snapshot of the group) unless the group has a standby pool
// (targetStoppedSize or targetSuspendedSize): its stopped and suspended
// instances have no current action either, so Ready then counts the
// instances listManagedInstances shows RUNNING with currentAction NONE.
func (g *Group) Current(ctx context.Context) (actuator.State, error) {
	m, err := g.get(ctx)
	if err != nil {
		return actuator.State{}, fmt.Errorf("gcp: read %s: get: %w", g.cfg, classify(err))
	}
	st := actuator.State{Desired: int(m.TargetSize)}
	if m.TargetStoppedSize == 0 && m.TargetSuspendedSize == 0 && m.CurrentActions != nil {
		st.Ready = int(m.CurrentActions.None)
		return st, nil
	}
	if st.Ready, err = g.runningReady(ctx); err != nil {
		return actuator.State{}, fmt.Errorf("gcp: read %s: list managed instances: %w", g.cfg, classify(err))
	}
	return st, nil
}

// runningReady counts the managed instances that are RUNNING with no
// current action.
func (g *Group) runningReady(ctx context.Context) (int, error) {
	ready := 0
	count := func(ms []*compute.ManagedInstance) {
		for _, m := range ms {
			if m != nil && m.InstanceStatus == statusRunning && m.CurrentAction == actionNone {
				ready++
			}
		}
	}
	var err error
	if g.cfg.Region != "" {
		err = g.svc.RegionInstanceGroupManagers.ListManagedInstances(g.cfg.Project, g.cfg.Region, g.cfg.Name).
			Pages(ctx, func(r *compute.RegionInstanceGroupManagersListInstancesResponse) error {
				count(r.ManagedInstances)
				return nil
			})
	} else {
		err = g.svc.InstanceGroupManagers.ListManagedInstances(g.cfg.Project, g.cfg.Zone, g.cfg.Name).
			Pages(ctx, func(r *compute.InstanceGroupManagersListManagedInstancesResponse) error {
				count(r.ManagedInstances)
				return nil
			})
	}
	return ready, err
}

func (g *Group) get(ctx context.Context) (*compute.InstanceGroupManager, error) {
	if g.cfg.Region != "" {
		return g.svc.RegionInstanceGroupManagers.Get(g.cfg.Project, g.cfg.Region, g.cfg.Name).Context(ctx).Do()
	}
	return g.svc.InstanceGroupManagers.Get(g.cfg.Project, g.cfg.Zone, g.cfg.Name).Context(ctx).Do()
}
