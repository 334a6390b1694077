package operator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/ptr"

	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// journal is the order of what the replicas and the API server did.
type journal struct {
	mu    sync.Mutex
	lines []string
	times []time.Time
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, fmt.Sprintf(format, args...))
	j.times = append(j.times, time.Now())
}

func (j *journal) index(line string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, l := range j.lines {
		if l == line {
			return i
		}
	}
	return -1
}

func (j *journal) time(line string) time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, l := range j.lines {
		if l == line {
			return j.times[i]
		}
	}
	return time.Time{}
}

// sinkRecorder is a replica's fleet as the elections see it.
type sinkRecorder struct {
	id   string
	j    *journal
	mu   sync.Mutex
	held map[int]bool
}

func (s *sinkRecorder) gain(term context.Context, shard int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if term.Err() != nil || s.held[shard] {
		return
	}
	s.held[shard] = true
	s.j.add("%s gain %d", s.id, shard)
}

func (s *sinkRecorder) lose(shard int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.held[shard] {
		return
	}
	delete(s.held, shard)
	s.j.add("%s lose %d", s.id, shard)
}

func (s *sinkRecorder) shards() map[int]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]bool{}
	for k := range s.held {
		out[k] = true
	}
	return out
}

const (
	testLease = 3 * time.Second
	testRenew = 2 * time.Second
	testRetry = 400 * time.Millisecond
)

// leaseServer is a fake API server for Leases with optimistic concurrency;
// it journals every release (an update that clears the holder).
func leaseServer(j *journal) *fake.Clientset {
	cs := fake.NewClientset()
	versioned(cs, "leases")
	cs.PrependReactor("update", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		l := a.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease)
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
			j.add("release %s", l.Name)
		}
		return false, nil, nil
	})
	return cs
}

func electCfg(cs *fake.Clientset, id string) electionConfig {
	return electionConfig{client: cs, namespace: "ops", identity: id,
		leaseDuration: testLease, renewDeadline: testRenew, retryPeriod: testRetry, log: quietLog()}
}

// startElect runs a replica's elections until the returned stop.
func startElect(cs *fake.Clientset, id string, shards int, sink shardSink) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- elect(ctx, electCfg(cs, id), shards, sink) }()
	return func() error { cancel(); return <-done }
}

func TestElectionBalancesShardsAndHandsThemOverOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &journal{}
		cs := leaseServer(j)
		a := &sinkRecorder{id: "a", j: j, held: map[int]bool{}}
		b := &sinkRecorder{id: "b", j: j, held: map[int]bool{}}
		stopA := startElect(cs, "a", 4, a)
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Len(t, a.shards(), 4, "alone, the first replica took every shard")

		// b joins: a releases the shards above its share, 2 of 4, and b
		// takes them as soon as its watch shows them released.
		joined := time.Now()
		stopB := startElect(cs, "b", 4, b)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		assert.Equal(t, map[int]bool{0: true, 1: true}, a.shards(), "a keeps its lowest shards")
		assert.Equal(t, map[int]bool{2: true, 3: true}, b.shards(), "b holds the others")
		for _, i := range []int{2, 3} {
			lose, release, gain := j.index(fmt.Sprintf("a lose %d", i)), j.index("release "+LeaseName(i)), j.index(fmt.Sprintf("b gain %d", i))
			require.GreaterOrEqual(t, lose, 0)
			assert.Less(t, lose, release, "shard %d stopped before its Lease was released", i)
			assert.Less(t, release, gain, "shard %d released before b gained it", i)
			took := j.time(fmt.Sprintf("b gain %d", i)).Sub(joined)
			assert.Less(t, took, testRetry, "shard %d balanced %v after b joined, without waiting for a poll", i, took)
		}

		// A graceful stop: a stops each shard before it releases its
		// Lease, and b takes each at once, not at its next poll.
		stopped := time.Now()
		require.NoError(t, stopA())
		assert.Empty(t, a.shards())
		for _, i := range []int{0, 1} {
			lose, release := j.index(fmt.Sprintf("a lose %d", i)), j.index("release "+LeaseName(i))
			require.GreaterOrEqual(t, lose, 0)
			require.GreaterOrEqual(t, release, 0, "shard %d's Lease was released", i)
			assert.Less(t, lose, release, "shard %d stopped before its Lease was released", i)
		}
		time.Sleep(testLease)
		synctest.Wait()
		assert.Len(t, b.shards(), 4, "the other replica took every shard over")
		for _, i := range []int{0, 1} {
			took := j.time(fmt.Sprintf("b gain %d", i)).Sub(stopped)
			assert.Less(t, took, testRetry/2, "shard %d moved %v after the release, without waiting for a poll", i, took)
		}
		require.NoError(t, stopB())
		_, err := cs.CoordinationV1().Leases("ops").Get(t.Context(), MemberLeaseName("a"), metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "a stopped gracefully and deleted its membership Lease: %v", err)
	})
}

