package mirror

import "context"

// Stats returns all shadows together over the sliding window ending now
// (the Tee's clock). Dropped counts every copy lost on the way: per-request
// drops count once per shadow they deprived.
func (t *Tee) Stats(ctx context.Context) (Stats, error) {
	r, err := t.Report(ctx)
	if err != nil {
		return Stats{}, err
	}
	return r.Stats, nil
}

// Report returns per-shadow detail, the aggregate, the achieved mix and the
// noise estimate. It only reads counters; ctx is checked for cancellation.
func (t *Tee) Report(ctx context.Context) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	now := t.now()
	head := Stats{At: now, Window: t.cfg.Window, Fraction: t.sampler.getFraction()}
	var global counts
	t.global.sum(now, &global, nil)
	var allC counts
	var allH histogram
	rep := Report{Mix: t.sampler.mix()}
	for _, l := range t.lanes {
		var c counts
		var h histogram
		l.win.sum(now, &c, &h)
		c.add(&global)
		s := ShadowStats{Name: l.name, Stats: head}
		fillStats(&s.Stats, &c, &h)
		s.Status5xx = c.outcomes[outcome5xx]
		s.TransportErrors = c.outcomes[outcomeTransport]
		s.Timeouts = c.outcomes[outcomeTimeout]
		s.Panics = c.outcomes[outcomePanic]
		s.Drops = dropMap(&c)
		s.Compared, s.StatusMismatches, s.BodyMismatches = c.compared, c.statusMismatches, c.bodyMismatches
		s.Breaker, s.BreakerPause = l.br.snapshot()
		rep.Shadows = append(rep.Shadows, s)
		allC.add(&c)
		allH.add(&h)
	}
	rep.Stats = head
	fillStats(&rep.Stats, &allC, &allH)
	var noise counts
	t.noise.sum(now, &noise, nil)
	rep.NoiseCompared = noise.compared
	rep.NoiseMismatches = max(noise.statusMismatches, noise.bodyMismatches)
	return rep, nil
}
