package mirror

import (
	"hash/maphash"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
)

// budget is a Tee's byte budget for copies. Taking is lock-free; a take
// that would pass the limit fails and takes nothing.
type budget struct {
	limit int64
	used  atomic.Int64
}

func (b *budget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *budget) give(n int64) {
	if n != 0 {
		b.used.Add(-n)
	}
}

// bodyTee copies what the primary reads into a buffer charged to the
// budget. It never reads on its own: the primary's pace is the only pace.
// A mutex guards against the primary's transport still reading after the
// handler returned.
type bodyTee struct {
	rc        io.ReadCloser
	limit     int64
	wantBytes int64 // ContentLength, or -1
	bud       *budget

	mu       sync.Mutex
	buf      []byte
	reserved int64 // bytes of the budget held by buf
	failed   bool
	reason   DropReason
	eof      bool
	sealed   bool
}

// newBodyTee starts copying rc. With a known length it reserves and
// allocates the whole buffer at once; it returns nil if the budget cannot
// hold it.
func newBodyTee(rc io.ReadCloser, limit, contentLength int64, bud *budget) *bodyTee {
	b := &bodyTee{rc: rc, limit: limit, wantBytes: contentLength, bud: bud}
	if contentLength > 0 {
		if !bud.take(contentLength) {
			return nil
		}
		b.reserved = contentLength
		b.buf = make([]byte, 0, contentLength)
	}
	return b
}

// minGrow is the first buffer size for a body of unknown length.
const minGrow = 4 << 10

// Read reads for the primary and copies what it got.
func (b *bodyTee) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	if !b.sealed && !b.failed {
		if n > 0 {
			b.append(p[:n])
		}
		if err == io.EOF {
			b.eof = true
		}
	}
	b.mu.Unlock()
	return n, err
}

// append copies p, growing the buffer within the limit and the budget.
// Callers hold mu.
func (b *bodyTee) append(p []byte) {
	need := int64(len(b.buf) + len(p))
	if need > b.limit {
		b.fail(DropBodyTooLarge)
		return
	}
	if need > int64(cap(b.buf)) {
		newCap := min(b.limit, max(2*int64(cap(b.buf)), need, minGrow))
		if !b.bud.take(newCap - b.reserved) {
			b.fail(DropMemoryBudget)
			return
		}
		nb := make([]byte, len(b.buf), newCap)
		copy(nb, b.buf)
		b.buf = nb
		b.reserved = newCap
	}
	b.buf = append(b.buf, p...)
}

func (b *bodyTee) fail(r DropReason) {
	b.failed = true
	b.reason = r
	b.buf = nil
	b.bud.give(b.reserved)
	b.reserved = 0
}

// Close closes the primary's body.
func (b *bodyTee) Close() error { return b.rc.Close() }

// seal stops copying and hands over the buffer and its reservation if the
// copy is complete; otherwise it releases both and returns the drop reason.
func (b *bodyTee) seal() (buf []byte, reserved int64, reason DropReason, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sealed = true
	switch {
	case b.failed:
		return nil, 0, b.reason, false
	case b.eof || (b.wantBytes >= 0 && int64(len(b.buf)) == b.wantBytes):
		buf, reserved = b.buf, b.reserved
		b.buf, b.reserved = nil, 0
		return buf, reserved, 0, true
	default:
		b.fail(DropBodyIncomplete)
		return nil, 0, DropBodyIncomplete, false
	}
}

// captureWriter records the primary's status and a hash of its body for
// response comparison. It passes everything through unchanged.
type captureWriter struct {
	http.ResponseWriter
	status int
	h      maphash.Hash
	n      int64
	limit  int64
	over   bool
}

// WriteHeader records the final status and passes it on.
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 && code >= 200 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

// Write hashes p (up to the limit) and passes it on.
func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if !c.over {
		if c.n+int64(len(p)) > c.limit {
			c.over = true
		} else {
			_, _ = c.h.Write(p)
		}
	}
	c.n += int64(len(p))
	return c.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush, Hijack and deadlines.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Flush forwards to the underlying writer if it can flush.
func (c *captureWriter) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }
