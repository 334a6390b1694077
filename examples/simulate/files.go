package main

import (
	"fmt"
	"io"
	"os"
)

func writeFile(path string, w io.WriterTo) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-chart: %w", err)
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("-chart %s: %w", path, err)
	}
	return f.Close()
}
