#!/usr/bin/env python3
"""Scores examples/simulate on real traces, independently of the project's own numbers.

For each trace it runs the project's simulator (-policy reactive at target 0.7, -policy predictive
at targets 0.7 and 0.85), checks the steps.csv contract (ready capacity only follows requests
made ready-delay earlier; no look-ahead in the predictive run), recomputes the metrics itself,
and places each predictive run against the Pareto frontier of a Kubernetes-HPA model written here
(autoscaling/v2 algorithm, swept over target utilizations 0.30..0.95):
  reduction = 1 - under(predictive) / under(HPA frontier at the same capacity ratio)
A step is under-provisioned when demand > ready x per-replica capacity.
Usage: sim_score.py SIM_BINARY TRACE.csv [TRACE.csv ...]
and, the other way round, saving = 1 - capacity(predictive) / capacity(HPA frontier at the same
under-provisioning). Exit 0 when every trace reaches GOAL_REDUCTION or GOAL_SAVING.
"""
import csv, json, math, os, random, subprocess, sys, tempfile
from datetime import datetime, timezone

DELAY = "10m"
DELAY_S = 600
TOL = 0.1              # HPA tolerance
DOWN_WINDOW_S = 300    # HPA scale-down stabilization
GOAL_REDUCTION = 0.5   # fewer under-provisioned steps than HPA at equal capacity, or
GOAL_SAVING = 0.10     # less capacity than HPA at equal under-provisioning
SIGNIFICANT = 0.002
SWEEP = [0.3 + 0.05 * i for i in range(14)]   # HPA targets 0.30 .. 0.95
PRED_TARGETS = (0.7, 0.85, 0.95)


def parse_ts(s):
    s = s.strip()
    try:
        return float(s)
    except ValueError:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def load_trace(path):
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        return [(parse_ts(a), float(b)) for a, b in r]


def write_trace(path, rows):
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        for t, v in rows:
            f.write("%s,%.6f\n" % (datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), v))


def run_sim(binary, trace_path, per_replica, policy, target, workdir):
    out = os.path.join(workdir, "steps-%s-%.2f.csv" % (policy, target))
    cmd = [binary, "-trace", trace_path, "-per-replica", "%.6f" % per_replica, "-ready-delay", DELAY,
           "-policy", policy, "-target-utilization", "%.2f" % target, "-min", "1", "-max", "100000", "-out", out]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (policy, p.returncode, (p.stderr or p.stdout).strip()[-300:]))
    lines = [l for l in p.stdout.strip().splitlines() if l.strip()]
    if not lines:
        raise RuntimeError("%s printed nothing on stdout" % policy)
    json.loads(lines[-1])
    with open(out) as f:
        r = csv.DictReader(f)
        need = ["timestamp", "demand", "forecast", "desired", "ready"]
        if (r.fieldnames or [])[:5] != need:
            raise RuntimeError("steps.csv header %s, want %s" % (r.fieldnames, need))
        return [dict(t=parse_ts(x["timestamp"]), demand=float(x["demand"]), forecast=float(x["forecast"]),
                     desired=float(x["desired"]), ready=float(x["ready"])) for x in r]


def metrics(steps, per_replica):
    under = sum(1 for s in steps if s["demand"] > s["ready"] * per_replica + 1e-9)
    cap = sum(s["ready"] * per_replica for s in steps)
    dem = sum(s["demand"] for s in steps)
    return under / len(steps), cap / dem


def check_contract(steps, trace, step_s):
    if len(steps) != len(trace):
        return "steps.csv has %d rows, trace has %d" % (len(steps), len(trace))
    for i, (s, (t, v)) in enumerate(zip(steps, trace)):
        if abs(s["t"] - t) > 1 or abs(s["demand"] - v) > 1e-6 * max(1, abs(v)):
            return "row %d does not match the trace" % (i + 2)
    lag = int(math.ceil(DELAY_S / step_s))
    for i in range(1, len(steps)):
        r, prev = steps[i]["ready"], steps[i - 1]["ready"]
        if r > prev + 1e-9:
            j = i - lag
            if j < 0 or steps[j]["desired"] + 1e-9 < r:
                return "ready rises to %g at row %d without a request %ds earlier" % (r, i + 2, DELAY_S)
    return None


def hpa(trace, per_replica, step_s, target):
    """Kubernetes HPA (autoscaling/v2 defaults) on one metric, one sync per trace step."""
    lag = int(math.ceil(DELAY_S / step_s))
    win = max(1, int(math.ceil(DOWN_WINDOW_S / step_s)))
    pending = []
    ready = max(1, math.ceil(trace[0][1] / (per_replica * target)))
    recs, out = [], []
    for i, (_, d) in enumerate(trace):
        ready += sum(1 for k in pending if k <= i)
        pending = [k for k in pending if k > i]
        cur = ready + len(pending)
        ratio = d / (max(ready, 1) * per_replica) / target
        raw = max(1, cur if abs(ratio - 1) <= TOL else math.ceil(ready * ratio))
        recs.append(raw)
        desired = max(recs[-win:]) if raw < cur else raw
        if desired > cur:
            pending += [i + lag] * (desired - cur)
        elif desired < cur:
            drop = cur - desired
            k = min(drop, len(pending)); pending = pending[:len(pending) - k]; drop -= k
            ready -= drop
        out.append(dict(demand=d, ready=ready, desired=ready + len(pending)))
    return out


