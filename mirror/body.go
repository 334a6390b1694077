package mirror

import (
	"hash/maphash"
	"io"
	"net/http"
	"sync"
)

// bufPool recycles copied request bodies.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf keeps one huge body from pinning memory in the pool.
const maxPooledBuf = 256 << 10

func getBuf(sizeHint int64) *[]byte {
	b := bufPool.Get().(*[]byte)
	if sizeHint > 0 && int64(cap(*b)) < sizeHint {
		bufPool.Put(b)
		nb := make([]byte, 0, sizeHint)
		b = &nb
	}
	*b = (*b)[:0]
	return b
}

func putBuf(b *[]byte) {
	if b == nil || cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// bodyTee copies what the primary reads into a bounded buffer. It never
// reads on its own: the primary's pace is the only pace. A mutex guards
// against the primary's transport still reading after the handler returned.
type bodyTee struct {
	rc        io.ReadCloser
	limit     int64
	wantBytes int64 // ContentLength, or -1

	mu       sync.Mutex
	buf      *[]byte
	overflow bool
	eof      bool
	sealed   bool
}

func newBodyTee(rc io.ReadCloser, limit, contentLength int64) *bodyTee {
	return &bodyTee{rc: rc, limit: limit, wantBytes: contentLength, buf: getBuf(min(contentLength, limit))}
}

// Read reads for the primary and copies what it got.
func (b *bodyTee) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	if !b.sealed {
		if n > 0 && !b.overflow {
			if int64(len(*b.buf)+n) > b.limit {
				b.overflow = true
				putBuf(b.buf)
				b.buf = nil
			} else {
				*b.buf = append(*b.buf, p[:n]...)
			}
		}
		if err == io.EOF {
			b.eof = true
		}
	}
	b.mu.Unlock()
	return n, err
}

// Close closes the primary's body.
func (b *bodyTee) Close() error { return b.rc.Close() }

// seal stops copying and hands over the buffer if the copy is complete;
// otherwise it releases the buffer and returns the drop reason.
func (b *bodyTee) seal() (*[]byte, DropReason, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sealed = true
	buf := b.buf
	b.buf = nil
	switch {
	case b.overflow:
		return nil, DropBodyTooLarge, false
	case b.eof || (b.wantBytes >= 0 && int64(len(*buf)) == b.wantBytes):
		return buf, 0, true
	default:
		putBuf(buf)
		return nil, DropBodyIncomplete, false
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
