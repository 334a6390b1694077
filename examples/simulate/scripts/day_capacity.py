#!/usr/bin/env python3
"""Capacity held per day, in times that day's demand, for both policies.

Usage: day_capacity.py SIMULATE TRACE.csv [FLAG...]

Runs the simulator on TRACE with the evaluation's settings (C = trace
maximum / 40, 10-minute ready delay, target 0.70), once with the predictive
stack and once with the reactive HPA, FLAGs added to the predictive run
(e.g. -bias-window 0), and prints for each day of the trace
Σ ready × C / Σ demand of each.
"""
import csv, os, subprocess, sys, tempfile


def per_day(binary, trace, per_replica, policy, flags):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "steps.csv")
        subprocess.run([binary, "-trace", trace, "-per-replica", "%.6f" % per_replica,
                        "-ready-delay", "10m", "-policy", policy, "-target-utilization", "0.70",
                        "-min", "1", "-max", "100000", "-out", out, "-quiet"] + flags,
                       check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        days = {}
        with open(out) as f:
            for row in csv.DictReader(f):
                d = days.setdefault(row["timestamp"][:10], [0.0, 0.0])
                d[0] += float(row["ready"]) * per_replica
                d[1] += float(row["demand"])
        return days


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, trace, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(trace) as f:
        peak = max(float(row["value"]) for row in csv.DictReader(f))
    c = peak / 40
    pred = per_day(binary, trace, c, "predictive", flags)
    hpa = per_day(binary, trace, c, "reactive", [])
    print("day        predictive  reactive")
    for day in sorted(pred):
        p, r = pred[day], hpa[day]
        print("%s  %10.2f  %8.2f" % (day, p[0] / p[1] if p[1] else float("nan"), r[0] / r[1] if r[1] else float("nan")))


if __name__ == "__main__":
    main()
