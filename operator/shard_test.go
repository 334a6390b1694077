package operator

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShardOf(t *testing.T) {
	// FNV-1a (32 bit) of "shop/web", computed independently: 0xeb78a544.
	assert.Equal(t, int(uint32(0xeb78a544)%8), ShardOf("shop", "web", 8))
	assert.Equal(t, ShardOf("shop", "web", 8), ShardOf("shop", "web", 8), "stable")
	assert.Zero(t, ShardOf("shop", "web", 1))
	assert.Zero(t, ShardOf("shop", "web", 0))
	// "a/bc" and "ab/c" are different objects.
	assert.NotEqual(t, ShardOf("a", "bc", 1<<20), ShardOf("ab", "c", 1<<20))

	counts := make([]int, 8)
	for i := range 8000 {
		counts[ShardOf(fmt.Sprintf("ns-%d", i%13), fmt.Sprintf("app-%d", i), 8)]++
	}
	for s, n := range counts {
		assert.InDelta(t, 1000, n, 150, "shard %d holds about an eighth of the objects", s)
	}
	assert.Equal(t, "shadowscale-shard-3", LeaseName(3))
}
