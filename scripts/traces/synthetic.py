#!/usr/bin/env python3
"""Writes synthetic load traces that probe what the six real traces do not
show: loads with structure a forecast can use, and loads without it.

Every trace is `timestamp,value` at 1-minute steps from 2024-01-01T00:00Z
(a Monday), 14 days unless said otherwise, generated from a fixed seed so
that each run writes the same files. The base load is a daily cycle
(100 ± 60, lowest at 04:00, highest at 16:00) with weekends at 70%, times
Gaussian noise of 5% per minute. The traces:

  cycle        the base load
  noisy        the base load with 20% noise
  bursts       the base load plus unannounced bursts (2 a day at random
               times, 2-6 times the load, 5-30 minutes, 2-minute edges)
  heavy-tail   the base load times log-normal noise (sigma 0.4)
  level-shift  the base load, 2.5 times higher from day 8 on
  decline      the base load falling linearly to 40% by the end
  growth       the base load rising linearly to 3 times by the end
  flash-crowd  the base load plus two 8-fold surges that climb for
               10 minutes and last 3 hours (days 6 and 11)
  random-walk  no cycle: a geometric random walk (1% a minute) around 100
  young        the base load, 3 days only

Usage: synthetic.py OUTDIR
"""
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
DAY = 1440


def base(i, rng, noise=0.05):
    """The base load at minute i."""
    t = T0 + timedelta(minutes=i)
    phase = 2 * math.pi * ((i % DAY) - 10 * 60) / DAY  # lowest at 04:00, highest at 16:00
    v = 100 + 60 * math.sin(phase)
    if t.weekday() >= 5:
        v *= 0.7
    return v * (1 + noise * rng.gauss(0, 1))


def bursts(n, rng, per_day, lo, hi, dmin, dmax, edge):
    """Multipliers of unannounced bursts: (start, duration, factor) drawn
    per day, trapezoids with edges of edge minutes."""
    extra = [0.0] * n
    for d in range(n // DAY):
        for _ in range(per_day):
            start = d * DAY + rng.randrange(DAY)
            dur = rng.randint(dmin, dmax)
            f = rng.uniform(lo, hi) - 1
            for k in range(dur + 2 * edge):
                i = start + k
                if i >= n:
                    break
                w = min(1.0, (k + 1) / edge, (dur + 2 * edge - k) / edge)
                extra[i] = max(extra[i], f * w)
    return extra


def trace(name, rng):
    days = 3 if name == "young" else 14
    n = days * DAY
    if name == "random-walk":
        v, out = 100.0, []
        for _ in range(n):
            v *= math.exp(0.01 * rng.gauss(0, 1) - 0.002 * math.log(v / 100))
            out.append(v)
        return out
    noise = 0.2 if name == "noisy" else 0.05
    out = [max(base(i, rng, noise), 0.0) for i in range(n)]
    if name == "bursts":
        extra = bursts(n, rng, 2, 2, 6, 5, 30, 2)
        out = [v * (1 + e) for v, e in zip(out, extra)]
    elif name == "heavy-tail":
        out = [v * math.exp(0.4 * rng.gauss(0, 1) - 0.08) for v in out]
    elif name == "level-shift":
        out = [v * (2.5 if i >= 7 * DAY else 1) for i, v in enumerate(out)]
    elif name == "decline":
        out = [v * (1 - 0.6 * i / n) for i, v in enumerate(out)]
    elif name == "growth":
        out = [v * (1 + 2 * i / n) for i, v in enumerate(out)]
    elif name == "flash-crowd":
        for day in (5, 10):
            start = day * DAY + 14 * 60 + 20
            for k in range(190):
                w = min(1.0, (k + 1) / 10)
                out[start + k] *= 1 + 7 * w
    return out


NAMES = ["cycle", "noisy", "bursts", "heavy-tail", "level-shift", "decline",
         "growth", "flash-crowd", "random-walk", "young"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: synthetic.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for k, name in enumerate(NAMES):
        rng = random.Random(1000 + k)
        values = trace(name, rng)
        path = os.path.join(out, "synthetic-%s.csv" % name)
        with open(path, "w") as f:
            f.write("timestamp,value\n")
            for i, v in enumerate(values):
                t = T0 + timedelta(minutes=i)
                f.write("%s,%.3f\n" % (t.strftime("%Y-%m-%dT%H:%M:%SZ"), v))
        print(path)


if __name__ == "__main__":
    main()
