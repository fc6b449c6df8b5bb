#!/usr/bin/env python3
"""A PyTorch twin of wasmrec's twotower with ids only (history=0, no side features), on a split
written by `wasmrec split`: user and item id embeddings, one ReLU layer of 128 then 64 per tower,
L2-normalised outputs, temperature 0.05, in-batch softmax with the log-Q correction (log of each
column's expected count in the batch, B p(i)), Adam lr 0.003, batch 512. As wasmrec does for a
split without a validation part, 10% of the training events (seeded) are held out to stop early
(patience 5 on HR@100 of those events). Test: every test event ranked against every item (full
ranking, history items kept, ties against the target), HR@100 and NDCG@100.

usage: torch_twotower.py SPLIT.csv [--k 100] [--epochs 100] -> one JSON object on stdout
"""
import argparse
import csv
import json
import math
import sys

import torch


def load(path):
    users, items, rows = {}, {}, []
    with open(path) as f:
        for r in csv.DictReader(f):
            u = users.setdefault(r["user"], len(users))
            i = items.setdefault(r["item"], len(items))
            rows.append((u, i, r["part"]))
    return users, items, rows


class Tower(torch.nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.emb = torch.nn.Embedding(n, dim)
        torch.nn.init.normal_(self.emb.weight, std=0.05)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(dim, 128), torch.nn.ReLU(), torch.nn.Linear(128, dim))

    def forward(self, ids):
        return torch.nn.functional.normalize(self.mlp(self.emb(ids)), dim=-1)


def hit_metrics(q, v, users, targets, k, temperature):
    """HR@k and NDCG@k of each target among all items (ties count against it)."""
    hr = ndcg = 0.0
    with torch.no_grad():
        for s in range(0, len(users), 2048):
            u = torch.tensor(users[s:s + 2048])
            t = torch.tensor(targets[s:s + 2048])
            sc = q(u) @ v.T / temperature
            mine = sc.gather(1, t[:, None])
            rank = (sc >= mine).sum(1) - 1
            hit = rank < k
            hr += hit.sum().item()
            ndcg += (hit.float() / torch.log2(rank.float() + 2)).sum().item()
    n = max(len(users), 1)
    return hr / n, ndcg / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("split")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=100)
    a = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(1)
    users, items, rows = load(a.split)
    train = [(u, i) for u, i, p in rows if p == "train"]
    test = [(u, i) for u, i, p in rows if p == "test"]
    g = torch.Generator().manual_seed(7)
    perm = torch.randperm(len(train), generator=g).tolist()
    hold = set(perm[: len(train) // 10])
    fit = [train[j] for j in range(len(train)) if j not in hold]
    val = [train[j] for j in sorted(hold)]
    U, V, dim, B, tau = len(users), len(items), 64, 512, 0.05
    counts = torch.zeros(V)
    for _, i in fit:
        counts[i] += 1
    logp = torch.log(counts.clamp(min=0.5) / counts.sum())
    qt, it = Tower(U, dim), Tower(V, dim)
    opt = torch.optim.Adam(list(qt.parameters()) + list(it.parameters()), lr=0.003)
    fu = torch.tensor([u for u, _ in fit])
    fi = torch.tensor([i for _, i in fit])
    best, best_state, bad, epochs = -1.0, None, 0, 0
    for ep in range(a.epochs):
        epochs = ep + 1
        order = torch.randperm(len(fit), generator=g)
        for s in range(0, len(fit), B):
            idx = order[s:s + B]
            u, i = fu[idx], fi[idx]
            logits = qt(u) @ it(i).T / tau - (math.log(len(idx)) + logp[i])[None, :]
            same = (i[None, :] == i[:, None]) & ~torch.eye(len(idx), dtype=torch.bool)
            logits = logits.masked_fill(same, -1e30)
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx)))
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            v = it(torch.arange(V))
        hr, _ = hit_metrics(qt, v, [u for u, _ in val], [i for _, i in val], a.k, tau)
        print(f"epoch {ep + 1}: validation HR@{a.k} {hr:.4f}", file=sys.stderr)
        if hr > best:
            best, bad = hr, 0
            best_state = ({k: x.clone() for k, x in qt.state_dict().items()}, {k: x.clone() for k, x in it.state_dict().items()})
        else:
            bad += 1
            if bad >= 5:
                break
    qt.load_state_dict(best_state[0])
    it.load_state_dict(best_state[1])
    with torch.no_grad():
        v = it(torch.arange(V))
    hr, ndcg = hit_metrics(qt, v, [u for u, _ in test], [i for _, i in test], a.k, tau)
    print(json.dumps({"model": "pytorch twotower (ids)", "epochs": epochs, "test": {f"HR@{a.k}": round(hr, 4), f"NDCG@{a.k}": round(ndcg, 4)},
                      "queries": len(test)}))


if __name__ == "__main__":
    main()
