package operator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var bt0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func held(holder string, expires time.Time) leaseView {
	return leaseView{holder: holder, expires: expires}
}

// shardLeases gives each shard of holders (by index) a Lease live until
// expires; "" is a released Lease.
func shardLeases(expires time.Time, holders ...string) map[int]leaseView {
	out := map[int]leaseView{}
	for i, h := range holders {
		out[i] = held(h, expires)
	}
	return out
}

func TestPlanBalance(t *testing.T) {
	live := bt0.Add(10 * time.Second)
	gone := bt0.Add(-time.Second)
	members := func(ids ...string) []leaseView {
		var out []leaseView
		for _, id := range ids {
			out = append(out, held(id, live))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		in      balanceInput
		live    int
		share   int
		release []int
		acquire []int
		reason  string
	}{{
		name: "alone: every shard",
		in:   balanceInput{shards: 8, held: []int{0, 1, 2}, members: members("a"), leases: shardLeases(live, "a", "a", "a", "", "")},
		live: 1, share: 8, acquire: []int{3, 4, 5, 6, 7},
		reason: "BelowShare: holds 3 of 8 shards, share 8 with 1 live replica(s): free [3 4 5 6 7]",
	}, {
		name: "a second replica joins: the highest half goes",
		in: balanceInput{shards: 8, held: []int{7, 0, 1, 2, 3, 4, 5, 6}, members: members("a", "b"),
			leases: shardLeases(live, "a", "a", "a", "a", "a", "a", "a", "a")},
		live: 2, share: 4, release: []int{4, 5, 6, 7},
		reason: "AboveShare: holds 8 of 8 shards, share 4 with 2 live replica(s): releases [4 5 6 7]",
	}, {
		name: "the joiner reaches for what is released, not for what the other holds",
		in: balanceInput{self: "b", shards: 8, members: members("a", "b"),
			leases: shardLeases(live, "a", "a", "a", "a", "", "", "a", "a")},
		live: 2, share: 4, acquire: []int{4, 5},
	}, {
		name: "at its share a replica takes nothing, even a free shard",
		in: balanceInput{shards: 8, held: []int{0, 1, 2, 3}, members: members("a", "b"),
			leases: shardLeases(live, "a", "a", "a", "a", "", "b", "b", "b")},
		live: 2, share: 4,
		reason: "AtShare: holds 4 of 8 shards, share 4 with 2 live replica(s)",
	}, {
		name: "the share rounds up: 8 shards over 3 replicas is 3 each",
		in:   balanceInput{shards: 8, held: []int{0, 1, 2}, members: members("a", "b", "c")},
		live: 3, share: 3,
	}, {
		name: "an expired membership does not count",
		in: balanceInput{shards: 4, held: []int{0, 1}, members: append(members("a"), held("b", gone)),
			leases: shardLeases(live, "a", "a", "", "")},
		live: 1, share: 4, acquire: []int{2, 3},
	}, {
		name: "a released membership does not count",
		in:   balanceInput{shards: 4, held: []int{0, 1, 2, 3}, members: append(members("a"), held("", live))},
		live: 1, share: 4,
	}, {
		name: "a replica that let a shard Lease expire does not count, whatever its membership says",
		in: balanceInput{shards: 4, held: []int{0, 1}, members: members("a", "b"),
			leases: map[int]leaseView{0: held("a", live), 1: held("a", live), 2: held("b", gone), 3: held("b", live)}},
		live: 1, share: 4,
		// The expired one is client-go's to take over; nothing is free.
	}, {
		name: "self counts without its membership Lease, once",
		in:   balanceInput{shards: 8, held: []int{0, 1, 2, 3, 4, 5, 6, 7}, members: append(members("b", "a"), held("a", live))},
		live: 2, share: 4, release: []int{4, 5, 6, 7},
	}, {
		name: "more replicas than shards: one each at most",
		in:   balanceInput{shards: 2, held: []int{0, 1}, members: members("a", "b", "c")},
		live: 3, share: 1, release: []int{1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.self == "" {
				tc.in.self = "a"
			}
			tc.in.now = bt0
			p := planBalance(tc.in)
			assert.Equal(t, tc.live, p.live, "live")
			assert.Equal(t, tc.share, p.share, "share")
			assert.Equal(t, tc.release, p.release, "release")
			assert.Equal(t, tc.acquire, p.acquire, "acquire")
			if tc.reason != "" {
				assert.Equal(t, tc.reason, p.reason)
			}
		})
	}
}

func TestPlanBalanceConverges(t *testing.T) {
	// Replicas that each follow their plan, with the same view, end with
	// every shard held once and none above its share.
	for _, n := range []int{1, 2, 3, 5, 8, 11} {
		const shards = 8
		ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}[:n]
		var members []leaseView
		for _, id := range ids {
			members = append(members, held(id, bt0.Add(time.Minute)))
		}
		holder := map[int]string{}
		for s := range shards {
			holder[s] = "a" // the first replica took them all
		}
		for range 4 * shards {
			for _, id := range ids {
				in := balanceInput{now: bt0, self: id, shards: shards, members: members, leases: map[int]leaseView{}}
				for s, h := range holder {
					in.leases[s] = held(h, bt0.Add(time.Minute))
					if h == id {
						in.held = append(in.held, s)
					}
				}
				p := planBalance(in)
				for _, s := range p.release {
					holder[s] = ""
				}
				for i, s := range p.acquire {
					if len(in.held)+i < p.share {
						holder[s] = id
					}
				}
			}
		}
		count := map[string]int{}
		for s := range shards {
			assert.NotEmpty(t, holder[s], "%d replicas: shard %d held", n, s)
			count[holder[s]]++
		}
		share := (shards + n - 1) / n
		for id, c := range count {
			assert.LessOrEqual(t, c, share, "%d replicas: %s holds %d", n, id, c)
		}
	}
}

