package forecast

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// The package's tests run twice: with the default Config.StateWindow,
// where the states of the tests' young histories hold their window, and
// with states that hold none, where a restored forecaster takes its
// window back from the history observed again (a long history's path).
// The optimizer runs its search in goroutines; none may outlive a fit.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		fmt.Println("forecast: again, with states that hold no history window")
		defaultStateWindow = -1
		code = m.Run()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
