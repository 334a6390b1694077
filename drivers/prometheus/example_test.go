package prometheus_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/shadowscale/shadowscale/drivers/prometheus"
	"github.com/shadowscale/shadowscale/shadow"
)

// A Source reads one number per metric; here from a local stand-in that
// answers every instant query with one sample.
func ExampleSource() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1772447400,"412.5"]}]}}`)
	}))
	defer srv.Close()

	client, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	src, err := prometheus.NewSource(v1.NewAPI(client), prometheus.Config{
		Queries: map[shadow.Metric]string{
			shadow.RequestRate: `sum(rate(http_requests_total{job="web"}[1m]))`,
		},
		Timeout: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	s, err := src.Sample(context.Background(), now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s = %g at %s\n", shadow.RequestRate, s.Values[shadow.RequestRate], s.Time.Format(time.RFC3339))
	// Output:
	// request_rate = 412.5 at 2026-03-02T10:30:00Z
}

// History reads a metric's past values with range queries, for a Controller
// that starts with an empty history; a step without a value is a gap.
func ExampleSource_History() {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Values at 10:00 and 10:02; none at 10:01.
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[%d,"410"],[%d,"425.5"]]}]}}`,
			t0.Unix(), t0.Add(2*time.Minute).Unix())
	}))
	defer srv.Close()

	client, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	src, err := prometheus.NewSource(v1.NewAPI(client), prometheus.Config{
		Queries: map[shadow.Metric]string{shadow.RequestRate: `sum(rate(http_requests_total{job="web"}[1m]))`},
	})
	if err != nil {
		log.Fatal(err)
	}
	obs, err := src.History(context.Background(), shadow.RequestRate, t0, t0.Add(2*time.Minute), time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range obs {
		fmt.Println(o.Time.Format("15:04"), o.Value)
	}
	// Output:
	// 10:00 410
	// 10:02 425.5
}

// With ScrapeTimes the source also asks timestamp(query) and reports the
// scrape each value comes from: a gauge's value served again by the
// server's lookback, its scrape missing, carries the old scrape's time, and
// the Controller does not take it for a new reading.
func ExampleConfig_scrapeTimes() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		v := "0.625"
		if strings.HasPrefix(r.FormValue("query"), "timestamp(") {
			v = "1772447370" // the scrape 30 s before the evaluation time
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1772447400,%q]}]}}`, v)
	}))
	defer srv.Close()

	client, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	src, err := prometheus.NewSource(v1.NewAPI(client), prometheus.Config{
		Queries:     map[shadow.Metric]string{shadow.CPU: `avg(cpu_utilization{job="web"})`},
		ScrapeTimes: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	s, err := src.Sample(context.Background(), time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s = %g, scraped at %s\n", shadow.CPU, s.Values[shadow.CPU], s.Scraped[shadow.CPU].Format(time.RFC3339))
	// Output:
	// cpu = 0.625, scraped at 2026-03-02T10:29:30Z
}
