// Package actuatortest provides an in-memory Actuator for tests and
// simulations, in the spirit of net/http/httptest.
//
// A Group models a scalable group with a ready delay: a replica requested at
// t serves from t + ReadyDelay, removal is immediate. Its clock is a
// function, so a replay or a test sets the time explicitly; errors and
// latency can be injected, and every Scale call is recorded.
package actuatortest
