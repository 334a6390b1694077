// Package shadowscale is a library for predictive autoscaling with shadow
// resources.
//
// Reactive autoscalers add capacity after users already feel the load.
// shadowscale anticipates it: the Shadow Manager ([shadow.Controller]) watches
// production utilization, a [forecast.Forecaster] predicts the load one
// provisioning lead time ahead with a prediction interval, scaled-down shadow
// replicas receive a sampled mirror of live traffic ([mirror.Mirror]) and act
// as an early warning, a [policy.Policy] turns prediction and shadow signal
// into a [policy.Decision], and an [actuator.Actuator] scales production before
// the load arrives while a [transition.Transitioner] shifts traffic to the new
// capacity.
//
// Each role is a small interface in the package that names it; each has a
// public fake in a …test package (for example actuator/actuatortest) so
// that users can drive the whole Controller deterministically in their own
// tests with an explicit now or a mock clock.
//
// This root package holds documentation only.
package shadowscale
