//go:build ignore

// Loopback backends for run.sh: a fast primary and shadows that answer
// at once, after a delay, or not at all. Run with `go run backend.go`.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:9001", "address")
	delay := flag.Duration("delay", 0, "delay before answering")
	flag.Parse()
	body := []byte(fmt.Sprintf("%-100s\n", "hello from "+*addr))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if *delay > 0 {
			t := time.NewTimer(*delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		_, _ = w.Write(body)
	})
	fmt.Fprintf(os.Stderr, "backend %s delay %s\n", *addr, *delay)
	log.Fatal(http.ListenAndServe(*addr, h))
}
