package shadow

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The plug-ins' states follow the JSON line as they are when they are
// UTF-8 (the forecasters' JSON), as base64 text when not, so that the
// snapshot stays text; a state the plug-in did not save stays empty.
func TestSnapshotStatesAfterTheJSON(t *testing.T) {
	saved := time.Date(2026, 1, 7, 2, 25, 0, 0, time.UTC)
	binaryState := []byte{0xff, 0x00, '\n', 0x80}
	sn := snapshot{Version: snapshotVersion, Service: "checkout", SavedAt: saved,
		Forecasters: [][]byte{[]byte(`{"window":"AAAA"}`), nil, binaryState}, Detector: []byte("{\"d\":\n2}")}
	frame, err := encodeSnapshot(sn)
	require.NoError(t, err)
	assert.True(t, utf8.Valid(frame), "the snapshot is text")
	assert.Contains(t, string(frame), `{"window":"AAAA"}`, "a JSON state as it is")
	assert.NotContains(t, string(frame), string(binaryState))
	got, err := decodeSnapshot(frame)
	require.NoError(t, err)
	require.Len(t, got.Forecasters, 3)
	assert.Equal(t, `{"window":"AAAA"}`, string(got.Forecasters[0]))
	assert.Empty(t, got.Forecasters[1])
	assert.Equal(t, binaryState, got.Forecasters[2])
	assert.Equal(t, "{\"d\":\n2}", string(got.Detector))
	assert.Nil(t, got.States)
}

// reframe frames payload as version v with a valid checksum, so that
// what decodeSnapshot reports is the payload's fault.
func reframe(v int, payload string) []byte {
	sum := binary.BigEndian.AppendUint32(nil, crc32.Checksum([]byte(payload), crc32c))
	return fmt.Appendf(nil, "%s v%d crc32c=%s\n%s", snapshotMagic, v, hex.EncodeToString(sum), payload)
}

// A payload whose states do not match their description is refused,
// saying how.
func TestSnapshotStatesRefused(t *testing.T) {
	const head = `{"version":4,"service":"checkout","saved_at":"2026-01-07T02:25:00Z","metrics":[],"grid_offset":0,"lead_time":0,"lead":{"requested":[],"window":[],"next":0}`
	for _, tc := range []struct {
		name, payload, want string
		v                   int
	}{
		{"state longer than what follows", head + `,"states":[{"len":9},{"len":0}]}` + "\n{}", "state 1 of 2 of 9 bytes, 2 left", 4},
		{"bytes after the states", head + `,"states":[{"len":2},{"len":0}]}` + "\n{}{}", "2 bytes after the last of 2 states", 4},
		{"no states", head + "}\n", "version 4 payload with 0 states in the JSON and 0 after it", 4},
		{"states inside the JSON too", head + `,"forecasters":["e30="],"states":[{"len":2},{"len":0}]}` + "\n{}", "version 4 payload with 1 states in the JSON", 4},
		{"bad base64", head + `,"states":[{"len":3,"base64":true},{"len":0}]}` + "\n#!?", "state 1 of 2: illegal base64", 4},
		{"version 3 with bytes after", strings.Replace(head, `"version":4`, `"version":3`, 1) + "}\n{}", "version 3 payload followed by 2 bytes", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeSnapshot(reframe(tc.v, tc.payload))
			require.ErrorIs(t, err, ErrBadSnapshot)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
