// Package gcptest is a fake Compute Engine API for testing drivers/gcp.
package gcptest
