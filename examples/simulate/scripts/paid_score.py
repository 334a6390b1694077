#!/usr/bin/env python3
"""Scores examples/simulate on the paid axis against an independent HPA model.

Usage: paid_score.py SIM_SCORE_PY SIMULATE_BINARY TRACE.csv [TARGETS] [extra simulate flags...]

SIM_SCORE_PY is the evaluation's sim_score.py; its Kubernetes-HPA model (swept over
targets 0.30..0.95), its frontier interpolation and its settings (10-minute ready delay,
C = trace maximum / 40) are reused. TARGETS is a comma-separated list (default
0.7,0.85,0.95). For each predictive target it prints, on the whole trace or, with
HALF=first or HALF=second in the environment, on that half of the steps only:
  under-provisioned fraction, ready and paid capacity ratio (paid: Σ requested × C / Σ demand),
  replica starts (Σ increases of requested) and scale events, against the HPA's at the same target;
  on the paid axis the HPA frontier's under-provisioning at equal paid capacity (cut, counted
  where the frontier under-provisions at least 0.2% of steps), its paid capacity at equal
  under-provisioning (saving), and the share of the gap from that frontier to perfect foresight
  closed; the same three on the ready axis.
"""
import csv, importlib.util, math, os, subprocess, sys, tempfile


def load_score(path):
    spec = importlib.util.spec_from_file_location("sim_score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(binary, tp, C, t, wd, extra):
    out = os.path.join(wd, "steps-%.2f.csv" % t)
    cmd = [binary, "-trace", tp, "-per-replica", "%.6f" % C, "-ready-delay", "10m", "-policy", "predictive",
           "-target-utilization", "%.2f" % t, "-min", "1", "-max", "100000", "-out", out, "-quiet"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit("simulate exited %d: %s" % (p.returncode, p.stderr.strip()[-300:]))
    with open(out) as f:
        return [dict(demand=float(x["demand"]), desired=float(x["desired"]), ready=float(x["ready"])) for x in csv.DictReader(f)]


def part(steps):
    h, n = os.environ.get("HALF"), len(steps)
    if h == "first":
        return steps[: n // 2]
    if h == "second":
        return steps[n // 2:]
    return steps


def metrics(steps, C):
    steps = part(steps)
    under = sum(1 for s in steps if s["demand"] > s["ready"] * C + 1e-9) / len(steps)
    dem = sum(s["demand"] for s in steps)
    ready = sum(s["ready"] * C for s in steps) / dem
    paid = sum(s["desired"] * C for s in steps) / dem
    starts = sum(max(0, b["desired"] - a["desired"]) for a, b in zip(steps, steps[1:]))
    events = sum(1 for a, b in zip(steps, steps[1:]) if a["desired"] != b["desired"])
    return under, ready, paid, starts, events


def judge(ss, pts, under, cap, perfect):
    uf = ss.frontier_at(pts, cap)
    cut = (1 - under / uf) if uf >= ss.SIGNIFICANT else float("nan")
    cf = ss.cost_frontier_at(pts, under)
    if cf is None:
        cf = min(pts)[1]
    save = 1 - cap / cf
    gap = (cf - cap) / (cf - perfect) if cf > perfect else float("nan")
    return uf, cut, cf, save, gap


def main():
    ss = load_score(sys.argv[1])
    binary, tp = sys.argv[2], sys.argv[3]
    targets = [float(x) for x in sys.argv[4].split(",")] if len(sys.argv) > 4 else [0.7, 0.85, 0.95]
    extra = sys.argv[5:]
    trace = ss.load_trace(tp)
    step_s = trace[1][0] - trace[0][0]
    C = max(v for _, v in trace) / 40.0
    hpa = {round(t, 2): metrics(ss.hpa(trace, C, step_s, t), C) for t in ss.SWEEP}
    pf = metrics([dict(demand=v, ready=math.ceil(v / C - 1e-9), desired=math.ceil(v / C - 1e-9)) for _, v in trace], C)
    ready_pts = [(u, r) for u, r, _, _, _ in hpa.values()]
    paid_pts = [(u, p) for u, _, p, _, _ in hpa.values()]
    name = os.path.basename(tp)
    with tempfile.TemporaryDirectory() as wd:
        for t in targets:
            u, r, p, s, e = metrics(run(binary, tp, C, t, wd, extra), C)
            h = hpa.get(round(t, 2))
            puf, pcut, pcf, psave, pgap = judge(ss, paid_pts, u, p, pf[2])
            _, rcut, _, rsave, rgap = judge(ss, ready_pts, u, r, pf[1])
            hs = "HPA %d, %.2fx" % (h[3], s / max(h[3], 1)) if h else "no HPA point"
            print("%s @%.2f under=%.4f ready=%.3f paid=%.3f starts=%d (%s) events=%d | paid: HPA under %.4f at equal paid, cut %.0f%%, HPA paid %.3f at equal under, saving %.0f%%, gap closed %.0f%% | ready: cut %.0f%%, saving %.0f%%, gap closed %.0f%%"
                  % (name, t, u, r, p, s, hs, e, puf, 100 * pcut, pcf, 100 * psave, 100 * pgap, 100 * rcut, 100 * rsave, 100 * rgap), flush=True)


if __name__ == "__main__":
    main()
