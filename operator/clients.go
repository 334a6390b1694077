package operator

import (
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// clientConfigs derives the configurations of the operator's two clients
// from cfg (which it leaves alone):
//   - work, for the objects and workloads, limited to o.KubeAPIQPS with
//     bursts of o.KubeAPIBurst by one limiter that every client made from
//     it shares (the manager's and the clientset of the passes);
//   - election, for the shard and membership Leases only, with a limiter
//     of its own (electionLimit), so that renewals never queue behind a
//     burst of passes.
func clientConfigs(cfg *rest.Config, o Options) (work, election *rest.Config) {
	work = rest.CopyConfig(cfg)
	work.QPS, work.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	work.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(o.KubeAPIQPS, o.KubeAPIBurst)
	election = rest.CopyConfig(cfg)
	election.QPS, election.Burst = electionLimit(o.Shards, o.RetryPeriod)
	election.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(election.QPS, election.Burst)
	election.UserAgent = rest.DefaultKubernetesUserAgent() + " leader-election"
	return work, election
}

// electionLimit is the rate limit of the Leases' client for shards shard
// elections and one membership, each renewed or tried every retry: each
// makes at most a read and a write per retry period, and a poke (a
// released shard reached for at once) at most as many again, four times
// per retry period; the limit is twice that, so that it bounds a runaway
// loop without ever delaying a renewal.
func electionLimit(shards int, retry time.Duration) (qps float32, burst int) {
	perPeriod := 2 * 2 * (shards + 1)
	return float32(float64(perPeriod) / retry.Seconds()), perPeriod
}
