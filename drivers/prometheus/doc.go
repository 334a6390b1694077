// Package prometheus is a [shadow.MetricsSource] that reads production
// utilization from a Prometheus server (or any server speaking its HTTP
// query API, such as Thanos, Cortex, Mimir or VictoriaMetrics).
//
// A [Source] holds one PromQL query per metric, for example
//
//	request_rate: sum(rate(http_requests_total{job="web"}[1m]))
//	cpu:          sum(rate(container_cpu_usage_seconds_total{pod=~"web-.*"}[1m]))
//
// and evaluates each as an instant query at the Controller's pass time
// (/api/v1/query with time=now) through the official client,
// github.com/prometheus/client_golang/api/prometheus/v1. A query must return
// a scalar or a vector with exactly one sample: aggregate with sum(), avg() or
// max(). An empty vector, several series, a NaN, an infinite or a negative
// value is an error naming the metric and the query (see [ErrNoData],
// [ErrManySeries], [ErrNotANumber], [ErrNegative]).
//
// [Source.History] implements [shadow.HistorySource] with range queries
// (/api/v1/query_range), read in chunks under the server's limit of 11,000
// points per series, so that a Controller can fill its history window when
// it starts.
//
// Where a scrape is missing, Prometheus serves the last sample of a series
// again for up to its lookback delta (5 minutes unless the server's
// --query.lookback-delta says otherwise), and a gauge queried more often
// than it is scraped returns each scrape several times. The Controller does
// not take such a copy of a sample it holds as suspect, more than ten
// times the recent load, for a confirmation, and leaves the copies of its
// last observation that a range query read after missed passes returns
// (the server's own outage, or failed scrapes) out as gaps
// (see shadow.Config.SourceLookback): set that field to the server's
// lookback delta when it is not the default. By value alone a copy of a
// smaller sample cannot be told from a new reading of the same value (a
// step served bit for bit, as synthetic loads are); with
// [Config.ScrapeTimes] the source also asks timestamp(query) and reports
// the scrape each value comes from (shadow.Sample.Scraped), and a copy of
// a suspect sample, of any size, confirms nothing, while a new scrape of
// the same value does. That works for gauges and recording rules; for a
// query that computes its value (a rate, a sum) the timestamp is the
// evaluation time, which tells nothing apart, and Sample leaves it out.
package prometheus
