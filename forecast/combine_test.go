package forecast

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/shadowscale/shadowscale/internal/mathx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// constModel forecasts the same value at every step.
type constModel struct{ v float64 }

func (c *constModel) name() string                  { return "const" }
func (c *constModel) minHistory() int               { return 1 }
func (c *constModel) estimate([]float64) error      { return nil }
func (c *constModel) reset([]float64)               {}
func (c *constModel) next() float64                 { return c.v }
func (c *constModel) update(float64)                {}
func (c *constModel) psi(int) float64               { return 1 }
func (c *constModel) multiplicative() bool          { return false }
func (c *constModel) predict(_ int, mean []float64) { fillConst(mean, c.v) }

func fillConst(s []float64, v float64) {
	for i := range s {
		s[i] = v
	}
}

// TestCombinationOfSelections: the median of the median of the three
// best, the best and the likelihood's pick. Two flat models outvote a
// trended best in the median of three, but not once the likelihood's pick
// agrees with the best; a pick among the three counts once as a part.
func TestCombinationOfSelections(t *testing.T) {
	parts := func(vs ...float64) []model {
		var ms []model
		for _, v := range vs {
			ms = append(ms, &constModel{v})
		}
		return ms
	}
	for _, tc := range []struct {
		name        string
		vals        []float64
		inner, pick int
		want        float64
	}{
		// The best is trended (130), two flat (100, 101); the
		// likelihood agrees with the best (128): the trend stays.
		{"pick agrees with the best", []float64{130, 100, 101, 128}, 3, 3, 128},
		// The likelihood agrees with the flat ones: their median.
		{"pick agrees with the rest", []float64{130, 100, 101, 99}, 3, 3, 101},
		// Plain median of three damps the best's trend.
		{"median of three", []float64{130, 100, 101}, 0, 0, 101},
		// The pick is the third of the three: median(101, 130, 101).
		{"pick among the three", []float64{130, 100, 101}, 3, 2, 101},
		// The pick is the best: the best.
		{"pick is the best", []float64{130, 100, 101}, 3, 0, 130},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCombination(parts(tc.vals...))
			c.inner, c.pick = tc.inner, tc.pick
			assert.Equal(t, tc.want, c.next())
			got := make([]float64, 5)
			c.predict(0, got)
			for _, v := range got {
				assert.Equal(t, tc.want, v)
			}
		})
	}
}

// TestCombinedSelection: SelectCombined on a seasonal series forecasts
// the median of three selections, says which, and its forecast is that
// median of its parts' forecasts, step by step.
func TestCombinedSelection(t *testing.T) {
	y := seasonal(240, 24, 100, 0.2, 20, 3, 11)
	a, err := NewAuto(AutoConfig{Periods: []int{24}, Horizon: 24, Window: len(y), MaxGap: len(y), Select: SelectCombined})
	require.NoError(t, err)
	feed(t, a, y, 0)
	require.NoError(t, a.Refit())
	c, ok := a.a.chosen.(*combination)
	require.True(t, ok, a.Name())
	require.Equal(t, 3, c.inner)
	require.True(t, c.pick >= 0 && c.pick < len(c.parts), "pick %d of %d", c.pick, len(c.parts))
	require.Contains(t, a.Selection().Reason, "the lowest AICc")
	require.True(t, strings.HasPrefix(a.Selection().Model, "median(median("), a.Selection().Model)

	fc, err := a.Forecast(24, 0.9)
	require.NoError(t, err)
	preds := make([][]float64, len(c.parts))
	for i, p := range c.parts {
		preds[i] = make([]float64, 24)
		p.predict(0, preds[i])
	}
	for k := range 24 {
		three := []float64{preds[0][k], preds[1][k], preds[2][k]}
		m3 := mathx.Median(three)
		first, pick := preds[0][k], preds[c.pick][k]
		want := max(min(first, pick), min(max(first, pick), m3))
		require.InDelta(t, want, fc.Mean[k], 1e-9*max(1, want), "step %d", k)
	}
}

// TestCombinationStateRejected: a saved combination whose structure does
// not fit its parts is refused with the reason.
func TestCombinationStateRejected(t *testing.T) {
	y := seasonal(300, 24, 100, 0, 30, 4, 5)
	a, err := restartCases["auto-combined"]()
	require.NoError(t, err)
	feed(t, a, y, 0)
	good, err := a.MarshalState()
	require.NoError(t, err)
	require.Contains(t, string(good), `"inner":3`)
	for name, data := range map[string][]byte{
		"inner past the parts": bytes.Replace(good, []byte(`"inner":3`), []byte(`"inner":7`), 1),
		"negative inner":       bytes.Replace(good, []byte(`"inner":3`), []byte(`"inner":-3`), 1),
		"pick past the parts":  regexp.MustCompile(`"inner":3(,"pick":\d+)?`).ReplaceAll(good, []byte(`"inner":3,"pick":9`)),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := restartCases["auto-combined"]()
			require.NoError(t, err)
			err = b.UnmarshalState(data)
			require.ErrorIs(t, err, ErrBadState)
			assert.Contains(t, err.Error(), "combination of")
		})
	}
}