func TestElectionStopsTheShardBeforeTheLeaseExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &journal{}
		cs := leaseServer(j)
		// a's writes start failing (a partition) once it holds the shard.
		var mu sync.Mutex
		partitioned := false
		var lastOK time.Time
		cs.PrependReactor("*", "leases", func(act k8stesting.Action) (bool, runtime.Object, error) {
			u, ok := act.(k8stesting.UpdateAction)
			if !ok {
				return false, nil, nil
			}
			l := u.GetObject().(*coordinationv1.Lease)
			mu.Lock()
			defer mu.Unlock()
			if l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity == "a" {
				if partitioned {
					return true, nil, errors.New("connection refused")
				}
				lastOK = time.Now()
			}
			return false, nil, nil
		})
		a := &sinkRecorder{id: "a", j: j, held: map[int]bool{}}
		b := &sinkRecorder{id: "b", j: j, held: map[int]bool{}}
		stopA := startElect(cs, "a", 1, a)
		time.Sleep(time.Second)
		stopB := startElect(cs, "b", 1, b)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		require.True(t, a.shards()[0])
		mu.Lock()
		partitioned = true
		mu.Unlock()
		time.Sleep(4 * testLease)
		synctest.Wait()

		mu.Lock()
		renewed := lastOK
		mu.Unlock()
		lost := j.time("a lose 0")
		require.False(t, lost.IsZero(), "a stopped the shard")
		assert.LessOrEqual(t, lost.Sub(renewed), testRenew+testRetry, "a stopped within the renew deadline of its last renewal")
		assert.Less(t, lost.Sub(renewed), testLease, "…before its Lease could expire")
		gained := j.time("b gain 0")
		require.False(t, gained.IsZero(), "b took the shard over")
		assert.Less(t, j.index("a lose 0"), j.index("b gain 0"), "never both at once")
		assert.LessOrEqual(t, gained.Sub(renewed), testLease+2*testRetry, "b took over once the Lease expired")
		require.NoError(t, stopA())
		require.NoError(t, stopB())
	})
}

func TestElectionCountsOutAndDeletesAKilledReplicasMembership(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &journal{}
		cs := leaseServer(j)
		// z was killed: its membership Lease stays, never renewed again.
		now := metav1.NewMicroTime(time.Now())
		_, err := cs.CoordinationV1().Leases("ops").Create(t.Context(), &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: MemberLeaseName("z")},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("z"), LeaseDurationSeconds: ptr.To(int32(3)),
				RenewTime: &now, AcquireTime: &now},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		a := &sinkRecorder{id: "a", j: j, held: map[int]bool{}}
		stopA := startElect(cs, "a", 4, a)
		synctest.Wait()
		assert.Len(t, a.shards(), 2, "first seen, z counts for a lease duration: a takes half")
		time.Sleep(testLease + testRetry)
		synctest.Wait()
		assert.Len(t, a.shards(), 4, "z's membership expired: a takes the rest")
		time.Sleep(testLease)
		synctest.Wait()
		_, err = cs.CoordinationV1().Leases("ops").Get(t.Context(), MemberLeaseName("z"), metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "z's membership Lease deleted a lease duration after it expired: %v", err)
		_, err = cs.CoordinationV1().Leases("ops").Get(t.Context(), MemberLeaseName("a"), metav1.GetOptions{})
		assert.NoError(t, err, "a's own stays")
		require.NoError(t, stopA())
	})
}

// journalFactory makes scalers whose passes block until their context
// ends, journaling when each ends.
type journalFactory struct{ j *journal }

func (f journalFactory) newScaler(*v1alpha1.PredictiveScaler) (scaler, error) {
	return journalScaler(f), nil
}

func (journalFactory) fail(context.Context, *v1alpha1.PredictiveScaler, error) {}

type journalScaler struct{ j *journal }

func (journalScaler) interval() time.Duration { return time.Second }

func (s journalScaler) pass(ctx context.Context, _ time.Time) {
	s.j.add("pass started")
	<-ctx.Done()
	s.j.add("pass ended")
}

