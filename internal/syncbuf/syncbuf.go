// Package syncbuf holds writers safe for concurrent use: a bytes.Buffer
// (the log sink tests hand to loggers whose handlers run on several
// goroutines) and a wrapper that serializes writes to any io.Writer.
package syncbuf

import (
	"bytes"
	"io"
	"sync"
)

// Buffer is a bytes.Buffer whose Write and String may be called
// concurrently. The zero value is empty and ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Writer serializes the writes of several goroutines to W.
type Writer struct {
	mu sync.Mutex
	// W receives the writes, one at a time.
	W io.Writer
}

// Write writes p to W under the lock.
func (l *Writer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
