package operator

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPassLogLogsALastingWarningOnce(t *testing.T) {
	var buf bytes.Buffer
	pl := newPassLog(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	log := slog.New(pl).With("predictivescaler", "shop/web")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hpa := func(i int) {
		log.Warn("dependency failed", "dependency", "actuator", "now", now.Add(time.Duration(i)*time.Minute), "error", "HorizontalPodAutoscaler shop/web targets it")
	}
	pass := func(f func()) { pl.st.nextPass(); f() }

	pass(func() { hpa(0) })
	pass(func() { hpa(1) })
	pass(func() { hpa(2); log.Info("scaled", "to", 3) })
	pass(func() {
		log.Warn("dependency failed", "dependency", "actuator", "error", "HorizontalPodAutoscaler shop/other targets it")
	})
	pass(func() {})
	pass(func() { hpa(5) })
	pass(func() { hpa(6); hpa(6) })

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Len(t, lines, 4, "%s", buf.String())
	assert.Contains(t, lines[0], "now=2026-01-01T00:00:00.000Z", "the first of a lasting warning")
	assert.Contains(t, lines[1], "msg=scaled", "Info always passes")
	assert.Contains(t, lines[2], "shop/other", "a changed warning")
	assert.Contains(t, lines[3], "now=2026-01-01T00:05:00.000Z", "back after a pass without it")
	for _, l := range lines {
		assert.Contains(t, l, "predictivescaler=shop/web")
	}
}
