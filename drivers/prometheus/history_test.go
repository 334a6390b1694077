package prometheus

import (
	"context"
	"errors"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/shadow"
)

// rangeAPI evaluates range queries over one raw series the way Prometheus
// does for a plain selector: at each step the latest raw sample no older
// than the lookback, and no point where there is none. It refuses ranges
// above limit points, as the server does.
type rangeAPI struct {
	raw      []model.SamplePair // sorted by time
	lookback time.Duration
	limit    int
	series   int                 // series per result; 1 when 0
	failAt   int                 // 1-based call that fails; 0 never
	override map[int]model.Value // result for a 1-based call
	calls    []v1.Range
}

var _ QueryAPI = (*rangeAPI)(nil)

func (f *rangeAPI) Query(context.Context, string, time.Time, ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	return nil, nil, nil, errors.New("instant query not expected")
}

func (f *rangeAPI) QueryRange(_ context.Context, q string, r v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	f.calls = append(f.calls, r)
	if len(f.calls) == f.failAt {
		return nil, nil, nil, &v1.Error{Type: v1.ErrServer, Msg: "query processing would load too many samples into memory"}
	}
	if res, ok := f.override[len(f.calls)]; ok {
		return res, nil, nil, nil
	}
	start, end, step := model.TimeFromUnixNano(r.Start.UnixNano()), model.TimeFromUnixNano(r.End.UnixNano()), r.Step.Milliseconds()
	if n := (int64(end)-int64(start))/step + 1; n > int64(f.limit) {
		return nil, nil, nil, &v1.Error{Type: v1.ErrBadData, Msg: "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}
	}
	s := &model.SampleStream{Metric: model.Metric{}}
	for ts := start; ts <= end; ts = ts.Add(r.Step) {
		i := sort.Search(len(f.raw), func(i int) bool { return f.raw[i].Timestamp > ts }) - 1
		if i >= 0 && ts.Sub(f.raw[i].Timestamp) < f.lookback {
			v := f.raw[i].Value
			if strings.HasPrefix(q, "timestamp(") {
				v = model.SampleValue(float64(f.raw[i].Timestamp) / 1000)
			}
			s.Values = append(s.Values, model.SamplePair{Timestamp: ts, Value: v})
		}
	}
	res := model.Matrix{}
	if len(s.Values) > 0 {
		for range max(f.series, 1) {
			res = append(res, s)
		}
	}
	return res, nil, nil, nil
}

// rawSeries has one sample a minute from t0 for n minutes, value 100+i,
// with no samples in the minutes listed in holes.
func rawSeries(t0 time.Time, n int, holes ...int) []model.SamplePair {
	skip := map[int]bool{}
	for _, h := range holes {
		skip[h] = true
	}
	var out []model.SamplePair
	for i := range n {
		if !skip[i] {
			out = append(out, model.SamplePair{Timestamp: model.TimeFromUnixNano(t0.Add(time.Duration(i) * time.Minute).UnixNano()), Value: model.SampleValue(100 + i)})
		}
	}
	return out
}

func historySource(t *testing.T, api QueryAPI, maxPoints int) *Source {
	t.Helper()
	src, err := NewSource(api, Config{Queries: map[shadow.Metric]string{shadow.RequestRate: "load"}, MaxPoints: maxPoints})
	require.NoError(t, err)
	return src
}

func TestHistoryChunksOnTheGridAndKeepsGaps(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Minutes 30 to 39 have no sample: with a 5-minute lookback the steps
	// from 35:00 to 39:59 have no value.
	api := &rangeAPI{raw: rawSeries(t0, 120, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39), lookback: 5 * time.Minute, limit: 100}
	src := historySource(t, api, 100)
	from := t0.Add(7 * time.Second) // off the minute: the grid is from's, not the epoch's
	to := t0.Add(119 * time.Minute)
	step := 30 * time.Second

	got, err := src.History(context.Background(), shadow.RequestRate, from, to, step)
	require.NoError(t, err)

	total := int(to.Sub(from)/step) + 1
	require.Len(t, api.calls, (total+99)/100, "chunks of at most 100 points")
	for i, r := range api.calls {
		assert.Equal(t, from.Add(time.Duration(i*100)*step), r.Start, "chunk %d starts on the grid", i)
		assert.Equal(t, step, r.Step)
		if i > 0 {
			assert.Equal(t, api.calls[i-1].End.Add(step), r.Start, "chunks join without overlap or hole")
		}
	}
	assert.Equal(t, from.Add(time.Duration(total-1)*step), api.calls[len(api.calls)-1].End)

	// Expected: every grid time with a raw sample within the lookback.
	var want []shadow.Observation
	for k := range total {
		at := from.Add(time.Duration(k) * step)
		minute := int(at.Sub(t0) / time.Minute)
		last := minute
		for last >= 30 && last <= 39 {
			last--
		}
		if at.Sub(t0.Add(time.Duration(last)*time.Minute)) < 5*time.Minute {
			want = append(want, shadow.Observation{Time: at, Value: float64(100 + last)})
		}
	}
	assert.Equal(t, want, got)
	assert.Less(t, len(got), total, "the hole is left out, not filled")
	for _, o := range got {
		assert.False(t, o.Time.After(t0.Add(34*time.Minute+59*time.Second)) && o.Time.Before(t0.Add(40*time.Minute)), "a gap was filled at %s", o.Time)
	}
}

func TestHistoryDefaultLimitIsPrometheus(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	api := &rangeAPI{raw: rawSeries(t0, 24*60), lookback: 5 * time.Minute, limit: 11000}
	src := historySource(t, api, 0)
	got, err := src.History(context.Background(), shadow.RequestRate, t0, t0.Add(24*time.Hour-time.Minute), 5*time.Second)
	require.NoError(t, err)
	assert.Len(t, got, 24*60*12-11, "every step up to the last sample")
	require.Len(t, api.calls, 2)
	assert.Equal(t, t0.Add(11000*5*time.Second), api.calls[1].Start)
}

func TestHistoryFailsWhole(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := t0.Add(99 * time.Minute)
	matrix := func(v float64) model.Value {
		return model.Matrix{{Values: []model.SamplePair{{Timestamp: model.TimeFromUnixNano(t0.Add(40 * time.Minute).UnixNano()), Value: model.SampleValue(v)}}}}
	}
	cases := []struct {
		name string
		api  *rangeAPI
		want error
		msg  string
	}{
		{"second chunk fails", &rangeAPI{failAt: 2}, nil, "too many samples"},
		{"negative", &rangeAPI{override: map[int]model.Value{2: matrix(-1)}}, ErrNegative, "at 2026-03-01T00:40:00Z"},
		{"infinite", &rangeAPI{override: map[int]model.Value{2: matrix(math.Inf(1))}}, ErrNotANumber, "+Inf"},
		{"two series", &rangeAPI{series: 2}, ErrManySeries, "2 series"},
		{"vector", &rangeAPI{override: map[int]model.Value{1: model.Vector{}}}, ErrResultType, "vector (want matrix)"},
		{"outside range", &rangeAPI{override: map[int]model.Value{1: matrix(1)}}, nil, "outside the requested range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.api.raw, c.api.lookback, c.api.limit = rawSeries(t0, 100), 5*time.Minute, 11000
			src := historySource(t, c.api, 30)
			got, err := src.History(context.Background(), shadow.RequestRate, t0, to, time.Minute)
			require.Error(t, err)
			assert.Nil(t, got, "no partial history")
			if c.want != nil {
				require.ErrorIs(t, err, c.want)
			}
			assert.Contains(t, err.Error(), c.msg)
			assert.Contains(t, err.Error(), `history of metric "request_rate": query "load"`)
		})
	}
}

