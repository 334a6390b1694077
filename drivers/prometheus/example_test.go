package prometheus_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
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
