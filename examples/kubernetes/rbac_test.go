package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/drivers/k8s"
)

// TestREADMERoleCoversEveryKind: the Role in README.md grants what the
// driver calls for every -kind the command accepts.
func TestREADMERoleCoversEveryKind(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	role := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(string(b))
	require.NotNil(t, role, "README.md has a yaml Role")
	rules := role[1]
	for _, name := range []string{"Deployment", "StatefulSet", "ReplicaSet"} {
		_, err := k8s.ParseKind(name)
		require.NoError(t, err, "-kind %s is accepted", name)
		plural := strings.ToLower(name) + "s"
		assert.Regexp(t, `resources: \[[^\]]*"`+plural+`"[^\]]*\]\s*\n\s*verbs: \["get"\]`, rules, name)
		assert.Regexp(t, `resources: \[[^\]]*"`+plural+`/scale"[^\]]*\]\s*\n\s*verbs: \["get", "update"\]`, rules, name)
	}
	assert.Regexp(t, `apiGroups: \["autoscaling"\]\s*\n\s*resources: \["horizontalpodautoscalers"\]\s*\n\s*verbs: \["list"\]`, rules)
}
