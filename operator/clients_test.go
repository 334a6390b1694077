package operator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
)

func TestClientConfigsSeparateTheLeasesLimiter(t *testing.T) {
	base := &rest.Config{Host: "https://api:6443", BearerToken: "t"}
	o, err := ParseFlags([]string{"-identity", "a", "-lease-namespace", "ops"}, nil)
	require.NoError(t, err)
	work, election := clientConfigs(base, o)
	assert.Zero(t, base.QPS, "the caller's configuration is left alone")
	assert.Nil(t, base.RateLimiter)

	require.NotNil(t, work.RateLimiter)
	assert.Equal(t, float32(20), work.RateLimiter.QPS(), "controller-runtime's default, not client-go's 5")
	assert.Equal(t, float32(20), work.QPS)
	assert.Equal(t, 30, work.Burst)

	require.NotNil(t, election.RateLimiter)
	assert.NotSame(t, work.RateLimiter, election.RateLimiter, "the Leases have a limiter of their own")
	// 8 shards and a membership, renewed every 2s: a read and a write
	// each, and as much again for pokes, twice over.
	assert.Equal(t, float32(18), election.RateLimiter.QPS())
	assert.Equal(t, 36, election.Burst)
	assert.Equal(t, base.Host, election.Host)
	assert.Equal(t, base.BearerToken, election.BearerToken)

	// Draining the passes' limiter leaves the Leases' untouched.
	for work.RateLimiter.TryAccept() {
	}
	assert.True(t, election.RateLimiter.TryAccept(), "a renewal does not wait behind the passes")
}

func TestElectionLimitCoversEveryRenewal(t *testing.T) {
	for _, tc := range []struct {
		shards int
		retry  time.Duration
	}{{1, 2 * time.Second}, {8, 2 * time.Second}, {8, 400 * time.Millisecond}, {1024, time.Second}} {
		qps, burst := electionLimit(tc.shards, tc.retry)
		// Every election reads and writes its Lease once per retry period.
		need := 2 * float64(tc.shards+1) / tc.retry.Seconds()
		assert.GreaterOrEqual(t, float64(qps), 2*need, "%+v", tc)
		assert.GreaterOrEqual(t, burst, 2*(tc.shards+1), "%+v: a burst of one round of renewals fits", tc)
	}
}
