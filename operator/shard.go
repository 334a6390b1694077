package operator

import (
	"fmt"
	"hash/fnv"
)

// ShardOf returns the shard of the PredictiveScaler namespace/name among
// shards: FNV-1a of "namespace/name" modulo shards. Every replica computes
// the same assignment, so the holder of a shard's Lease is the only one that
// runs the objects in it.
func ShardOf(namespace, name string, shards int) int {
	if shards <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(namespace))
	h.Write([]byte{'/'})
	h.Write([]byte(name))
	return int(h.Sum32() % uint32(shards))
}

// shardPrefix starts the name of every shard Lease.
const shardPrefix = "shadowscale-shard-"

// LeaseName is the name of shard i's Lease.
func LeaseName(shard int) string {
	return fmt.Sprintf("%s%d", shardPrefix, shard)
}
