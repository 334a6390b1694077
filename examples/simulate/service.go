package main

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/mirror"
)

// serviceModel turns utilization into latency and errors. Each replica is
// an M/M/c queue with c workers; the mean wait uses Sakasegawa's
// approximation Wq ≈ S·ρ^(√(2(c+1))−1) / (c(1−ρ)), and p95 is taken as
// S + 3·Wq. Past saturation the excess is rejected (errors) and latency sits
// at the timeout.
type serviceModel struct {
	service time.Duration // S, the service time of one request
	workers int           // c
	timeout time.Duration
}

var defaultService = serviceModel{service: 50 * time.Millisecond, workers: 16, timeout: 5 * time.Second}

// at returns p95 latency and error rate at utilization rho.
func (m serviceModel) at(rho float64) (time.Duration, float64) {
	if rho <= 0 {
		return m.service, 0
	}
	if rho >= 0.999 {
		return m.timeout, math.Max(0.001, 1-1/rho)
	}
	c := float64(m.workers)
	wq := math.Pow(rho, math.Sqrt(2*(c+1))-1) / (c * (1 - rho))
	p95 := time.Duration(float64(m.service) * (1 + 3*wq))
	return min(p95, m.timeout), 0
}

// simMirror stands in for the HTTP tee in a replay: the shadows receive the
// mirrored fraction of each step's demand on their own ready replicas, each
// with the same per-replica capacity as production (the running release's),
// and answer as the service model says. Stats cover the last few steps, as a
// tee's sliding window does.
type simMirror struct {
	mu       sync.Mutex
	model    serviceModel
	fraction float64
	now      time.Time
	step     time.Duration
	window   int
	recent   []stepLoad // the last window steps, oldest first
	ready    func() int
}

// stepLoad is one step's mirrored load and shadow capacity.
type stepLoad struct {
	mirrored, capacity float64
}

// observe records the step's demand and per-replica capacity; it is called
// before the Controller's pass at now.
func (m *simMirror) observe(now time.Time, demand, perReplica float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
	w := stepLoad{mirrored: m.fraction * demand, capacity: float64(m.ready()) * perReplica}
	m.recent = append(m.recent, w)
	if len(m.recent) > m.window {
		m.recent = m.recent[1:]
	}
}

// Stats implements mirror.Mirror.
func (m *simMirror) Stats(context.Context) (mirror.Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var load, capacity float64
	for _, w := range m.recent {
		load += w.mirrored
		capacity += w.capacity
	}
	s := mirror.Stats{At: m.now, Window: time.Duration(len(m.recent)) * m.step, Fraction: m.fraction, Requests: int64(math.Round(load))}
	if capacity == 0 || s.Requests == 0 {
		s.Requests = 0
		return s, nil
	}
	p95, errRate := m.model.at(load / capacity)
	s.P50, s.P95, s.P99 = p95/2, p95, p95*2
	s.Errors = int64(math.Round(errRate * float64(s.Requests)))
	return s, nil
}

// SetFraction implements mirror.Mirror.
func (m *simMirror) SetFraction(f float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fraction = f
	return nil
}
