package forecast

import (
	"testing"

	"go.uber.org/goleak"
)

// The optimizer runs its search in goroutines; none may outlive a fit.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