func TestHistoryNaNIsAGap(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	api := &rangeAPI{override: map[int]model.Value{1: model.Matrix{{Values: []model.SamplePair{
		{Timestamp: model.TimeFromUnixNano(t0.UnixNano()), Value: 3},
		{Timestamp: model.TimeFromUnixNano(t0.Add(time.Minute).UnixNano()), Value: model.SampleValue(math.NaN())},
		{Timestamp: model.TimeFromUnixNano(t0.Add(2 * time.Minute).UnixNano()), Value: 4},
	}}}}}
	got, err := historySource(t, api, 0).History(context.Background(), shadow.RequestRate, t0, t0.Add(2*time.Minute), time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []shadow.Observation{{Time: t0, Value: 3}, {Time: t0.Add(2 * time.Minute), Value: 4}}, got)
}

func TestHistoryEmptyResultIsAllGaps(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	api := &rangeAPI{lookback: 5 * time.Minute, limit: 11000}
	got, err := historySource(t, api, 0).History(context.Background(), shadow.RequestRate, t0, t0.Add(time.Hour), time.Minute)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Len(t, api.calls, 1)
}

func TestHistoryRejectsBadArguments(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	src := historySource(t, &rangeAPI{}, 0)
	ctx := context.Background()
	cases := []struct {
		metric   shadow.Metric
		from, to time.Time
		step     time.Duration
		msg      string
	}{
		{shadow.CPU, t0, t0, time.Minute, `metric "cpu": no query configured`},
		{shadow.RequestRate, time.Time{}, t0, time.Minute, "must both be set"},
		{shadow.RequestRate, t0, t0.Add(-time.Second), time.Minute, "to (2026-02-28T23:59:59Z) is before from (2026-03-01T00:00:00Z)"},
		{shadow.RequestRate, t0, t0, 0, "step (0s) must be a positive whole number of milliseconds"},
		{shadow.RequestRate, t0, t0, 1500 * time.Microsecond, "step (1.5ms)"},
	}
	for _, c := range cases {
		_, err := src.History(ctx, c.metric, c.from, c.to, c.step)
		assert.ErrorContains(t, err, c.msg)
	}
}

