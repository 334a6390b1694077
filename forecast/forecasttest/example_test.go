package forecasttest_test

import (
	"fmt"

	"github.com/shadowscale/shadowscale/forecast/forecasttest"
)

func ExampleConstant() {
	f := forecasttest.Constant(100, 80, 130)
	fc, _ := f.Forecast(3, 0.95)
	fmt.Println(fc.Mean, fc.Upper)
	// Output: [100 100 100] [130 130 130]
}
