// Package forecasttest provides a scripted [forecast.Forecaster] for tests
// of code that consumes forecasts, like net/http/httptest for handlers.
package forecasttest
