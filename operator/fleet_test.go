package operator

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// fakeFactory makes fakeScalers that record their passes.
type fakeFactory struct {
	mu       sync.Mutex
	every    time.Duration
	block    bool // passes wait for their context to end
	failGen  map[string]int64
	passes   map[string][]time.Time // by name
	active   int                    // passes in flight
	maxSeen  int                    // most passes in flight at once
	failed   map[string]int         // fail calls by name
	canceled map[string]int         // passes that saw their context end
}

func newFakeFactory(every time.Duration) *fakeFactory {
	return &fakeFactory{every: every, failGen: map[string]int64{}, passes: map[string][]time.Time{},
		failed: map[string]int{}, canceled: map[string]int{}}
}

func (f *fakeFactory) newScaler(obj *v1alpha1.PredictiveScaler) (scaler, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.failGen[obj.Name]; ok && g == obj.Generation {
		return nil, errors.New("bad spec")
	}
	return &fakeScaler{f: f, name: obj.Name}, nil
}

func (f *fakeFactory) fail(_ context.Context, obj *v1alpha1.PredictiveScaler, _ error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed[obj.Name]++
}

func (f *fakeFactory) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.passes[name])
}

type fakeScaler struct {
	f    *fakeFactory
	name string
}

func (s *fakeScaler) interval() time.Duration { return s.f.every }

func (s *fakeScaler) pass(ctx context.Context, now time.Time) {
	f := s.f
	f.mu.Lock()
	f.passes[s.name] = append(f.passes[s.name], now)
	f.active++
	f.maxSeen = max(f.maxSeen, f.active)
	block := f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
	} else {
		// A pass takes a little time, so that concurrent ones overlap.
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	f.mu.Lock()
	f.active--
	if ctx.Err() != nil {
		f.canceled[s.name]++
	}
	f.mu.Unlock()
}

func obj(name string, gen int64) *v1alpha1.PredictiveScaler {
	return &v1alpha1.PredictiveScaler{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Generation: gen}}
}

// namesInShard returns n object names whose shard (of shards) is shard.
func namesInShard(t *testing.T, shard, shards, n int) []string {
	t.Helper()
	var out []string
	for i := 0; len(out) < n; i++ {
		name := "obj-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if ShardOf("ns", name, shards) == shard {
			out = append(out, name)
		}
		require.Less(t, i, 10000)
	}
	return out
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startFleet runs f until the test's bubble ends it.
func startFleet(t *testing.T, f *fleet) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = f.run(ctx); close(done) }()
	synctest.Wait()
	return func() { cancel(); <-done }
}

func TestFleetRunsOnlyHeldShards(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(10 * time.Second)
		f := newFleet(2, 4, ff, quietLog())
		f.jitter = func(time.Duration) time.Duration { return 0 }
		stop := startFleet(t, f)
		defer stop()
		a := namesInShard(t, 0, 2, 1)[0]
		b := namesInShard(t, 1, 2, 1)[0]
		f.upsert(obj(a, 1))
		f.upsert(obj(b, 1))
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Zero(t, ff.count(a), "no shard held: nothing runs")
		assert.Zero(t, ff.count(b))

		f.gain(t.Context(), 0)
		time.Sleep(35 * time.Second)
		synctest.Wait()
		assert.Equal(t, 4, ff.count(a), "passes at 0, 10, 20, 30s after the gain")
		assert.Zero(t, ff.count(b), "shard 1 is not held")
		assert.Equal(t, map[types.NamespacedName]int64{{Namespace: "ns", Name: a}: 1}, f.runningKeys())
	})
}

func TestFleetLoseStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(10 * time.Second)
		ff.block = true
		f := newFleet(1, 4, ff, quietLog())
		f.jitter = func(time.Duration) time.Duration { return 0 }
		stop := startFleet(t, f)
		defer stop()
		f.upsert(obj("a", 1))
		f.gain(t.Context(), 0)
		synctest.Wait()
		require.Equal(t, 1, ff.count("a"), "the pass is in flight")
		before := time.Now()
		f.lose(0)
		assert.Equal(t, before, time.Now(), "lose returned with no time passing")
		ff.mu.Lock()
		assert.Equal(t, 1, ff.canceled["a"], "the pass in flight was cancelled and ended before lose returned")
		assert.Zero(t, ff.active)
		ff.mu.Unlock()
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Equal(t, 1, ff.count("a"), "no pass after the loss")
		assert.Empty(t, f.runningKeys())

		f.gain(t.Context(), 0)
		synctest.Wait()
		assert.Equal(t, 2, ff.count("a"), "a regained shard runs again")
	})
}

func TestFleetGainAfterTermEndedIsIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(10 * time.Second)
		f := newFleet(1, 4, ff, quietLog())
		stop := startFleet(t, f)
		defer stop()
		f.upsert(obj("a", 1))
		term, end := context.WithCancel(t.Context())
		end()
		f.gain(term, 0)
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Zero(t, ff.count("a"))
	})
}

func TestFleetRestartsOnNewGeneration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(10 * time.Second)
		ff.block = true
		f := newFleet(1, 4, ff, quietLog())
		f.jitter = func(time.Duration) time.Duration { return 0 }
		stop := startFleet(t, f)
		defer stop()
		f.gain(t.Context(), 0)
		f.upsert(obj("a", 1))
		synctest.Wait()
		require.Equal(t, 1, ff.count("a"))
		f.upsert(obj("a", 1))
		synctest.Wait()
		assert.Equal(t, 1, ff.count("a"), "same generation: the scaler keeps running")
		f.upsert(obj("a", 2))
		synctest.Wait()
		assert.Equal(t, 2, ff.count("a"), "new generation: a new scaler passes")
		ff.mu.Lock()
		assert.Equal(t, 1, ff.canceled["a"], "the old scaler was stopped")
		ff.mu.Unlock()
		key := types.NamespacedName{Namespace: "ns", Name: "a"}
		assert.Equal(t, map[types.NamespacedName]int64{key: 2}, f.runningKeys())

		again := obj("a", 2)
		again.UID = "recreated"
		f.upsert(again)
		synctest.Wait()
		assert.Equal(t, 3, ff.count("a"), "the same name made again: a new scaler")

		f.remove(key)
		assert.Empty(t, f.runningKeys())
		ff.mu.Lock()
		assert.Equal(t, 3, ff.canceled["a"], "remove stopped it")
		ff.mu.Unlock()
	})
}

func TestFleetFailureReportedOncePerGeneration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(10 * time.Second)
		ff.failGen["a"] = 1
		f := newFleet(1, 4, ff, quietLog())
		stop := startFleet(t, f)
		defer stop()
		f.gain(t.Context(), 0)
		f.upsert(obj("a", 1))
		f.upsert(obj("a", 1))
		time.Sleep(time.Minute)
		synctest.Wait()
		ff.mu.Lock()
		assert.Equal(t, 1, ff.failed["a"])
		ff.mu.Unlock()
		assert.Zero(t, ff.count("a"))
		f.upsert(obj("a", 2))
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Positive(t, ff.count("a"), "the fixed spec runs")
	})
}

func TestFleetBoundsConcurrentPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(time.Second)
		f := newFleet(1, 2, ff, quietLog())
		f.jitter = func(time.Duration) time.Duration { return 0 }
		stop := startFleet(t, f)
		defer stop()
		for _, n := range []string{"a", "b", "c", "d", "e"} {
			f.upsert(obj(n, 1))
		}
		f.gain(t.Context(), 0)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		ff.mu.Lock()
		defer ff.mu.Unlock()
		assert.Equal(t, 2, ff.maxSeen, "never more passes at once than workers")
	})
}

func TestFleetJitterSpreadsFirstPasses(t *testing.T) {
	for range 100 {
		d := defaultJitter(time.Minute)
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.Less(t, d, 6*time.Second)
	}
	assert.Zero(t, defaultJitter(5*time.Nanosecond))
}

func TestFleetStopsEverythingWhenRunEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ff := newFakeFactory(10 * time.Second)
		ff.block = true
		f := newFleet(1, 4, ff, quietLog())
		f.jitter = func(time.Duration) time.Duration { return 0 }
		stop := startFleet(t, f)
		f.gain(t.Context(), 0)
		f.upsert(obj("a", 1))
		synctest.Wait()
		stop()
		ff.mu.Lock()
		defer ff.mu.Unlock()
		assert.Equal(t, 1, ff.canceled["a"])
		assert.Zero(t, ff.active)
	})
}
