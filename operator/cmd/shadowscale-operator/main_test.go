package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunExitStatus(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"-shards", "0"}, &stderr))
	assert.Equal(t, "shadowscale-operator: -shards 0: must be in [1, 1024]\n", stderr.String(), "one line naming the flag")

	stderr.Reset()
	assert.Equal(t, 0, run([]string{"-h"}, &stderr))
	assert.Contains(t, stderr.String(), "usage: shadowscale-operator")

	stderr.Reset()
	assert.Equal(t, 1, run([]string{"-kubeconfig", "/nonexistent/kubeconfig", "-identity", "t", "-lease-namespace", "ops"}, &stderr),
		"an operator that cannot start")
	assert.Contains(t, stderr.String(), "kubeconfig")
}
