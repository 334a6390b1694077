package transition

import (
	"time"

	"github.com/benbjohnson/clock"
)

// Clock is the time source a drainer needs: the current time, for drain
// durations, and tickers, for poll intervals.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTicker returns a ticker that fires every d; d is positive.
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks on a channel until stopped, like *time.Ticker.
type Ticker interface {
	// C returns the channel ticks arrive on.
	C() <-chan time.Time
	// Stop turns the ticker off; it does not close the channel.
	Stop()
}

type realClock struct{}

// Now implements Clock.
func (realClock) Now() time.Time { return time.Now() }

// NewTicker implements Clock.
func (realClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

// C implements Ticker.
func (t realTicker) C() <-chan time.Time { return t.t.C }

// Stop implements Ticker.
func (t realTicker) Stop() { t.t.Stop() }

// FromClock adapts a github.com/benbjohnson/clock Clock (for example the
// *clock.Mock a Controller runs on) to a Clock. Nil gives the real clock.
func FromClock(c clock.Clock) Clock {
	if c == nil {
		return realClock{}
	}
	return benClock{c}
}

type benClock struct{ c clock.Clock }

// Now implements Clock.
func (b benClock) Now() time.Time { return b.c.Now() }

// NewTicker implements Clock.
func (b benClock) NewTicker(d time.Duration) Ticker { return benTicker{b.c.Ticker(d)} }

type benTicker struct{ t *clock.Ticker }

// C implements Ticker.
func (t benTicker) C() <-chan time.Time { return t.t.C }

// Stop implements Ticker.
func (t benTicker) Stop() { t.t.Stop() }
