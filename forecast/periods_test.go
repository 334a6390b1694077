package forecast_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/shadowscale/shadowscale/forecast"
)

func TestSeasonalPeriods(t *testing.T) {
	cases := []struct {
		step time.Duration
		want []int
	}{
		{time.Minute, []int{1440, 10080}},
		{10 * time.Second, []int{8640, 60480}},
		{5 * time.Minute, []int{288, 2016}},
		{15 * time.Minute, []int{96, 672}},
		{time.Hour, []int{24, 168}},
		{12 * time.Hour, []int{2, 14}},
		{7 * time.Minute, nil},
		{24 * time.Hour, nil},
		{0, nil},
		{-time.Minute, nil},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, forecast.SeasonalPeriods(c.step), "step %s", c.step)
	}
}

func ExampleSeasonalPeriods() {
	fmt.Println(forecast.SeasonalPeriods(time.Minute), forecast.SeasonalPeriods(5*time.Minute))
	// Output: [1440 10080] [288 2016]
}
