package operator

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// leaseView is a Lease as one replica last observed it. Expiry is in the
// observer's clock — the time it saw the Lease change plus the Lease's
// duration — as client-go's leader election judges it, so that replicas
// with skewed clocks agree on it.
type leaseView struct {
	holder  string    // "" once released
	expires time.Time // observed change + lease duration
}

// live reports whether the Lease is held and unexpired at now.
func (v leaseView) live(now time.Time) bool {
	return v.holder != "" && now.Before(v.expires)
}

// balanceInput is what a replica knows when it balances the shards.
type balanceInput struct {
	now    time.Time
	self   string
	shards int
	// held are the shards this replica holds or is acquiring.
	held []int
	// leases are the shard Leases observed, by shard; a shard missing
	// has no Lease yet.
	leases map[int]leaseView
	// members are the replicas' membership Leases observed.
	members []leaseView
}

// balancePlan is what a replica should do about its shards.
type balancePlan struct {
	// live is how many replicas count: self, and every other replica with
	// a live membership Lease that holds no shard Lease it let expire.
	live int
	// share is the most shards this replica may hold: ceil(shards/live).
	share int
	// release are the held shards above the share, to hand over: the
	// highest-numbered ones, so that replicas keep the same shards across
	// rebalances.
	release []int
	// acquire are the free shards (no Lease, or a released one) to try at
	// once; empty when this replica is at its share.
	acquire []int
	// reason says why, with the numbers.
	reason string
}

// planBalance decides the shards a replica gives up or reaches for: each
// replica holds at most its fair share, ceil(shards / live replicas).
//
//  1. Count the live replicas: this one, and every other holder of an
//     unexpired membership Lease — unless it holds a shard Lease that has
//     expired, which a replica that runs renews: it is dead or cut off,
//     and waiting for its membership to expire too would delay the
//     takeover of its shards.
//  2. share = ceil(shards / live).
//  3. Above the share: release the excess, highest shards first.
//  4. Below it: reach for the free shards (never held, or released), so
//     that a released shard is taken at once rather than at the next poll.
//
// Expired shard Leases are not in acquire: client-go's election takes them
// over when it sees them expire, whatever the share (see guardedLock).
func planBalance(in balanceInput) balancePlan {
	var p balancePlan
	suspect := map[string]bool{}
	for _, l := range in.leases {
		if l.holder != "" && l.holder != in.self && !l.live(in.now) {
			suspect[l.holder] = true
		}
	}
	p.live = 1
	counted := map[string]bool{in.self: true}
	for _, m := range in.members {
		if m.live(in.now) && !counted[m.holder] && !suspect[m.holder] {
			counted[m.holder] = true
			p.live++
		}
	}
	p.share = (in.shards + p.live - 1) / p.live
	held := slices.Sorted(slices.Values(in.held))
	switch {
	case len(held) > p.share:
		p.release = slices.Clone(held[p.share:])
		p.reason = fmt.Sprintf("AboveShare: holds %d of %d shards, share %d with %d live replica(s): releases %v",
			len(held), in.shards, p.share, p.live, p.release)
	case len(held) < p.share:
		for s := range in.shards {
			l, ok := in.leases[s]
			if !slices.Contains(held, s) && (!ok || l.holder == "") {
				p.acquire = append(p.acquire, s)
			}
		}
		p.reason = fmt.Sprintf("BelowShare: holds %d of %d shards, share %d with %d live replica(s): free %v",
			len(held), in.shards, p.share, p.live, p.acquire)
	default:
		p.reason = fmt.Sprintf("AtShare: holds %d of %d shards, share %d with %d live replica(s)",
			len(held), in.shards, p.share, p.live)
	}
	return p
}

// nextExpiry is the first expiry of a live Lease after now, when a plan
// may change with no Lease changing; zero if none.
func nextExpiry(in balanceInput) time.Time {
	var next time.Time
	consider := func(v leaseView) {
		if v.live(in.now) && (next.IsZero() || v.expires.Before(next)) {
			next = v.expires
		}
	}
	for _, l := range in.leases {
		consider(l)
	}
	for _, m := range in.members {
		consider(m)
	}
	return next
}

