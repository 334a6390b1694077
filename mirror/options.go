package mirror

import (
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Option configures cross-cutting dependencies of a Tee or Verifier.
type Option interface{ apply(*options) }

type options struct {
	mp     metric.MeterProvider
	now    func() time.Time
	seed   *uint64
	logger *slog.Logger
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func buildOptions(opts []Option) options {
	o := options{mp: otel.GetMeterProvider(), now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithMeterProvider sets the OpenTelemetry meter provider. Nil keeps the
// default, otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) {
		if mp != nil {
			o.mp = mp
		}
	})
}

// WithClock sets the time source of sampling windows, the rate cap, Stats
// and signatures: the github.com/benbjohnson/clock Clock that
// shadow.WithClock takes, such as a *clock.Mock. Only its Now is read. Nil
// keeps the real clock.
func WithClock(clk clock.Clock) Option {
	return optionFunc(func(o *options) {
		if clk != nil {
			o.now = clk.Now
		}
	})
}

// WithSeed makes random sampling deterministic (a seeded PCG behind a
// mutex). Without it sampling uses math/rand/v2's per-thread generator.
func WithSeed(seed uint64) Option {
	return optionFunc(func(o *options) { o.seed = &seed })
}

// WithLogger sets the logger for worker-side events (a panicking transport
// or Redact hook). Nil keeps a logger that discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}
