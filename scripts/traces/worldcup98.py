#!/usr/bin/env python3
"""Builds worldcup98-1min.csv and worldcup98-5min.csv from their public source
and checks them against the SHA-256 sums the README's numbers were measured on.

The World Cup 1998 access logs may be redistributed for non-commercial
purposes only, so the repository does not ship the two files: this script
downloads the per-minute request counts of the whole trace (the 245 files of
GroupedLog/ in github.com/AndrewLawrence80/WorldCup98 at commit 57d3932,
rows of `YYYY-MM-DD HH:MM,requests,bytes` in UTC) and
  1. sums the requests of each minute over all files (a minute split across
     two sub-files counts both parts);
  2. fills the minutes without a record with 0, from the first minute to the
     last;
  3. writes the whole trace summed into 5-minute bins aligned to :00/:05
     (worldcup98-5min.csv), and the minutes from 1998-06-01T00:00Z up to,
     not including, 1998-07-13T00:00Z (worldcup98-1min.csv).

Usage: worldcup98.py OUTDIR [GROUPEDLOG_DIR]
With GROUPEDLOG_DIR (a local copy of GroupedLog/) nothing is downloaded.
Exit status 1 when a written file's SHA-256 differs from the expected one.
"""
import csv, hashlib, io, os, sys, tarfile, urllib.request
from datetime import datetime, timedelta, timezone

COMMIT = "57d39323312343020b365a6e26a6334655f4fa40"
URL = "https://codeload.github.com/AndrewLawrence80/WorldCup98/tar.gz/" + COMMIT
SHA256 = {
    "worldcup98-5min.csv": "245cebacad7b16794e798e22385885198101198ad07ce36720d4c456619e2074",
    "worldcup98-1min.csv": "7c8871c0879ab7f7d49860bc4d294f63fbe9974ca9dfb41653b8f4b340d54dd0",
}
MINUTE = timedelta(minutes=1)
CUT = (datetime(1998, 6, 1, tzinfo=timezone.utc), datetime(1998, 7, 13, tzinfo=timezone.utc))


def grouped_logs(src):
    """Yields the text of each GroupedLog file, from a directory or the download."""
    if src:
        for name in sorted(os.listdir(src)):
            if name.endswith(".csv"):
                with open(os.path.join(src, name), newline="") as f:
                    yield f.read()
        return
    with urllib.request.urlopen(URL, timeout=300) as resp:
        data = resp.read()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile() and "/GroupedLog/" in m.name and m.name.endswith(".csv"):
                yield tar.extractfile(m).read().decode()


def per_minute(src):
    counts = {}
    for text in grouped_logs(src):
        for row in csv.reader(io.StringIO(text)):
            if not row:
                continue
            t = datetime.strptime(row[0].strip(), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
            counts[t] = counts.get(t, 0) + int(row[1])
    if not counts:
        sys.exit("worldcup98.py: no GroupedLog rows found")
    t, last = min(counts), max(counts)
    out = []
    while t <= last:
        out.append((t, counts.get(t, 0)))
        t += MINUTE
    return out


def write(path, rows):
    with open(path, "w", newline="") as f:
        f.write("timestamp,value\n")
        for t, v in rows:
            f.write("%s,%d\n" % (t.strftime("%Y-%m-%dT%H:%M:%SZ"), v))
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    outdir = sys.argv[1]
    minutes = per_minute(sys.argv[2] if len(sys.argv) == 3 else None)
    bins = {}
    for t, v in minutes:
        b = t - timedelta(minutes=t.minute % 5)
        bins[b] = bins.get(b, 0) + v
    files = {
        "worldcup98-5min.csv": sorted(bins.items()),
        "worldcup98-1min.csv": [(t, v) for t, v in minutes if CUT[0] <= t < CUT[1]],
    }
    ok = True
    for name, rows in files.items():
        got = write(os.path.join(outdir, name), rows)
        match = got == SHA256[name]
        ok = ok and match
        print("%s  %s  %s" % (got, name, "ok" if match else "MISMATCH, want " + SHA256[name]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
