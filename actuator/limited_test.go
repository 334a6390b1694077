package actuator_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator"
)

var errOutside = errors.New("drv: target outside the group's limits")

func TestLimitedErrorIsDetectedThroughWrapping(t *testing.T) {
	lim := &actuator.LimitedError{Driver: "drv", Group: "web", Requested: 50, Applied: 10, Min: 1, Max: 10, Err: errOutside}
	err := actuator.Permanent(fmt.Errorf("scale: %w", lim))

	got, ok := actuator.AsLimited(err)
	require.True(t, ok)
	req, applied := got.ScalingLimited()
	assert.Equal(t, [2]int{50, 10}, [2]int{req, applied})
	assert.ErrorIs(t, err, errOutside, "the driver's sentinel is reachable")
	assert.True(t, actuator.IsPermanent(err))
	assert.Equal(t, `permanent: scale: drv: group "web": target 50 limited to 10 [min 1, max 10]`, err.Error())
}

func TestLimitedErrorWithoutDriverOrSentinel(t *testing.T) {
	lim := &actuator.LimitedError{Group: "g", Requested: 0, Applied: 2, Min: 2, Max: 5}
	assert.Equal(t, `group "g": target 0 limited to 2 [min 2, max 5]`, lim.Error())
	assert.NoError(t, lim.Unwrap())
	_, ok := actuator.AsLimited(errors.New("other"))
	assert.False(t, ok)
	_, ok = actuator.AsLimited(nil)
	assert.False(t, ok)
}