// staleMembers names the membership Leases, of replicas other than self,
// that expired more than grace before now: replicas killed without
// deleting theirs. Deleted, they no longer count for a replica that
// starts and sees them for the first time (which would otherwise count
// them live for a lease duration).
func staleMembers(now time.Time, self string, grace time.Duration, members map[string]leaseView) []string {
	var out []string
	for name, m := range members {
		if m.holder != self && !m.expires.Add(grace).After(now) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// balancer keeps this replica at its share of the shards. It watches the
// shard and membership Leases of the lease namespace, plans on every
// change (and when a Lease it saw may expire), releases the shards above
// the share, pokes the elections of free shards below it, and is the gate
// every acquiring write of a shard Lease asks (claim).
type balancer struct {
	cfg       electionConfig
	shards    int
	sink      shardSink
	elections []*shardElection
	kick      chan struct{}

	mu      sync.Mutex
	leases  map[int]leaseView
	members map[string]leaseView // by Lease name
	seen    map[string]string    // resourceVersion observed, by Lease name
	claimed map[int]bool         // held or being acquired
	// collected are the stale membership Leases deleted (or tried), by
	// name, with their resourceVersion: each is tried once.
	collected map[string]string
}

func newBalancer(cfg electionConfig, shards int, sink shardSink) *balancer {
	b := &balancer{
		cfg: cfg, shards: shards, sink: sink,
		kick:    make(chan struct{}, 1),
		leases:  map[int]leaseView{},
		members: map[string]leaseView{},
		seen:    map[string]string{},
		claimed: map[int]bool{},

		collected: map[string]string{},
	}
	for i := range shards {
		b.elections = append(b.elections, &shardElection{cfg: cfg, shard: i, b: b})
	}
	return b
}

// errAtShare refuses the acquisition of a free shard Lease.
type errAtShare struct {
	shard, held, share, live int
}

func (e errAtShare) Error() string {
	return fmt.Sprintf("shard %d not taken: holds %d shards, its share with %d live replicas is %d", e.shard, e.held, e.live, e.share)
}

// claim admits a write that makes this replica the shard's holder. A
// renewal (the shard is claimed already) passes; an acquisition passes when
// it is a takeover of an expired Lease, or while this replica holds fewer
// shards than its share. newly reports whether the shard was not claimed
// before, so that a failed write gives it back (unclaim).
func (b *balancer) claim(shard int, takeover bool) (newly bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.claimed[shard] {
		return false, nil
	}
	if !takeover {
		if err := b.atShareLocked(shard); err != nil {
			return false, err
		}
	}
	b.claimed[shard] = true
	return true, nil
}

// atShare reports, without claiming it, whether claim would refuse the
// free shard now: an errAtShare, or nil.
func (b *balancer) atShare(shard int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.claimed[shard] {
		return nil
	}
	return b.atShareLocked(shard)
}

func (b *balancer) atShareLocked(shard int) error {
	p := planBalance(b.inputLocked(time.Now()))
	if len(b.claimed) >= p.share {
		return errAtShare{shard: shard, held: len(b.claimed), share: p.share, live: p.live}
	}
	return nil
}

func (b *balancer) unclaim(shard int) {
	b.mu.Lock()
	delete(b.claimed, shard)
	b.mu.Unlock()
	b.wake()
}

// gain and lose pass the elections' news on to the sink and replan.
func (b *balancer) gain(term context.Context, shard int) {
	b.sink.gain(term, shard)
	b.wake()
}

func (b *balancer) lose(shard int) {
	b.sink.lose(shard)
	b.unclaim(shard)
}

func (b *balancer) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *balancer) inputLocked(now time.Time) balanceInput {
	in := balanceInput{now: now, self: b.cfg.identity, shards: b.shards, leases: b.leases}
	for s := range b.claimed {
		in.held = append(in.held, s)
	}
	for _, m := range b.members {
		in.members = append(in.members, m)
	}
	return in
}

// observe records a Lease the watch delivered at now. A Lease is renewed
// when its resourceVersion changes: its expiry is then now plus its
// duration.
func (b *balancer) observe(l *coordinationv1.Lease, now time.Time) {
	shard, isShard := b.shardOf(l.Name)
	if !isShard && !strings.HasPrefix(l.Name, memberPrefix) {
		return
	}
	b.mu.Lock()
	if b.seen[l.Name] != l.ResourceVersion {
		b.seen[l.Name] = l.ResourceVersion
		v := leaseView{expires: now.Add(b.cfg.leaseDuration)}
		if h := l.Spec.HolderIdentity; h != nil {
			v.holder = *h
		}
		if d := l.Spec.LeaseDurationSeconds; d != nil {
			v.expires = now.Add(time.Duration(*d) * time.Second)
		}
		if isShard {
			b.leases[shard] = v
		} else {
			b.members[l.Name] = v
		}
	}
	b.mu.Unlock()
	b.wake()
}

func (b *balancer) forget(name string) {
	b.mu.Lock()
	delete(b.seen, name)
	delete(b.members, name)
	if shard, ok := b.shardOf(name); ok {
		delete(b.leases, shard)
	}
	b.mu.Unlock()
	b.wake()
}

// shardOf parses a shard Lease's name.
func (b *balancer) shardOf(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, shardPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= b.shards || LeaseName(i) != name {
		return 0, false
	}
	return i, true
}

// handler feeds the Lease informer's events to observe and forget.
func (b *balancer) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if l, ok := obj.(*coordinationv1.Lease); ok {
				b.observe(l, time.Now())
			}
		},
		UpdateFunc: func(_, obj any) {
			if l, ok := obj.(*coordinationv1.Lease); ok {
				b.observe(l, time.Now())
			}
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if l, ok := obj.(*coordinationv1.Lease); ok {
				b.forget(l.Name)
			}
		},
	}
}

