package operator

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// A scaler is the running side of one PredictiveScaler generation.
type scaler interface {
	// interval is the time between passes.
	interval() time.Duration
	// pass runs one pass at now and writes its outcome. It returns when
	// ctx ends, without writing anything after that.
	pass(ctx context.Context, now time.Time)
}

// scalerFactory makes the scaler of a PredictiveScaler, or reports why it
// cannot (fail runs once per generation, on the shard's holder only).
type scalerFactory interface {
	newScaler(obj *v1alpha1.PredictiveScaler) (scaler, error)
	fail(ctx context.Context, obj *v1alpha1.PredictiveScaler, err error)
}

// fleet runs the scalers of the PredictiveScalers whose shard this replica
// holds: every replica tells it about every object (upsert, remove) and
// about the shards it gains and loses; it starts a scaler when both the
// object and its shard are here, rebuilds it when the object's generation
// changes, and stops it — cancelling a pass in flight and waiting for it —
// when the object goes or its shard is lost. Each scaler runs its passes on
// its own ticker, phase-shifted by a random jitter so that objects with the
// same interval do not pass together, and every pass waits for one of a
// bounded number of worker slots.
type fleet struct {
	shards  int
	factory scalerFactory
	workers chan struct{}
	// jitter returns the delay of a scaler's first pass, in [0, interval).
	jitter func(interval time.Duration) time.Duration
	log    *slog.Logger

	mu   sync.Mutex
	ctx  context.Context // parent of every scaler; set by run
	objs map[types.NamespacedName]*entry
	held []bool
	wg   sync.WaitGroup
}

// entry is one PredictiveScaler as the fleet knows it.
type entry struct {
	obj *v1alpha1.PredictiveScaler
	run *running // nil while not running
}

// running is a started scaler (or the report of its failure).
type running struct {
	uid    types.UID
	gen    int64
	cancel context.CancelFunc
	done   chan struct{}
}

func newFleet(shards, workers int, factory scalerFactory, log *slog.Logger) *fleet {
	return &fleet{
		shards:  shards,
		factory: factory,
		workers: make(chan struct{}, workers),
		jitter:  defaultJitter,
		log:     log,
		objs:    map[types.NamespacedName]*entry{},
		held:    make([]bool, shards),
	}
}

// defaultJitter spreads first passes over a tenth of the interval: wide
// enough to keep thousands of objects from passing in the same instant,
// short enough that a started or moved object passes soon.
func defaultJitter(interval time.Duration) time.Duration {
	span := int64(interval / 10)
	if span <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(span))
}

// run sets the context the scalers run under and blocks until it ends;
// then it stops every scaler and waits for them.
func (f *fleet) run(ctx context.Context) error {
	f.mu.Lock()
	f.ctx = ctx
	for shard, held := range f.held {
		if held {
			f.startShardLocked(shard)
		}
	}
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	for i := range f.held {
		f.held[i] = false
	}
	var stops []*running
	for _, e := range f.objs {
		if e.run != nil {
			stops = append(stops, e.run)
			e.run = nil
		}
	}
	f.mu.Unlock()
	stopAll(stops)
	f.wg.Wait()
	return nil
}

func (f *fleet) shardOf(key types.NamespacedName) int {
	return ShardOf(key.Namespace, key.Name, f.shards)
}

// upsert records obj (the fleet keeps it: the caller must not modify it)
// and starts, keeps or restarts its scaler: a new generation, or an object
// deleted and made again under the same name, gets a new one.
func (f *fleet) upsert(obj *v1alpha1.PredictiveScaler) {
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.objs[key]
	if !ok {
		e = &entry{}
		f.objs[key] = e
	}
	e.obj = obj
	if !f.held[f.shardOf(key)] || f.ctx == nil {
		return
	}
	if e.run != nil && e.run.gen == obj.Generation && e.run.uid == obj.UID {
		return
	}
	if e.run != nil {
		stopAll([]*running{e.run})
		e.run = nil
	}
	f.startLocked(e)
}

// remove stops the scaler of key, if any, and forgets the object.
func (f *fleet) remove(key types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.objs[key]
	if !ok {
		return
	}
	delete(f.objs, key)
	if e.run != nil {
		stopAll([]*running{e.run})
	}
}

// gain starts the scalers of shard's objects, unless term has ended (the
// Lease was lost again before gain ran).
func (f *fleet) gain(term context.Context, shard int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held[shard] || term.Err() != nil {
		return
	}
	f.held[shard] = true
	if f.ctx != nil {
		f.startShardLocked(shard)
	}
	f.log.Info("shard gained", "shard", shard)
}

// lose stops the scalers of shard's objects and returns once none of them
// runs a pass any more.
func (f *fleet) lose(shard int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.held[shard] {
		return
	}
	f.held[shard] = false
	var stops []*running
	for key, e := range f.objs {
		if e.run != nil && f.shardOf(key) == shard {
			stops = append(stops, e.run)
			e.run = nil
		}
	}
	stopAll(stops)
	f.log.Info("shard lost", "shard", shard, "stopped", len(stops))
}

// runningKeys reports the objects whose scaler runs, with the generation
// it runs.
func (f *fleet) runningKeys() map[types.NamespacedName]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[types.NamespacedName]int64{}
	for key, e := range f.objs {
		if e.run != nil {
			out[key] = e.run.gen
		}
	}
	return out
}

func (f *fleet) startShardLocked(shard int) {
	for key, e := range f.objs {
		if e.run == nil && f.shardOf(key) == shard {
			f.startLocked(e)
		}
	}
}

// startLocked builds e's scaler and starts its loop, or reports why it
// cannot be built; either way e.run records the generation, so a failed
// one is not retried until the spec changes.
func (f *fleet) startLocked(e *entry) {
	ctx, cancel := context.WithCancel(f.ctx)
	r := &running{uid: e.obj.UID, gen: e.obj.Generation, cancel: cancel, done: make(chan struct{})}
	e.run = r
	obj := e.obj
	sc, err := f.factory.newScaler(obj)
	f.wg.Add(1)
	if err != nil {
		go func() {
			defer f.wg.Done()
			defer close(r.done)
			f.factory.fail(ctx, obj, err)
		}()
		return
	}
	go func() {
		defer f.wg.Done()
		defer close(r.done)
		f.loop(ctx, sc)
	}()
}

// loop runs sc's passes: the first after the jitter, then one per interval
// (a pass that overruns skips the ticks it missed).
func (f *fleet) loop(ctx context.Context, sc scaler) {
	iv := sc.interval()
	first := time.NewTimer(f.jitter(iv))
	defer first.Stop()
	select {
	case <-ctx.Done():
		return
	case <-first.C:
	}
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case f.workers <- struct{}{}:
		}
		sc.pass(ctx, time.Now())
		<-f.workers
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stopAll cancels every scaler first, so that they stop together, then
// waits for each.
func stopAll(rs []*running) {
	for _, r := range rs {
		r.cancel()
	}
	for _, r := range rs {
		<-r.done
	}
}
