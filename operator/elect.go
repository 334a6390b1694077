package operator

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// shardSink is what the elections tell about the shards this replica
// holds: the fleet.
type shardSink interface {
	// gain starts running the shard, unless term has already ended.
	gain(term context.Context, shard int)
	// lose stops running the shard and returns once nothing of it runs.
	lose(shard int)
}

// electionConfig are the timings and names every shard's election shares.
type electionConfig struct {
	// client makes the elections' calls only, so that its rate limiter
	// never makes a renewal wait behind the passes' calls.
	client        kubernetes.Interface
	namespace     string
	identity      string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
	log           *slog.Logger
}

// elect runs this replica's side of the sharding until ctx ends, telling
// sink when it gains or loses each shard:
//   - a membership Lease (shadowscale-replica-<identity>) that it renews,
//     so that the replicas know how many they are;
//   - one client-go leader election per shard on the Lease
//     shadowscale-shard-<i>;
//   - a balancer that watches all those Leases, keeps this replica at its
//     fair share of the shards (it releases the excess, and refuses to
//     acquire above it) and reaches for a released shard as soon as the
//     watch shows it, rather than at the election's next poll.
//
// On the end of ctx it first removes its membership, so that the others
// count it out before its shards come free, then stops every shard and
// releases its Lease. It returns once all that is done.
func elect(ctx context.Context, cfg electionConfig, shards int, sink shardSink) error {
	b := newBalancer(cfg, shards, sink)
	// The informer outlives ctx: the others' Leases matter to the
	// elections until they have released theirs.
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	factory := informers.NewSharedInformerFactoryWithOptions(cfg.client, 0, informers.WithNamespace(cfg.namespace))
	defer func() {
		stopWatch()
		factory.Shutdown()
	}()
	if _, err := factory.Coordination().V1().Leases().Informer().AddEventHandler(b.handler()); err != nil {
		return fmt.Errorf("operator: lease informer: %w", err)
	}
	factory.Start(watchCtx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("operator: lease informer %v did not sync", typ)
		}
	}

	shardCtx, stopShards := context.WithCancel(context.WithoutCancel(ctx))
	defer stopShards()
	var wg sync.WaitGroup
	wg.Go(func() {
		(&membership{cfg: cfg}).run(ctx)
		stopShards()
	})
	errs := make(chan error, shards)
	for i := range shards {
		wg.Go(func() {
			if err := b.elections[i].run(shardCtx); err != nil {
				errs <- err
			}
		})
	}
	wg.Go(func() { b.run(shardCtx) })
	wg.Wait()
	close(errs)
	return <-errs
}

// shardElection is the election of one shard. Each term (client-go's
// LeaderElector.Run) acquires the Lease, holds it while renewals succeed,
// and ends when they stop, when the balancer releases the shard, or when
// it pokes a waiting term so that the next one tries at once; a new term
// then tries to acquire the Lease again.
//
// Two guards make sure no scaler runs while another replica may hold the
// Lease, tighter than client-go's callbacks alone:
//   - a watchdog stops the shard RenewDeadline after the last successful
//     renewal (client-go notices later: after its retries, and after its
//     release attempt, which can block for another RenewDeadline), and
//     ends the term;
//   - the Lease's release (ReleaseOnCancel, on a graceful stop or a
//     rebalance) waits until the shard's scalers have stopped, so that the
//     replica that takes the released Lease over at once never overlaps
//     with this one.
type shardElection struct {
	cfg   electionConfig
	shard int
	b     *balancer

	mu        sync.Mutex
	lastRenew time.Time // start of the last successful write holding the Lease
	endTerm   context.CancelFunc
	termStart time.Time
	leading   bool
	writing   int // Lease calls in flight
}

func (e *shardElection) run(ctx context.Context) error {
	for ctx.Err() == nil {
		term, endTerm := context.WithCancel(ctx)
		e.mu.Lock()
		e.endTerm, e.termStart, e.leading = endTerm, time.Now(), false
		e.mu.Unlock()
		lock := &guardedLock{
			Interface: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.namespace, Name: LeaseName(e.shard)},
				Client:     e.cfg.client.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: e.cfg.identity},
			},
			e: e,
		}
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   e.cfg.leaseDuration,
			RenewDeadline:   e.cfg.renewDeadline,
			RetryPeriod:     e.cfg.retryPeriod,
			ReleaseOnCancel: true,
			Name:            LeaseName(e.shard),
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lead context.Context) { e.lead(lead, endTerm) },
				OnStoppedLeading: func() { e.b.lose(e.shard) },
			},
		})
		if err != nil {
			endTerm()
			return fmt.Errorf("operator: leader election of shard %d: %w", e.shard, err)
		}
		le.Run(term)
		endTerm()
	}
	return nil
}

