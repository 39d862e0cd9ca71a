#!/usr/bin/env python3
"""Peer of bench_estimator: the EMOMC energy formulas (DESIGN.md 3.1) written the
straightforward way in Python, as in the paper's public evaluation.py. Reads layer
shapes from stdin ("co ci ho wo fx fy groups linear" per line; co/ci per group),
runs whole-network estimates for the four dataflows for about --seconds, repeated
--repeats times, and prints one line per repeat: "<estimates per second>".
An estimate = one network under one dataflow (all layers), as in bench_estimator."""
import math, sys, time

def layer_energy(co, ci, howo, fx, fxfy, g, linear, df, p, q):
    macs = fxfy * howo * ci * co * g
    fi = fo = 1.0
    if linear:
        ifm, w, ofw, ofr = macs, macs, co, 0.0
        fi = p
    elif df == "xy":
        ifm, w, ofw, ofr = macs, macs / howo, macs / (fxfy * ci), 0.0
        fi = p
    elif df == "cico":
        ifm, w, ofw = macs / co, macs, macs / ci
        ofr = ofw
        fi = 1.0 if co > 24 else 1 - (1 - p) ** co
        fo = 1.0 if ci > 24 else 1 - (1 - p) ** ci
    elif df == "fxfy":
        ifm, w, ofw = macs, macs / howo, macs / fxfy
        ofr = ofw
        fi = p
        fo = 1 - (1 - p) ** fxfy
    else:
        ifm, w, ofw = macs / fx, macs / math.sqrt(howo), macs / fx
        ofr = ofw
        fi = fo = 1 - (1 - p) ** fx
    return (0.102 * macs * p * (q + 1) + 0.728 * w * (q + 1) / 16 + 0.728 * ifm * fi
            + 0.447 * ofw * fo + 0.728 * ofr * fo)

def main():
    secs, repeats = 0.5, 5
    args = sys.argv[1:]
    if "--seconds" in args: secs = float(args[args.index("--seconds") + 1])
    if "--repeats" in args: repeats = int(args[args.index("--repeats") + 1])
    layers = []
    for line in sys.stdin:
        if line.strip():
            co, ci, ho, wo, fx, fy, g, lin = map(int, line.split())
            layers.append((co, ci, ho * wo, fx, fx * fy, g, lin))
    dfs = ("xy", "cico", "fxfy", "xfx")
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        total = 0.0
        while time.perf_counter() - t0 < secs:
            for df in dfs:
                for (co, ci, howo, fx, fxfy, g, lin) in layers:
                    total += layer_energy(co, ci, howo, fx, fxfy, g, lin, df, 0.5, 8)
                n += 1
        print(n / (time.perf_counter() - t0), flush=True)

if __name__ == "__main__":
    main()
