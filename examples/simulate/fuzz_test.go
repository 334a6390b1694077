package main

import (
	"bytes"
	"math"
	"testing"
	"time"
)

// FuzzReadTrace checks the simulator's trace reader on any input: an error,
// or a trace of at least two steps on a regular grid with one time per
// value, whichever -step is given.
func FuzzReadTrace(f *testing.F) {
	f.Add([]byte("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n"), int64(0))
	f.Add([]byte("value\n1\n2\n3\n"), int64(5*time.Minute))
	f.Add([]byte("1\n2\n"), int64(0))
	f.Add([]byte("1767225600,1\n1767225660,2\n"), int64(time.Second))
	f.Add(embeddedTrace[:400], int64(0))
	f.Add([]byte("1\n2\n3\n"), int64(math.MaxInt64/2+1))
	f.Fuzz(func(t *testing.T, in []byte, step int64) {
		if step < 0 {
			step = -step
		}
		tr, err := readTrace(bytes.NewReader(in), time.Duration(step))
		if err != nil {
			return
		}
		if tr.Len() < 2 || len(tr.Times) != tr.Len() || tr.Step <= 0 {
			t.Fatalf("%d values, %d times, step %s", tr.Len(), len(tr.Times), tr.Step)
		}
		for i := 1; i < len(tr.Times); i++ {
			if tr.Times[i].Sub(tr.Times[i-1]) != tr.Step {
				t.Fatalf("step %d is %s, want %s", i, tr.Times[i].Sub(tr.Times[i-1]), tr.Step)
			}
		}
	})
}
