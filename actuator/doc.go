// Package actuator defines the Actuator role — something that changes and
// reports the capacity of one scalable group — and retries with exponential
// backoff (github.com/cenkalti/backoff/v4) that stop on errors marked
// Permanent.
//
// Cloud implementations live in their own modules under drivers/ (AWS Auto
// Scaling groups, GCP managed instance groups, Kubernetes scalable
// resources); actuatortest has an in-memory group for tests and
// simulations.
package actuator
