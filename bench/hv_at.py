#!/usr/bin/env python3
"""bench/hv_at.py: hypervolume after the first N true evaluations of emomc runs
(2-objective problems: accuracy maximized, a cost minimized), read from each run's
evaluations.csv, medians per algorithm side by side, and their ratio.

    hv_at.py --at N1 N2 ... [--final] LABEL:RUN/evaluations.csv ...

The reference point is accuracy 0 and 1.1 x the largest cost over all files. Only
feasible rows (cv == 0) count."""
import csv
import statistics
import sys


def rows(path):
    with open(path) as f:
        r = list(csv.DictReader(f))
    cost = [k for k in r[0] if k in ("energy_mj", "size_kb")][0]
    return [(float(x["accuracy"]), float(x[cost]), float(x["cv"])) for x in r]


def hv(points, ref_cost):
    # maximize accuracy, minimize cost; ref (0, ref_cost)
    pts = sorted((c, a) for a, c, cv in points if cv <= 0 and c < ref_cost and a > 0)
    area, best = 0.0, 0.0
    for i, (c, a) in enumerate(pts):
        if a <= best:
            continue
        # area of the staircase: each new best accuracy holds from cost c to ref
        area += (ref_cost - c) * (a - best)
        best = a
    return area


def main(argv):
    at, final, files = [], False, []
    i = 1
    while i < len(argv):
        if argv[i] == "--at":
            i += 1
            while i < len(argv) and argv[i].isdigit():
                at.append(int(argv[i]))
                i += 1
            continue
        if argv[i] == "--final":
            final = True
        else:
            label, path = argv[i].split(":", 1)
            files.append((label, path))
        i += 1
    data = [(label, rows(path)) for label, path in files]
    ref = 1.1 * max(c for _, r in data for _, c, _ in r)
    labels = sorted({l for l, _ in data})
    print(f"hypervolume reference: accuracy 0, cost {ref:.6g}")
    cols = [str(n) for n in at] + (["final"] if final else [])
    print("algorithm  " + "  ".join(f"HV@{c:>6}" for c in cols) + "  evaluations")
    med = {}
    for l in labels:
        runs = [r for ll, r in data if ll == l]
        vals = []
        for n in at:
            vals.append(statistics.median(hv(r[:n], ref) for r in runs))
        if final:
            vals.append(statistics.median(hv(r, ref) for r in runs))
        med[l] = vals
        per = " ".join(f"{hv(r[:at[-1]], ref):.6g}" for r in runs) if at else ""
        print(f"{l:10} " + "  ".join(f"{v:9.6g}" for v in vals) +
              f"  {statistics.median(len(r) for r in runs)}   (per seed @{at[-1] if at else ''}: {per})")
    if len(labels) == 2:
        a, b = labels
        print("ratio %s/%s  " % (b, a) + "  ".join(
            f"{(med[b][k] / med[a][k]) if med[a][k] else float('nan'):9.4f}" for k in range(len(cols))))


if __name__ == "__main__":
    main(sys.argv)
