package transition

import (
	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Option configures the cross-cutting dependencies of the constructors in
// this package (NewSteps, NewInFlightDrainer, NewHealthDrainer).
type Option interface {
	apply(*options)
}

type options struct {
	meterProvider metric.MeterProvider
	clock         clock.Clock
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithMeterProvider sets the MeterProvider the instruments listed in the
// package documentation are created from. Nil keeps the default,
// otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) {
		if mp != nil {
			o.meterProvider = mp
		}
	})
}

// WithClock sets the clock drainers read time and poll intervals from: the
// github.com/benbjohnson/clock Clock that shadow.WithClock takes, such as
// the *clock.Mock a Controller runs on. Nil keeps the default, the real
// clock (which testing/synctest also fakes). Steps ignores it: it takes
// the time of each pass as an argument.
func WithClock(c clock.Clock) Option {
	return optionFunc(func(o *options) {
		if c != nil {
			o.clock = c
		}
	})
}

func newOptions(opts []Option) options {
	o := options{meterProvider: otel.GetMeterProvider(), clock: clock.New()}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}
