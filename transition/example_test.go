package transition_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/transition"
)

// Steps, driven with explicit times as a Controller does on each pass,
// moves one step per pass once the dwell has passed.
func ExampleSteps() {
	s, err := transition.NewSteps(transition.StepsConfig{Dwell: time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	plan := transition.Plan{From: 4, To: 6, Started: start}
	for _, after := range []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute} {
		st, err := s.Advance(context.Background(), start.Add(after), plan)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(strings.TrimSpace(fmt.Sprintf("+%-4s weight %.2f done %-5t %s", after, st.Weight, st.Done, st.Reason)))
	}
	// Output:
	// +0s   weight 0.10 done false
	// +30s  weight 0.10 done false holding weight 0.1 for dwell: 30s of 1m0s held
	// +1m0s weight 0.25 done false
	// +2m0s weight 0.50 done false
	// +3m0s weight 1.00 done true
}

// A failing health check holds the weight, and MaxFailures failures in a
// row roll the transition back.
func ExampleStepsConfig_health() {
	s, err := transition.NewSteps(transition.StepsConfig{
		Dwell:       time.Second,
		MaxFailures: 2,
		Health: func(_ context.Context, c transition.HealthCheck) error {
			if c.Weight >= 0.25 {
				return errors.New("p99 latency 800ms > 300ms")
			}
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	plan := transition.Plan{From: 1, To: 2, Started: start}
	for i := range 4 {
		st, _ := s.Advance(context.Background(), start.Add(time.Duration(i)*time.Second), plan)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("weight %.2f %s", st.Weight, st.Reason)))
	}
	// Output:
	// weight 0.10
	// weight 0.25
	// weight 0.25 holding weight 0.25: health check failed (1 of 2 before rollback): p99 latency 800ms > 300ms
	// weight 0.00 rolled back from weight 0.25 after 2 consecutive failed health checks: p99 latency 800ms > 300ms
}

// A Router spreads requests by weight; Steps drives its weights through
// ApplyWeight.
func ExampleRouter() {
	router, err := transition.NewRouter(transition.RouterConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"old", "new"} {
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })
		// New capacity joins at weight 0: Steps raises it.
		weight := 1.0
		if name == "new" {
			weight = 0
		}
		if err := router.Add(transition.Backend{Name: name, Handler: h, Weight: weight}); err != nil {
			fmt.Println(err)
			return
		}
	}
	steps, err := transition.NewSteps(transition.StepsConfig{Dwell: time.Second, SetWeight: router.ApplyWeight})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	plan := transition.Plan{From: 1, To: 2, Started: start}
	for i := range 4 {
		st, err := steps.Advance(context.Background(), start.Add(time.Duration(i)*time.Second), plan)
		if err != nil {
			fmt.Println(err)
			return
		}
		count := map[string]int{}
		for range 100 {
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			count[rec.Body.String()]++
		}
		fmt.Printf("weight %.2f: old %d, new %d\n", st.Weight, count["old"], count["new"])
	}
	// Output:
	// weight 0.10: old 91, new 9
	// weight 0.25: old 80, new 20
	// weight 0.50: old 67, new 33
	// weight 1.00: old 50, new 50
}

// WeightedRandom takes an injectable random source, so that its choices
// can be reproduced.
func ExampleRouterConfig_weightedRandom() {
	rng := rand.New(rand.NewPCG(7, 7))
	router, err := transition.NewRouter(transition.RouterConfig{Balance: transition.WeightedRandom, Rand: rng.Float64})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = router.Add(transition.Backend{Name: "a", Handler: http.NotFoundHandler(), Weight: 1})
	_ = router.Add(transition.Backend{Name: "b", Handler: http.NotFoundHandler(), Weight: 3})
	for range 10000 {
		router.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	for _, b := range router.Backends() {
		fmt.Printf("%s: about %d%%\n", b.Name, (b.Served+50)/100)
	}
	// Output:
	// a: about 25%
	// b: about 75%
}

// InFlightDrainer takes the newest backend out of rotation and returns once
// it has no request in flight.
func ExampleInFlightDrainer() {
	router, _ := transition.NewRouter(transition.RouterConfig{})
	for _, name := range []string{"r1", "r2", "r3"} {
		_ = router.Add(transition.Backend{Name: name, Handler: http.NotFoundHandler(), Weight: 1})
	}
	d, err := transition.NewInFlightDrainer(router, transition.InFlightDrainerConfig{Remove: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Drain(ctx, 1); err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range router.Backends() {
		fmt.Println(b.Name)
	}
	// Output:
	// r1
	// r2
}

// HealthDrainer deregisters replicas through Begin and polls Check until
// they report no connections left.
func ExampleHealthDrainer() {
	connections := 3
	d, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{
		Begin: func(_ context.Context, s transition.DrainStart) error {
			fmt.Printf("deregister %d replicas\n", s.N)
			return nil
		},
		Check: func(_ context.Context, c transition.DrainCheck) (bool, error) {
			connections-- // a real check asks the replicas
			fmt.Printf("check %d: %d connections\n", c.Attempt, connections)
			return connections == 0, nil
		},
		Interval: 5 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Drain(context.Background(), 2))
	// Output:
	// deregister 2 replicas
	// check 1: 2 connections
	// check 2: 1 connections
	// check 3: 0 connections
	// <nil>
}
