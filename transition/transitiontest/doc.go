// Package transitiontest provides fakes of the transition interfaces for
// tests, in the spirit of net/http/httptest: a scripted Transitioner that
// records the plans it is given, and a recording Drainer whose errors and
// blocking are injected.
//
// Both are safe for concurrent use.
package transitiontest
