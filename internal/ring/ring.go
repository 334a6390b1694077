// Package ring is the fixed-capacity FIFO of recent values that the
// forecasters' windows, the Controller's load history, the shadow pool's
// mirrored loads and the lead-time samples keep: once full, each push
// overwrites the oldest value.
package ring

// Ring holds the most recent values pushed, at most its capacity. The zero
// value has capacity 0 and holds nothing; use New. A Ring is not safe for
// concurrent use.
type Ring[T any] struct {
	buf  []T
	head int // index in buf of the oldest value
	n    int // values held
}

// New returns an empty Ring of the given capacity (at least 1).
func New[T any](capacity int) Ring[T] { return Ring[T]{buf: make([]T, max(capacity, 1))} }

// Len is the number of values held.
func (r *Ring[T]) Len() int { return r.n }

// Cap is the capacity.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Full reports whether the next Push overwrites the oldest value.
func (r *Ring[T]) Full() bool { return r.n == len(r.buf) }

// Clear empties the ring, keeping its storage.
func (r *Ring[T]) Clear() { r.head, r.n = 0, 0 }

// Push adds v as the newest value; when the ring is full it overwrites the
// oldest.
func (r *Ring[T]) Push(v T) {
	if r.n < len(r.buf) {
		r.buf[(r.head+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
}

// At returns the i-th oldest value held, 0 ≤ i < Len.
func (r *Ring[T]) At(i int) T { return r.buf[(r.head+i)%len(r.buf)] }

// Set replaces the i-th oldest value held, 0 ≤ i < Len.
func (r *Ring[T]) Set(i int, v T) { r.buf[(r.head+i)%len(r.buf)] = v }

// Last returns the i-th newest value held (Last(0) is the newest), 0 ≤ i <
// Len.
func (r *Ring[T]) Last(i int) T { return r.At(r.n - 1 - i) }

// AppendTo appends the values held, oldest first, to dst.
func (r *Ring[T]) AppendTo(dst []T) []T {
	end := r.head + r.n
	if end <= len(r.buf) {
		return append(dst, r.buf[r.head:end]...)
	}
	dst = append(dst, r.buf[r.head:]...)
	return append(dst, r.buf[:end-len(r.buf)]...)
}

// Layout returns the storage as it lies (the first Len values of
// buf[head:] then buf[:head], wrapping) and the index of the oldest value:
// the form snapshots save, so that a restored ring is laid out as the saved
// one was. The slice is the ring's own; do not modify it.
func (r *Ring[T]) Layout() (buf []T, head int) {
	if r.n == 0 {
		return nil, r.head
	}
	return r.buf[:r.n], r.head
}

// FromLayout returns a Ring of the given capacity holding buf laid out as
// Layout returned it; ok is false when the layout does not fit (only a
// full ring has its oldest value anywhere but first).
func FromLayout[T any](capacity int, buf []T, head int) (r Ring[T], ok bool) {
	if capacity < 1 || len(buf) > capacity || head < 0 || head >= max(len(buf), 1) || (head != 0 && len(buf) < capacity) {
		return Ring[T]{}, false
	}
	r = New[T](capacity)
	copy(r.buf, buf)
	r.head, r.n = head, len(buf)
	return r, true
}
