#!/usr/bin/env python3
"""Copies a `timestamp,value` trace with scrape glitches in it: the value
at every 131st step, from the 8th on, 40 times too high. The first glitch
comes before the Controller has ten values to judge samples by, so the
passes keep it; the others are judged suspect and left out. Used to check
that a restart reads back the history the Controller had kept
(`go run ./examples/simulate -trace OUT -restart-at N`).

Usage: glitches.py IN OUT
"""
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: glitches.py IN OUT")
    with open(sys.argv[1]) as f:
        header, *rows = [l.rstrip("\r\n") for l in f if l.strip()]
    out = [header]
    for i, row in enumerate(rows):
        t, v = row.rsplit(",", 1)
        x = float(v)
        if i % 131 == 7:
            x *= 40
        out.append("%s,%.6g" % (t, x))
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