// run plans on every change until ctx ends, and acts on the plan: the
// shards above the share are released, the free ones below it poked.
// The plan is logged when its reason changes.
func (b *balancer) run(ctx context.Context) {
	var last string
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		b.mu.Lock()
		in := b.inputLocked(now)
		p := planBalance(in)
		next := nextExpiry(in)
		stale := map[string]string{}
		for _, name := range staleMembers(now, b.cfg.identity, b.cfg.leaseDuration, b.members) {
			if rv := b.seen[name]; b.collected[name] != rv {
				b.collected[name] = rv
				stale[name] = rv
			}
		}
		for _, m := range b.members {
			if gc := m.expires.Add(b.cfg.leaseDuration); gc.After(now) && (next.IsZero() || gc.Before(next)) {
				next = gc
			}
		}
		b.mu.Unlock()
		for name, rv := range stale {
			b.collect(ctx, name, rv)
		}
		if p.reason != last {
			last = p.reason
			b.cfg.log.Info("shard balance", "identity", b.cfg.identity, "plan", p.reason)
		}
		for _, s := range p.release {
			b.elections[s].release()
		}
		for _, s := range p.acquire {
			b.elections[s].poke()
		}
		wait := time.Hour
		if !next.IsZero() {
			// Just after the expiry: a Lease is live until then.
			wait = next.Sub(now) + time.Millisecond
		}
		if len(p.acquire) > 0 {
			// A poke refused for a young term is tried again.
			wait = min(wait, b.elections[0].minPoke())
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		case <-timer.C:
		}
	}
}

// collect deletes the stale membership Lease name, unless it changed
// since the watch showed it at resourceVersion rv.
func (b *balancer) collect(ctx context.Context, name, rv string) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.renewDeadline)
	defer cancel()
	err := b.cfg.client.CoordinationV1().Leases(b.cfg.namespace).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		b.cfg.log.Warn("stale membership lease not deleted", "lease", name, "error", err.Error())
		return
	}
	b.cfg.log.Info("stale membership lease deleted", "lease", name)
}