func TestNextExpiry(t *testing.T) {
	in := balanceInput{now: bt0,
		leases:  map[int]leaseView{0: held("a", bt0.Add(3*time.Second)), 1: held("b", bt0.Add(-time.Second)), 2: held("", bt0.Add(time.Second))},
		members: []leaseView{held("b", bt0.Add(2*time.Second))},
	}
	assert.Equal(t, bt0.Add(2*time.Second), nextExpiry(in), "the first live Lease to expire")
	assert.Zero(t, nextExpiry(balanceInput{now: bt0}))
}

func TestMemberLeaseName(t *testing.T) {
	assert.Equal(t, "shadowscale-replica-op-a", MemberLeaseName("op-a"))
	assert.Equal(t, "shadowscale-replica-shadowscale-operator-7d9f-x2", MemberLeaseName("shadowscale-operator-7d9f-x2"))
	n := MemberLeaseName("Host_Name:1")
	assert.Regexp(t, `^shadowscale-replica-[0-9a-f]{8}$`, n, "not a valid name: hashed")
	assert.NotEqual(t, n, MemberLeaseName("Host_Name:2"))
}

func TestStaleMembers(t *testing.T) {
	grace := 3 * time.Second
	members := map[string]leaseView{
		"shadowscale-replica-a":    held("a", bt0.Add(-time.Hour)),              // self: never
		"shadowscale-replica-b":    held("b", bt0.Add(-grace)),                  // expired a grace ago
		"shadowscale-replica-c":    held("c", bt0.Add(-grace+time.Millisecond)), // not yet
		"shadowscale-replica-d":    held("d", bt0.Add(time.Second)),             // live
		"shadowscale-replica-gone": held("", bt0.Add(-time.Hour)),               // released long ago
	}
	assert.Equal(t, []string{"shadowscale-replica-b", "shadowscale-replica-gone"}, staleMembers(bt0, "a", grace, members))
}
