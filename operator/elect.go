package operator

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
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
	client        kubernetes.Interface
	namespace     string
	identity      string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
	log           *slog.Logger
}

// elect runs one client-go leader election per shard on the Lease
// shadowscale-shard-<i> until ctx ends, telling sink when this replica
// gains or loses each shard. It returns when every election has stopped
// and released its Lease.
func elect(ctx context.Context, cfg electionConfig, shards int, sink shardSink) error {
	var wg sync.WaitGroup
	errs := make(chan error, shards)
	for i := range shards {
		wg.Go(func() {
			if err := (&shardElection{cfg: cfg, shard: i, sink: sink}).run(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// shardElection is the election of one shard. Each term (client-go's
// LeaderElector.Run) acquires the Lease, holds it while renewals succeed,
// and ends when they stop; a new term then tries to acquire it again.
//
// Two guards make sure no scaler runs while another replica may hold the
// Lease, tighter than client-go's callbacks alone:
//   - a watchdog stops the shard RenewDeadline after the last successful
//     renewal (client-go notices later: after its retries, and after its
//     release attempt, which can block for another RenewDeadline), and
//     ends the term;
//   - the Lease's release (ReleaseOnCancel, on a graceful stop) waits until
//     the shard's scalers have stopped, so that the replica that takes the
//     released Lease over at once never overlaps with this one.
type shardElection struct {
	cfg   electionConfig
	shard int
	sink  shardSink

	mu        sync.Mutex
	lastRenew time.Time // start of the last successful write holding the Lease
}

func (e *shardElection) run(ctx context.Context) error {
	for ctx.Err() == nil {
		term, endTerm := context.WithCancel(ctx)
		lock := &guardedLock{
			Interface: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.namespace, Name: LeaseName(e.shard)},
				Client:     e.cfg.client.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: e.cfg.identity},
			},
			renewed:       e.renewed,
			beforeRelease: func() { e.sink.lose(e.shard) },
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
				OnStoppedLeading: func() { e.sink.lose(e.shard) },
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
	e.sink.gain(ctx, e.shard)
	e.cfg.log.Info("leading shard", "shard", e.shard, "lease", LeaseName(e.shard), "identity", e.cfg.identity)
	for {
		e.mu.Lock()
		left := time.Until(e.lastRenew.Add(e.cfg.renewDeadline))
		e.mu.Unlock()
		if left <= 0 {
			e.cfg.log.Warn("shard lease not renewed in time: stopping", "shard", e.shard, "renew_deadline", e.cfg.renewDeadline)
			e.sink.lose(e.shard)
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

// guardedLock is a Lease lock that reports its successful writes as the
// holder and runs beforeRelease before the write that releases the Lease.
type guardedLock struct {
	resourcelock.Interface
	renewed       func(start time.Time)
	beforeRelease func()
}

func (l *guardedLock) Create(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	start := time.Now()
	err := l.Interface.Create(ctx, rec)
	if err == nil && rec.HolderIdentity == l.Identity() {
		l.renewed(start)
	}
	return err
}

func (l *guardedLock) Update(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	if rec.HolderIdentity == "" {
		l.beforeRelease()
	}
	start := time.Now()
	err := l.Interface.Update(ctx, rec)
	if err == nil && rec.HolderIdentity == l.Identity() {
		l.renewed(start)
	}
	return err
}
