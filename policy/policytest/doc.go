// Package policytest provides a scripted policy.Policy and Input builders
// for tests, in the spirit of net/http/httptest.
package policytest
