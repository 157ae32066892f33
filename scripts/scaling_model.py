#!/usr/bin/env python3
"""Predicts a run's parallel speedup at P ranks from one 1-rank and one 2-rank run of it.

    scripts/scaling_model.py ONE_RANK/results.json TWO_RANK/results.json
        [--ranks 2 16 64 256] [--exchange-us 0.56] [--line-us 0.05] [--cores-per-node 64]
        [--latency-us 2.0] [--imbalance-coeff C]

The model (docs/SCALING.md, "Where the time goes"):

    T(P) = W (1 + o) / P  +  N_w (b(P) + j(P) + k)

W: the 1-rank simulate time. From the 2-rank run: o, the parallel overhead on the work
(sum of the ranks' work and deferred seconds over W, minus 1); N_w, the windows; k, the
engine's own time per window outside work and waiting; j(2), the imbalance per window (mean
wait per window minus the exchange cost b). j grows as the maximum of P ranks' window work
(sqrt(ln P)) and shrinks with the window's work per rank (sqrt(u)): j(P) = C sqrt(u(P))
sqrt(ln P / ln 2), C fitted on the 2-rank run unless --imbalance-coeff gives one (e.g. from
another config: that is how the model is validated). b(P): the measured 2-rank exchange
(--exchange-us, transport_bench BM_Window/shm) plus --line-us per further rank on one node
(each rank reads every peer's line); beyond --cores-per-node ranks, --latency-us (the
interconnect's small-message latency) per step of a dissemination barrier over the nodes.
N_w stays between the 2-rank count (lower estimate) and the simulated time over the
lookahead (upper: every window as short as the lookahead).
"""
import argparse
import json
import math
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"scaling_model.py: {path}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("one_rank")
    ap.add_argument("two_rank")
    ap.add_argument("--ranks", type=int, nargs="+", default=[2, 16, 64, 256])
    ap.add_argument("--exchange-us", type=float, default=0.56)
    ap.add_argument("--line-us", type=float, default=0.05)
    ap.add_argument("--cores-per-node", type=int, default=64)
    ap.add_argument("--latency-us", type=float, default=2.0)
    ap.add_argument("--imbalance-coeff", type=float, default=None)
    a = ap.parse_args()

    one, two = load(a.one_rank), load(a.two_rank)
    h1, h2 = one["host"], two["host"]
    if h1["ranks"] != 1 or h2["ranks"] != 2:
        sys.exit("scaling_model.py: needs a 1-rank and a 2-rank results.json, in that order")
    W = h1["simulate_wall_seconds"]
    T2 = h2["simulate_wall_seconds"]
    nw = h2["windows"]
    ranks = h2["per_rank"]
    busy = [r["work_seconds"] + r["background_seconds"] for r in ranks]
    wait = [r["wait_seconds"] for r in ranks]
    busy_mean, wait_mean = sum(busy) / 2, sum(wait) / 2
    o = sum(busy) / W - 1
    b2 = a.exchange_us * 1e-6
    j2 = max(wait_mean / nw - b2, 0.0)
    k = max(T2 - busy_mean - wait_mean, 0.0) / nw
    u2 = busy_mean / nw
    coeff = a.imbalance_coeff if a.imbalance_coeff is not None else j2 / math.sqrt(u2)
    lookahead_s = h2["lookahead_ns"] * 1e-9
    nw_max = max(nw, int(two["makespan_ns"] * 1e-9 / lookahead_s)) if lookahead_s > 0 else nw

    print(f"measured: W = {W:.2f} s (1 rank), T(2) = {T2:.2f} s ({W / T2:.2f}x), {nw} windows, "
          f"lookahead {h2['lookahead_ns']:.2f} ns, makespan {two['makespan_ns'] / 1e3:.1f} us simulated")
    print(f"fitted: o = {o:+.3f}, work per rank and window u = {u2 * 1e6:.2f} us, imbalance j(2) = "
          f"{j2 * 1e6:.2f} us (C = {coeff * 1e3:.3f} s^0.5 x 1e-3), engine k = {k * 1e6:.2f} us per window")
    if a.imbalance_coeff is not None:
        j_pred = coeff * math.sqrt(u2)
        t_pred = busy_mean + nw * (b2 + j_pred + k)
        print(f"validation with C = {a.imbalance_coeff * 1e3:.3f}e-3: T(2) predicted {t_pred:.2f} s "
              f"against {T2:.2f} s measured ({100 * (t_pred / T2 - 1):+.0f}%)")
    print(f"{'ranks':>6} {'nodes':>6} {'b us':>7} {'j us':>7} {'T low s':>9} {'T high s':>9} {'speedup':>15}")
    for p in a.ranks:
        nodes = math.ceil(p / a.cores_per_node)
        per_node = min(p, a.cores_per_node)
        b = b2 + max(per_node - 2, 0) * a.line_us * 1e-6
        if nodes > 1:
            b += math.ceil(math.log2(nodes)) * a.latency_us * 1e-6
        work = W * (1 + o) / p
        times = []
        for n in (nw, nw_max):
            u = work / n
            j = coeff * math.sqrt(u) * math.sqrt(math.log(p) / math.log(2))
            times.append(work + n * (b + j + k))
        print(f"{p:>6} {nodes:>6} {b * 1e6:>7.2f} {coeff * math.sqrt(work / nw) * math.sqrt(math.log(p) / math.log(2)) * 1e6:>7.2f} "
              f"{times[0]:>9.2f} {times[1]:>9.2f} {W / times[1]:>6.1f}-{W / times[0]:.1f}x")


if __name__ == "__main__":
    main()