def frontier_at(points, cap):
    """under-provisioning of the HPA Pareto frontier at a capacity ratio (linear interpolation)."""
    pts = sorted(points, key=lambda p: p[1])
    front, best = [], float("inf")
    for u, c in sorted(pts, key=lambda p: p[1]):   # ascending cost; keep points that lower under
        if u < best:
            front.append((u, c)); best = u
    if cap <= front[0][1]:
        return front[0][0]
    for (u0, c0), (u1, c1) in zip(front, front[1:]):
        if c0 <= cap <= c1:
            return u0 + (u1 - u0) * (cap - c0) / (c1 - c0) if c1 > c0 else min(u0, u1)
    return front[-1][0]


def cost_frontier_at(points, under):
    """capacity ratio the HPA frontier needs to keep under-provisioning at or below `under`;
    None when no swept HPA setting gets that low."""
    front, best = [], float("inf")
    for u, c in sorted(points, key=lambda p: p[1]):
        if u < best:
            front.append((u, c)); best = u
    # front: cost ascending, under descending
    if under >= front[0][0]:
        return front[0][1]
    for (u0, c0), (u1, c1) in zip(front, front[1:]):
        if u1 <= under <= u0:
            return c0 + (c1 - c0) * (u0 - under) / (u0 - u1) if u0 > u1 else c1
    return None


def main():
    binary, traces = sys.argv[1], sys.argv[2:]
    ok, lines, reds, saves = True, [], [], []
    for tp in traces:
        name = os.path.basename(tp)
        trace = load_trace(tp)
        step_s = trace[1][0] - trace[0][0]
        per_replica = max(v for _, v in trace) / 40.0
        err = None
        with tempfile.TemporaryDirectory() as wd:
            try:
                reac = run_sim(binary, tp, per_replica, "reactive", 0.7, wd)
                preds = {t: run_sim(binary, tp, per_replica, "predictive", t, wd) for t in PRED_TARGETS}
                for s in [reac] + list(preds.values()):
                    err = err or check_contract(s, trace, step_s)
                cut = 2 * len(trace) // 3
                rnd = random.Random(7)
                alt = trace[:cut] + [(t, v * rnd.uniform(0.3, 3.0)) for t, v in trace[cut:]]
                ap = os.path.join(wd, "alt.csv"); write_trace(ap, alt)
                alt_run = run_sim(binary, ap, per_replica, "predictive", 0.7, wd)
                for i in range(cut):
                    a, b = preds[0.7][i], alt_run[i]
                    if a["desired"] != b["desired"] or abs(a["forecast"] - b["forecast"]) > 1e-6 * max(1, abs(a["forecast"])):
                        err = err or "look-ahead: row %d changes when only data after row %d changes" % (i + 2, cut + 2)
                        break
            except Exception as e:  # noqa
                err = str(e)
        if err:
            ok = False
            lines.append("%s: FAIL %s" % (name, err))
            continue
        sweep = []
        for t in SWEEP:
            h = hpa(trace, per_replica, step_s, t)
            sweep.append(metrics(h, per_replica))
        ur, rr = metrics(reac, per_replica)
        href = sweep[8]  # target 0.7
        max_cap = max(c for _, c in sweep)
        best, best_save, passed, desc = -9.0, -9.0, False, []
        for t, s in preds.items():
            up, rp = metrics(s, per_replica)
            uf = frontier_at(sweep, rp)
            # significant only where the frontier under-provisions at least 0.2% of steps
            red = (1 - up / uf) if uf >= SIGNIFICANT else (0.0 if up <= uf else -1.0)
            cf = cost_frontier_at(sweep, up)
            if cf is None:  # no swept HPA setting gets this low: compare with HPA's least-under point
                cf = min(sweep)[1]
            save = 1 - rp / cf
            if rp > max_cap:  # beyond the swept range: no credit, the frontier is not known there
                red, save = min(red, 0.0), min(save, 0.0)
            good_point = red >= GOAL_REDUCTION or save >= GOAL_SAVING
            best = max(best, red)
            best_save = max(best_save, save)
            passed = passed or good_point
            desc.append("pred@%.2f under=%.4f cap=%.3f | HPA frontier: under %.4f at equal cost, cap %s at equal under | cut %.0f%% save %.0f%%"
                        % (t, up, rp, uf, "n/a" if cf is None else "%.3f" % cf, 100 * red, 100 * save))
        reds.append(best); saves.append(best_save)
        good = passed
        ok = ok and good
        lines.append("%s: %s | project-reactive@0.7 under=%.4f cap=%.3f (hpa-ref under=%.4f cap=%.3f) | %s"
                     % (name, " ; ".join(desc), ur, rr, href[0], href[1], "ok" if good else "SHORT"))
    print("\n".join(lines))
    if reds:
        print("simulate: %d/%d traces beat the HPA frontier (>=%.0f%% fewer under-provisioned steps at equal cost or >=%.0f%% less capacity at equal under-provisioning); mean cut %.0f%%, mean saving %.0f%%"
              % (sum(1 for l in lines if l.endswith(" ok")), len(traces), 100 * GOAL_REDUCTION, 100 * GOAL_SAVING, 100 * sum(reds) / len(reds), 100 * sum(saves) / len(saves)))
    else:
        print("simulate: no trace scored")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