// With ScrapeTimes, History also reads timestamp(query) chunk by chunk and
// stamps each point with the raw sample it comes from: the points the
// lookback fills after the last sample before a hole carry that sample's
// time. A failed timestamp query leaves the points unstamped, warned once.
func TestHistoryScrapeTimes(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	api := &rangeAPI{raw: rawSeries(t0, 20, 10, 11, 12), lookback: 5 * time.Minute, limit: 100}
	var warned []Warnings
	src, err := NewSource(api, Config{Queries: map[shadow.Metric]string{shadow.RequestRate: "load"}, MaxPoints: 7, ScrapeTimes: true,
		OnWarnings: func(w Warnings) { warned = append(warned, w) }})
	require.NoError(t, err)
	got, err := src.History(context.Background(), shadow.RequestRate, t0, t0.Add(19*time.Minute), time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 20)
	for k, o := range got {
		scrape := k
		if k >= 10 && k <= 12 {
			scrape = 9 // served again by the lookback
		}
		assert.Equal(t, t0.Add(time.Duration(scrape)*time.Minute), o.Scraped, "minute %d", k)
		assert.Equal(t, float64(100+scrape), o.Value, "minute %d", k)
	}
	assert.Len(t, api.calls, 6, "three chunks of 7, each read twice")
	assert.Empty(t, warned)

	api = &rangeAPI{raw: rawSeries(t0, 20), lookback: 5 * time.Minute, limit: 100, failAt: 2}
	src, err = NewSource(api, Config{Queries: map[shadow.Metric]string{shadow.RequestRate: "load"}, ScrapeTimes: true,
		OnWarnings: func(w Warnings) { warned = append(warned, w) }})
	require.NoError(t, err)
	got, err = src.History(context.Background(), shadow.RequestRate, t0, t0.Add(19*time.Minute), time.Minute)
	require.NoError(t, err, "the values are read; only their scrape times are missing")
	require.Len(t, got, 20)
	for _, o := range got {
		assert.True(t, o.Scraped.IsZero())
	}
	require.Len(t, warned, 1)
	assert.Equal(t, "timestamp(load)", warned[0].Query)
	assert.Contains(t, warned[0].Messages[0], "no scrape time")
}
