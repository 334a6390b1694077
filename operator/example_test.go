package operator_test

import (
	"fmt"
	"os"

	"github.com/shadowscale/shadowscale/operator"
)

// Every replica computes the same shard for an object, and runs it only
// while it holds that shard's Lease.
func ExampleShardOf() {
	shard := operator.ShardOf("shop", "web", 8)
	fmt.Println(shard, operator.LeaseName(shard))
	// Output: 4 shadowscale-shard-4
}

// The flags of the shadowscale-operator command, with the timings the
// integration tests use: a 3s Lease is renewed every 400ms and given up
// after 2s without a renewal.
func ExampleParseFlags() {
	o, err := operator.ParseFlags([]string{"-lease-duration", "3s", "-identity", "replica-a", "-lease-namespace", "ops"}, os.Stderr)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.Shards, o.LeaseDuration, o.RenewDeadline, o.RetryPeriod, o.Identity)
	_, err = operator.ParseFlags([]string{"-shards", "0"}, os.Stderr)
	fmt.Println(err)
	// Output:
	// 8 3s 2s 400ms replica-a
	// -shards 0: must be in [1, 1024]
}
