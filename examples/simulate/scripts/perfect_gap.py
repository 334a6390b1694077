#!/usr/bin/env python3
"""How much of the paid-axis gap a perfect forecast would close at each target.

Usage: perfect_gap.py SIM_SCORE_PY TRACE.csv [TARGETS]

A stack that knows the demand one ready delay ahead and provisions it at a
target utilization t requests, every step, the replicas that step's demand
needs at t, ⌈demand / (t × C)⌉, and has them ready when the demand comes: no
step is under-provisioned, and its paid capacity ratio is
Σ ⌈demand / (t × C)⌉ × C / Σ demand. This prints, for each target (default
0.7,0.85,0.95) and on the whole trace or, with HALF=first or HALF=second,
on that half, that ratio and the share of the gap from the HPA frontier
(the evaluation's HPA model, at zero under-provisioning) to perfect
foresight (⌈demand / C⌉) it closes, as paid_score.py counts it: the most a
forecast-driven stack at that target can close.
"""
import importlib.util, math, os, sys


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ss = load("sim_score", sys.argv[1])
    ps = load("paid_score", os.path.join(os.path.dirname(os.path.abspath(__file__)), "paid_score.py"))
    tp = sys.argv[2]
    targets = [float(x) for x in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0.7, 0.85, 0.95]
    trace = ss.load_trace(tp)
    step_s = trace[1][0] - trace[0][0]
    C = max(v for _, v in trace) / 40.0
    hpa = [ps.metrics(ss.hpa(trace, C, step_s, t), C) for t in ss.SWEEP]
    paid_pts = [(u, p) for u, _, p, _, _ in hpa]
    perfect = ps.metrics([dict(demand=v, ready=math.ceil(v / C - 1e-9), desired=math.ceil(v / C - 1e-9)) for _, v in trace], C)[2]
    out = []
    for t in targets:
        n = [math.ceil(v / (t * C) - 1e-9) for _, v in trace]
        u, _, p, _, _ = ps.metrics([dict(demand=v, ready=k, desired=k) for (_, v), k in zip(trace, n)], C)
        _, _, cf, _, gap = ps.judge(ss, paid_pts, u, p, perfect)
        out.append("@%.2f paid=%.3f under=%.4f HPA paid at equal under %.3f gap closed %.0f%%" % (t, p, u, cf, 100 * gap))
    print("%s (perfect foresight %.3f): %s" % (os.path.basename(tp), perfect, "; ".join(out)))


if __name__ == "__main__":
    main()