// TestElectionCancelsAPassInFlightBeforeTheShardCanMove: a pass in flight
// (a scale on its way) is cancelled, and has returned, before the shard's
// Lease is released on a graceful stop, and before the Lease can expire
// when renewals fail: it can never apply after another replica may hold
// the shard.
func TestElectionCancelsAPassInFlightBeforeTheShardCanMove(t *testing.T) {
	run := func(t *testing.T, partition bool) {
		j := &journal{}
		cs := leaseServer(j)
		var mu sync.Mutex
		partitioned := false
		var lastOK time.Time
		cs.PrependReactor("update", "leases", func(act k8stesting.Action) (bool, runtime.Object, error) {
			l := act.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease)
			mu.Lock()
			defer mu.Unlock()
			if l.Name == LeaseName(0) && ptr.Deref(l.Spec.HolderIdentity, "") == "a" {
				if partitioned {
					return true, nil, errors.New("connection refused")
				}
				lastOK = time.Now()
			}
			return false, nil, nil
		})
		fl := newFleet(1, 1, journalFactory{j}, quietLog())
		fl.jitter = func(time.Duration) time.Duration { return 0 }
		stopFleet := startFleet(t, fl)
		defer stopFleet()
		fl.upsert(obj("a", 1))
		stop := startElect(cs, "a", 1, fl)
		time.Sleep(time.Second)
		synctest.Wait()
		require.Equal(t, 0, j.index("pass started"), "a pass is in flight")
		if partition {
			mu.Lock()
			partitioned = true
			mu.Unlock()
			time.Sleep(2 * testLease)
			synctest.Wait()
			mu.Lock()
			expires := lastOK.Add(testLease)
			mu.Unlock()
			ended := j.time("pass ended")
			require.False(t, ended.IsZero(), "the pass was cancelled")
			assert.True(t, ended.Before(expires), "the pass returned %v before the Lease could expire", expires.Sub(ended))
		} else {
			require.NoError(t, stop())
			ended, released := j.index("pass ended"), j.index("release "+LeaseName(0))
			require.GreaterOrEqual(t, released, 0)
			assert.Less(t, ended, released, "the pass returned before the Lease was released: %v", j.lines)
			return
		}
		require.NoError(t, stop())
	}
	t.Run("graceful", func(t *testing.T) { synctest.Test(t, func(t *testing.T) { run(t, false) }) })
	t.Run("partition", func(t *testing.T) { synctest.Test(t, func(t *testing.T) { run(t, true) }) })
}

// A free shard Lease the replica is at its share for is shown to the
// elector as held, so that client-go waits without a write the balancer
// would refuse (and client-go would log as a failure on every retry); below
// its share, the Lease is shown as it is.
func TestGuardedLockShowsAFreeLeaseAsHeldAtShare(t *testing.T) {
	cs := fake.NewClientset()
	b := newBalancer(electCfg(cs, "a"), 4, &sinkRecorder{id: "a", j: &journal{}, held: map[int]bool{}})
	b.observe(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: MemberLeaseName("b"), ResourceVersion: "1"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("b")}}, time.Now()) // two live replicas: a share of 2
	lock := func(shard int) *guardedLock {
		return &guardedLock{e: b.elections[shard], Interface: &resourcelock.LeaseLock{
			LeaseMeta: metav1.ObjectMeta{Namespace: "ops", Name: LeaseName(shard)}, Client: cs.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: "a"}}}
	}
	_, _, err := lock(2).Get(t.Context())
	assert.True(t, apierrors.IsNotFound(err), "below its share: %v", err)

	for _, s := range []int{0, 1} {
		claimed, err := b.claim(s, false)
		require.NoError(t, err)
		require.True(t, claimed)
	}
	rec, _, err := lock(2).Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, balancedHolder, rec.HolderIdentity, "at its share, a missing Lease shows as held")
	_, err = cs.CoordinationV1().Leases("ops").Create(t.Context(), &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: LeaseName(3)},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("")}}, metav1.CreateOptions{})
	require.NoError(t, err)
	rec, _, err = lock(3).Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, balancedHolder, rec.HolderIdentity, "and so does a released one")
	rec, _, err = lock(0).Get(t.Context())
	assert.True(t, apierrors.IsNotFound(err), "a shard it claimed is shown as it is: %v %+v", err, rec)

	_, err = b.claim(2, false)
	var refused errAtShare
	assert.ErrorAs(t, err, &refused, "the write still asks the balancer")
}
