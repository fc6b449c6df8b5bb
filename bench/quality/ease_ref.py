#!/usr/bin/env python3
"""ease_ref.py: EASE in numpy (Steck's reference form) under wasmrec's leave-one-out protocol, to
check `wasmrec train --model ease --eval loo --exclude-seen yes` against an independent
implementation on the same file. Prints one JSON object.

    python3 bench/quality/ease_ref.py u.data [--lambda 500]

The protocol, as src/eval/loo.c: events per user in timestamp order (stable); users with at
least 3 events give their last event as the test target and train on all but their last two;
the history of a target is every event before it; history items are excluded from the ranking
(the target stays a candidate); the rank counts every other candidate scoring >= the target.
"""
import argparse
import json
import math
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", help="MovieLens u.data: user item rating timestamp, tab separated")
    ap.add_argument("--lambda", dest="lam", type=float, default=500.0)
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args()
    users, items, seqs = {}, {}, []
    with open(a.data) as f:
        for line in f:
            if not line.strip():
                continue
            u, i, _r, t = line.split("\t")[:4]
            if u not in users:
                users[u] = len(users)
                seqs.append([])
            if i not in items:
                items[i] = len(items)
            seqs[users[u]].append((int(t), len(seqs[users[u]]), items[i]))
    n = len(items)
    seqs = [[i for _t, _o, i in sorted(s)] for s in seqs]
    X = np.zeros((len(seqs), n))
    for u, s in enumerate(seqs):
        X[u, s[:-2] if len(s) >= 3 else s] = 1.0
    G = X.T @ X + a.lam * np.eye(n)
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    hr = ndcg = 0.0
    evaluated = 0
    for s in seqs:
        if len(s) < 3:
            continue
        hist, target = s[:-1], s[-1]
        x = np.zeros(n)
        x[hist] = 1.0
        scores = (x @ B).astype(np.float32)
        skip = np.zeros(n, dtype=bool)
        skip[hist] = True
        skip[target] = False
        rank = int(np.sum((scores >= scores[target]) & ~skip)) - 1
        evaluated += 1
        if rank < a.k:
            hr += 1
            ndcg += 1 / math.log2(rank + 2)
    json.dump({"model": "ease (numpy)", "lambda": a.lam, "users": evaluated, f"HR@{a.k}": hr / evaluated,
               f"NDCG@{a.k}": ndcg / evaluated}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
