"""PyTorch reference for bench/collab: the same collaborative and CTR models, as a PyTorch user
would write them at their best (sparse embeddings with SparseAdam, Adam for the dense layers,
one thread), trained on the same file with the same batch sizes and negatives. Prints JSON:
training events per second (each with its sampled negatives), per model.

  /usr/bin/python3 bench/collab/torch_ref.py u.data u.user u.item [--seconds 8] [--dense]

--dense: dense embeddings and Adam instead of sparse ones and SparseAdam (run.sh runs both and
keeps each model's faster one).

Models (the shapes of our defaults): mf (BPR, dim 64, batch 1024, 1 negative), neumf (dim 16,
layers 3: 128 -> 64 -> 32 -> 16, batch 256, 4 negatives, BCE), and on rating>=4 labels with
rating 3 dropped: fm (dim 16), ffm (dim 4), deepfm (dim 8, two hidden layers of 64), batch
1024, BCE. Features: the user id, age/gender/occupation/zip (numeric columns in 10 quantile
buckets), the item id, its genres and year bucket, as our loader makes them."""
import json
import random
import sys
import time

import torch
import torch.nn as nn

SPARSE = '--dense' not in sys.argv  # sparse embeddings + SparseAdam, or dense ones + Adam
torch.set_num_threads(1)
torch.manual_seed(0)
random.seed(0)


