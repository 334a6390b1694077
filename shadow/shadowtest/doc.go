// Package shadowtest provides a scripted MetricsSource for tests of code
// built on the shadow package: fixed values, values computed from the pass
// time, and queued or sticky errors.
package shadowtest
