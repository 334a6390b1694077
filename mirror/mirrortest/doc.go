// Package mirrortest provides a scripted fake [mirror.Mirror] for tests of
// code that consumes shadow statistics (the Controller, policies), in the
// spirit of net/http/httptest.
package mirrortest