def quantile_buckets(values):
    s = sorted(values)
    edges = [s[(q + 1) * len(s) // 10] for q in range(9)]
    return lambda x: sum(x >= e for e in edges)


def load(udata, uuser, uitem):
    ev = [line.split('\t') for line in open(udata) if line.strip()]
    users, items = {}, {}
    rows = []
    for u, i, r, t in ev:
        rows.append((users.setdefault(u, len(users)), items.setdefault(i, len(items)), float(r), int(t)))
    feats = {}

    def fid(key):
        return feats.setdefault(key, len(users) + len(items) + len(feats))

    ufeat = [[] for _ in users]
    urows = [line.rstrip('\n').split('|') for line in open(uuser) if line.strip()]
    age_b, zip_b = quantile_buckets([float(x[1]) for x in urows]), quantile_buckets([float(x[4]) for x in urows])
    for uid, age, gender, occ, zipc in urows:
        if uid in users:
            ufeat[users[uid]] = [fid('age=%d' % age_b(float(age))), fid('g=' + gender), fid('o=' + occ), fid('z=%d' % zip_b(float(zipc)))]
    ifeat = [[] for _ in items]
    irows = [line.rstrip('\n').split('|') for line in open(uitem) if line.strip()]
    year_b = quantile_buckets([float(x[2][-4:]) for x in irows])
    for x in irows:
        if x[0] in items:
            ifeat[items[x[0]]] = [fid('genre=%d' % g) for g in range(19) if x[5 + g] == '1'] + [fid('year=%d' % year_b(float(x[2][-4:])))]
    fields = {'age': 2, 'g': 3, 'o': 4, 'z': 5, 'genre': 6, 'year': 7}
    field_of = {v: fields[k.split('=')[0]] for k, v in feats.items()}
    return rows, len(users), len(items), len(users) + len(items) + len(feats), ufeat, ifeat, field_of


class MF(nn.Module):
    def __init__(s, U, V, d=64):
        super().__init__()
        s.p, s.q, s.b = nn.Embedding(U, d, sparse=SPARSE), nn.Embedding(V, d, sparse=SPARSE), nn.Embedding(V, 1, sparse=SPARSE)
        for e in (s.p, s.q):
            nn.init.normal_(e.weight, std=0.01)
        nn.init.zeros_(s.b.weight)

    def forward(s, u, i):
        return (s.p(u) * s.q(i)).sum(-1) + s.b(i).squeeze(-1)


class NeuMF(nn.Module):
    def __init__(s, U, V, d=16, layers=3):
        super().__init__()
        E = d << (layers - 1)
        s.gp, s.gq = nn.Embedding(U, d, sparse=SPARSE), nn.Embedding(V, d, sparse=SPARSE)
        s.mp, s.mq = nn.Embedding(U, E, sparse=SPARSE), nn.Embedding(V, E, sparse=SPARSE)
        widths = [d << (layers - l) for l in range(layers + 1)]
        s.tower = nn.Sequential(*[m for l in range(layers) for m in (nn.Linear(widths[l], widths[l + 1]), nn.ReLU())])
        s.out = nn.Linear(2 * d, 1)

    def forward(s, u, i):
        g = s.gp(u) * s.gq(i)
        h = s.tower(torch.cat([s.mp(u), s.mq(i)], -1))
        return s.out(torch.cat([g, h], -1)).squeeze(-1)


class FM(nn.Module):
    """x: (B, n) feature ids padded with a zero-weight padding feature at index F."""
    def __init__(s, F, d=16):
        super().__init__()
        s.w = nn.Embedding(F + 1, 1, sparse=SPARSE, padding_idx=F)
        s.v = nn.Embedding(F + 1, d, sparse=SPARSE, padding_idx=F)
        s.bias = nn.Parameter(torch.zeros(1))
        nn.init.zeros_(s.w.weight)
        nn.init.normal_(s.v.weight, std=0.01)

    def forward(s, x, fields=None):
        v = s.v(x)
        sv = v.sum(1)
        return s.bias + s.w(x).sum((1, 2)) + 0.5 * (sv * sv - (v * v).sum(1)).sum(-1)


class FFM(nn.Module):
    def __init__(s, F, NF, d=4):
        super().__init__()
        s.NF, s.d = NF, d
        s.w = nn.Embedding(F + 1, 1, sparse=SPARSE, padding_idx=F)
        s.v = nn.Embedding(F + 1, NF * d, sparse=SPARSE, padding_idx=F)
        s.bias = nn.Parameter(torch.zeros(1))
        nn.init.zeros_(s.w.weight)
        nn.init.normal_(s.v.weight, std=0.01)

    def forward(s, x, fields):
        B, n = x.shape
        v = s.v(x).view(B, n, s.NF, s.d)
        # v_{a, f(b)} . v_{b, f(a)} for a < b
        ia, ib = torch.triu_indices(n, n, 1)
        fa, fb = fields[:, ia], fields[:, ib]
        ar = torch.arange(B).unsqueeze(1)
        va = v[ar, ia.unsqueeze(0), fb]
        vb = v[ar, ib.unsqueeze(0), fa]
        return s.bias + s.w(x).sum((1, 2)) + (va * vb).sum((1, 2))


class DeepFM(FM):
    def __init__(s, F, NF, d=8, hidden=64, layers=2):
        super().__init__(F, d)
        s.NF = NF
        dims = [NF * d] + [hidden] * layers
        s.deep = nn.Sequential(*[m for l in range(layers) for m in (nn.Linear(dims[l], dims[l + 1]), nn.ReLU())], nn.Linear(hidden, 1))

    def forward(s, x, fields):
        B, n = x.shape
        v = s.v(x)
        onehot = torch.nn.functional.one_hot(fields, s.NF + 1)[..., : s.NF].float()  # padding field NF dropped
        pooled = torch.einsum('bnf,bnd->bfd', onehot, v) / onehot.sum(1).clamp(min=1).unsqueeze(-1)
        return FM.forward(s, x) + s.deep(pooled.reshape(B, -1)).squeeze(-1)


def throughput(model, make_batch, loss_fn, seconds):
    sparse = [p for n, p in model.named_parameters() if any(n.startswith(k) for k in ('p.', 'q.', 'b.', 'gp.', 'gq.', 'mp.', 'mq.', 'w.', 'v.'))]
    dense = [p for p in model.parameters() if all(p is not q for q in sparse)]
    if not SPARSE:
        sparse, dense = [], list(model.parameters())
    opts = ([torch.optim.SparseAdam(sparse, lr=1e-3)] if sparse else []) + ([torch.optim.Adam(dense, lr=1e-3)] if dense else [])
    events, t0, steps = 0, time.perf_counter(), 0
    while True:
        inputs, n = make_batch()
        for o in opts:
            o.zero_grad()
        loss = loss_fn(model, *inputs)
        loss.backward()
        for o in opts:
            o.step()
        events += n
        steps += 1
        if steps >= 5 and time.perf_counter() - t0 > seconds:
            break
    return round(events / (time.perf_counter() - t0))


def main():
    args = sys.argv[1:]
    seconds = float(args[args.index('--seconds') + 1]) if '--seconds' in args else 8.0
    rows, U, V, F, ufeat, ifeat, field_of = load(args[0], args[1], args[2])
    pos = [(u, i) for u, i, r, t in rows]
    labelled = [(u, i, float(r >= 4)) for u, i, r, t in rows if r != 3]
    out = {}
    bce = nn.functional.binary_cross_entropy_with_logits

    # batches are slices of tensors built once (a shuffled order per epoch), as a PyTorch user
    # at their best would feed them: no Python per event in the timed loop
    P = torch.tensor(pos)

    def epochs(n, B):
        while True:
            order = torch.randperm(n)
            for a in range(0, n - B + 1, B):
                yield order[a:a + B]

    def implicit(B, nneg):
        it = epochs(len(pos), B)

        def make():
            idx = next(it)
            return (P[idx, 0], P[idx, 1], torch.randint(0, V, (B, nneg))), B
        return make

    mf = MF(U, V)
    out['mf'] = throughput(mf, implicit(1024, 1),
                           lambda m, u, i, j: -nn.functional.logsigmoid(m(u, i) - m(u, j[:, 0])).mean(), seconds)
    neumf = NeuMF(U, V)

    def neumf_loss(m, u, i, j):
        uu = torch.cat([u, u.repeat_interleave(j.shape[1])])
        ii = torch.cat([i, j.reshape(-1)])
        y = torch.cat([torch.ones(len(u)), torch.zeros(j.numel())])
        return bce(m(uu, ii), y)
    out['neumf'] = throughput(neumf, implicit(256, 4), neumf_loss, seconds)

    width = 2 + max(len(f) for f in ufeat) + max(len(f) for f in ifeat)
    NF = 8

    def features(u, i):
        ids = [u, U + i] + ufeat[u] + ifeat[i]
        fl = [0, 1] + [field_of[f] for f in ufeat[u] + ifeat[i]]
        return ids + [F] * (width - len(ids)), fl + [NF] * (width - len(fl))

    built = [features(u, i) for u, i, y in labelled]
    X = torch.tensor([b[0] for b in built])
    FL = torch.tensor([b[1] for b in built])
    Y = torch.tensor([y for _, _, y in labelled])

    def labelled_batch(B=1024):
        it = epochs(len(labelled), B)

        def make():
            idx = next(it)
            return (X[idx], FL[idx], Y[idx]), B
        return make

    ctr_loss = lambda m, x, f, y: bce(m(x, f), y)
    out['fm'] = throughput(FM(F), labelled_batch(), ctr_loss, seconds)
    out['ffm'] = throughput(FFM(F, NF + 1), labelled_batch(), ctr_loss, seconds)
    out['deepfm'] = throughput(DeepFM(F, NF), labelled_batch(), ctr_loss, seconds)
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'embeddings': 'sparse' if SPARSE else 'dense',
                      'events_per_s': out}))


if __name__ == "__main__":
    main()
