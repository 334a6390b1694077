package ring

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRingKeepsTheNewest(t *testing.T) {
	r := New[int](3)
	assert.Equal(t, 0, r.Len())
	assert.Empty(t, r.AppendTo(nil))
	for v := 1; v <= 5; v++ {
		r.Push(v)
	}
	assert.Equal(t, 3, r.Len())
	assert.True(t, r.Full())
	assert.Equal(t, []int{3, 4, 5}, r.AppendTo(nil))
	assert.Equal(t, 3, r.At(0))
	assert.Equal(t, 5, r.Last(0))
	assert.Equal(t, 4, r.Last(1))
	r.Clear()
	assert.Equal(t, 0, r.Len())
	r.Push(9)
	assert.Equal(t, []int{9}, r.AppendTo([]int{}))
}

func TestRingCapacityAtLeastOne(t *testing.T) {
	r := New[float64](0)
	r.Push(1)
	r.Push(2)
	assert.Equal(t, []float64{2}, r.AppendTo(nil))
}

func TestLayoutRoundTrip(t *testing.T) {
	for _, pushed := range []int{0, 2, 4, 7} {
		r := New[int](4)
		for v := range pushed {
			r.Push(v)
		}
		buf, head := r.Layout()
		back, ok := FromLayout(4, append([]int(nil), buf...), head)
		assert.True(t, ok, "pushed %d", pushed)
		assert.Equal(t, r.AppendTo(nil), back.AppendTo(nil), "pushed %d", pushed)
		r.Push(100)
		back.Push(100)
		assert.Equal(t, r.AppendTo(nil), back.AppendTo(nil), "pushed %d then one more", pushed)
	}
}

func TestFromLayoutRejectsWhatDoesNotFit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity int
		buf      []int
		head     int
	}{
		{"zero capacity", 0, nil, 0},
		{"too many values", 2, []int{1, 2, 3}, 0},
		{"negative head", 3, []int{1, 2, 3}, -1},
		{"head past the values", 3, []int{1, 2, 3}, 3},
		{"wrapped but not full", 3, []int{1, 2}, 1},
	} {
		_, ok := FromLayout(tc.capacity, tc.buf, tc.head)
		assert.False(t, ok, tc.name)
	}
}
