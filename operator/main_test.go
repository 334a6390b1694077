package operator

import (
	"testing"

	"go.uber.org/goleak"
)

// noLeaks fails t when goroutines the test started are still running at
// its end. (The tests run inside testing/synctest bubbles, which enforce
// the same, wherever they can.) It is per test, not a TestMain, because
// the integration tests share this package's test binary.
func noLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		goleak.VerifyNone(t,
			before,
			goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
			// Idle keep-alive connections of HTTP clients the test made.
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		)
	})
}
