#!/usr/bin/env python3
"""Writes the fresh half of the benchmark: the 14 monthly series of
unemployment-across-industries.json (vega-datasets 2.8.0 on npm; counts of
unemployed persons by industry, thousands, not seasonally adjusted, from
the US Bureau of Labor Statistics), January 2000 to December 2007: the
series end before the 2008 recession, a break all of them share.

    npm pack vega-datasets@2.8.0 && tar xzf vega-datasets-2.8.0.tgz
    python3 fresh.py package/data/unemployment-across-industries.json
"""
import hashlib
import json
import sys

WANT_SHA256 = "c12e32b5b8bf66d5ce40081a22b5557b2a8649dbdcbe03028b3df65cd66257a1"


def main(path):
    raw = open(path, "rb").read()
    got = hashlib.sha256(raw).hexdigest()
    if got != WANT_SHA256:
        sys.exit(f"{path}: sha256 {got}, want {WANT_SHA256}")
    rows = json.loads(raw)
    series = {}
    for r in rows:
        if r["year"] <= 2007:
            series.setdefault(r["series"], []).append((r["year"], r["month"], r["count"]))
    names = []
    for name, pts in sorted(series.items()):
        pts.sort()
        if len(pts) != 96:
            sys.exit(f"{name}: {len(pts)} months, want 96")
        file = "unemp-" + name.lower().replace(" and ", "-").replace(" ", "-")
        with open(file + ".csv", "w") as f:
            f.write("value\n")
            for _, _, v in pts:
                f.write(f"{v}\n")
        names.append(file)
    print("\n".join(f"{n},12,0,fresh" for n in names))


main(sys.argv[1])