// minPoke is the youngest a waiting term may be for a poke to end it: a
// term tries at its start, so a younger one has just tried.
func (e *shardElection) minPoke() time.Duration { return e.cfg.retryPeriod / 4 }

// poke ends the current term if it is waiting for the Lease, with no
// call in flight, and has not just started: the next term tries to
// acquire the Lease at once.
func (e *shardElection) poke() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leading || e.writing > 0 || e.endTerm == nil || time.Since(e.termStart) < e.minPoke() {
		return
	}
	e.endTerm()
}

// release ends the current term if it leads: the term stops the shard,
// then releases its Lease.
func (e *shardElection) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leading && e.endTerm != nil {
		e.endTerm()
	}
}

// renewed records a successful write of the Lease that holds it; start is
// when the write began, the latest time the API server can have stamped.
func (e *shardElection) renewed(start time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if start.After(e.lastRenew) {
		e.lastRenew = start
	}
}

// lead runs while this replica leads the shard: it starts the shard, then
// stops it and ends the term when RenewDeadline passes with no successful
// renewal. client-go's own end of the term stops it too (OnStoppedLeading).
func (e *shardElection) lead(ctx context.Context, endTerm context.CancelFunc) {
	e.mu.Lock()
	e.leading = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.leading = false
		e.mu.Unlock()
	}()
	e.b.gain(ctx, e.shard)
	e.cfg.log.Info("leading shard", "shard", e.shard, "lease", LeaseName(e.shard), "identity", e.cfg.identity)
	for {
		e.mu.Lock()
		left := time.Until(e.lastRenew.Add(e.cfg.renewDeadline))
		e.mu.Unlock()
		if left <= 0 {
			e.cfg.log.Warn("shard lease not renewed in time: stopping", "shard", e.shard, "renew_deadline", e.cfg.renewDeadline)
			e.b.lose(e.shard)
			endTerm()
			return
		}
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// guardedLock is a shard's Lease lock. It reports its successful writes as
// the holder, runs the shard's loss before the write that releases the
// Lease, and asks the balancer before a write that acquires it: a free
// Lease (never held, or released) only while this replica is below its
// share; an expired one always, since its holder stopped renewing and its
// objects must not wait for the balance to catch up.
type guardedLock struct {
	resourcelock.Interface
	e *shardElection

	lastHolder string // holder of the record the last Get returned
}

func (l *guardedLock) begin() {
	l.e.mu.Lock()
	l.e.writing++
	l.e.mu.Unlock()
}

func (l *guardedLock) end() {
	l.e.mu.Lock()
	l.e.writing--
	l.e.mu.Unlock()
}

func (l *guardedLock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	l.begin()
	defer l.end()
	rec, raw, err := l.Interface.Get(ctx)
	l.lastHolder = ""
	if err == nil {
		l.lastHolder = rec.HolderIdentity
	}
	// A free Lease this replica is at its share for is shown to the
	// elector as held, so that it waits without writing: a write refused
	// by the balancer would be logged by client-go as a failure on every
	// retry. The write still asks the balancer (a race between the two).
	if free := apierrors.IsNotFound(err) || (err == nil && rec.HolderIdentity == ""); free && l.e.b.atShare(l.e.shard) != nil {
		return balancedRecord(), []byte(balancedHolder), nil
	}
	return rec, raw, err
}

// balancedHolder is the holder of the record a free Lease is shown as when
// the replica is at its share; no replica has this identity.
const balancedHolder = "(free; this replica holds its share)"

// balancedRecord is that record: valid as long as Get keeps returning it,
// since the elector counts a record's validity from when it last changed.
func balancedRecord() *resourcelock.LeaderElectionRecord {
	return &resourcelock.LeaderElectionRecord{HolderIdentity: balancedHolder, LeaseDurationSeconds: math.MaxInt32}
}

func (l *guardedLock) Create(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	return l.write(ctx, rec, l.Interface.Create)
}

func (l *guardedLock) Update(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	if rec.HolderIdentity == "" {
		l.e.b.lose(l.e.shard)
	}
	return l.write(ctx, rec, l.Interface.Update)
}

func (l *guardedLock) write(ctx context.Context, rec resourcelock.LeaderElectionRecord, do func(context.Context, resourcelock.LeaderElectionRecord) error) error {
	l.begin()
	defer l.end()
	mine := rec.HolderIdentity == l.Identity()
	claimed := false
	if mine {
		takeover := l.lastHolder != "" && l.lastHolder != l.Identity()
		var err error
		if claimed, err = l.e.b.claim(l.e.shard, takeover); err != nil {
			return err
		}
	}
	start := time.Now()
	err := do(ctx, rec)
	switch {
	case err == nil && mine:
		l.e.renewed(start)
	case err != nil && claimed:
		l.e.b.unclaim(l.e.shard)
	}
	return err
}
