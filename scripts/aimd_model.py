#!/usr/bin/env python3
"""aimd_model.py - the round-by-round AIMD model of docs/performance.md ("Lossy paths in the
simulator"): what an ideal NewReno or CUBIC (Reno-friendly region) sender delivers per round
trip under Bernoulli loss, to compare with the Mathis bound 1.22/sqrt(p) segments per round.

Each round sends W segments (the fraction sent with that probability), each lost with p. A
round with a loss sets W = max(beta W, 2) and is followed by r rounds without growth, whose
losses belong to the same event (the detection and repair of a SACK recovery); any other
round adds alpha. CUBIC's alpha is 3(1 - beta)/(1 + beta) until W is back at the window
before the loss, then 1 (RFC 9438 section 4.3). Seeded: the same figures every run.

usage: scripts/aimd_model.py [p ...]    (default: 0.01 0.05)
"""
import random
import sys


def run(p, r, beta, cubic, rounds=300000, seed=1):
    rng = random.Random(seed)
    w, w_prior, delivered, quiet = 10.0, 10.0, 0, 0
    for _ in range(rounds):
        n = int(w) + (1 if rng.random() < w - int(w) else 0)
        lost = sum(1 for _ in range(n) if rng.random() < p)
        delivered += n - lost
        if quiet > 0:
            quiet -= 1
            continue
        if lost:
            w_prior = w
            w = max(w * beta, 2.0)
            quiet = r
        elif cubic and w < w_prior:
            w += 3 * (1 - beta) / (1 + beta)
        else:
            w += 1.0
    return delivered / rounds


def main():
    for p in [float(a) for a in sys.argv[1:]] or [0.01, 0.05]:
        print(f"p = {p}: Mathis bound {1.22 / p ** 0.5:.2f} segments per round")
        for name, beta, cubic in (("NewReno", 0.5, False), ("CUBIC", 0.7, True)):
            cells = ", ".join(f"r={r}: {run(p, r, beta, cubic):.2f}" for r in (0, 1, 2))
            print(f"  {name:8} {cells}")


if __name__ == "__main__":
    main()
