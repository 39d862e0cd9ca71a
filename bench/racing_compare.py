#!/usr/bin/env python3
"""bench/racing_compare.py: compares racing runs with their non-racing twins.

    racing_compare.py LABEL:OFF_RUN:ON_RUN ...

Per pair: evaluations, raced, images the accuracies are on (racing) against full
evaluation, inference seconds (search.json) off and on, and the largest |accuracy
change| of a kept candidate against the off run's accuracy of the same genotype.
Then per label the medians and the ratios (off / on)."""
import csv
import json
import statistics
import sys



def evals(run):
    with open(f"{run}/evaluations.csv") as f:
        rows = list(csv.DictReader(f))
    keys = list(rows[0].keys())
    vars_ = keys[1:keys.index("accuracy")]
    return [(tuple(r[v] for v in vars_), float(r["accuracy"])) for r in rows]


def main(argv):
    per = {}
    print("pair                 evals  raced  images(on)  images(full)  saved   "
          "inf_s(off)  inf_s(on)  kept  compared  max|dacc|")
    for arg in argv[1:]:
        label, off, on = arg.split(":")
        eoff, eon = evals(off), evals(on)
        with open(f"{on}/racing.csv") as f:
            rac = list(csv.DictReader(f))
        jon = json.load(open(f"{on}/search.json"))
        joff = json.load(open(f"{off}/search.json"))
        offacc = dict(eoff)
        kept = compared = 0
        worst = 0.0
        for (g, a), r in zip(eon, rac):
            if r["raced"] != "no":
                continue
            kept += 1
            if g in offacc:
                compared += 1
                worst = max(worst, abs(a - offacc[g]))
        saved = 1 - jon["images_evaluated"] / jon["images_full"]
        print(f"{label:8} {on[-12:]:>12} {len(eon):5d} {jon['raced']:6d} {jon['images_evaluated']:11d} "
              f"{jon['images_full']:13d}  {100 * saved:5.1f}%  {joff['seconds_inference']:10.2f} "
              f"{jon['seconds_inference']:10.2f} {kept:5d} {compared:9d}  {worst:.3g}")
        per.setdefault(label, []).append((jon["images_full"] / jon["images_evaluated"],
                                          joff["seconds_inference"], jon["seconds_inference"],
                                          worst))
    for label, v in per.items():
        img = statistics.median(x[0] for x in v)
        soff = statistics.median(x[1] for x in v)
        son = statistics.median(x[2] for x in v)
        print(f"{label}: median images ratio full/racing {img:.3f}; median inference seconds "
              f"off {soff:.2f}, on {son:.2f} (ratio {soff / son if son else float('nan'):.3f}); "
              f"largest kept accuracy change {max(x[3] for x in v):.3g}")


if __name__ == "__main__":
    main(sys.argv)
