"""PyTorch reference for bench/train: what a user would pick instead of wasmrec.

Trains SASRec (BCE with one negative, and full cross-entropy) and GRU4Rec (full cross-entropy)
on the same sequences as our benchmark, on --threads threads (default 1), and prints JSON with training positions per
second and the median/p99 milliseconds of a top-10 answer over all items. The architectures
follow SASRec.pytorch (pre-LN blocks, learned positions, shared item embeddings) and GRU4Rec's
session-parallel training with the hidden state carried between steps.

  /usr/bin/python3 bench/train/torch_ref.py SEQFILE [--steps 60] [--threads 1]
Needs Debian's python3-torch (with libopenblas0-openmp; the reference BLAS is 7x slower)."""
import json
import os
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(int(sys.argv[sys.argv.index('--threads') + 1]) if '--threads' in sys.argv else 1)
torch.manual_seed(0)


def load(path):
    users, order = {}, []
    for line in open(path):
        u, i = line.split()
        if u not in users:
            users[u] = []
            order.append(u)
        users[u].append(i)
    vocab = {}
    seqs = []
    for u in order:
        seqs.append([vocab.setdefault(i, len(vocab) + 1) for i in users[u]])
    return seqs, len(vocab)


class SASRec(nn.Module):
    def __init__(self, n_items, dim=64, blocks=2, heads=1, max_len=50, dropout=0.2):
        super().__init__()
        self.item = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.pos = nn.Embedding(max_len, dim)
        self.drop = nn.Dropout(dropout)
        self.ln_a = nn.ModuleList([nn.LayerNorm(dim, eps=1e-8) for _ in range(blocks)])
        self.attn = nn.ModuleList([nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True) for _ in range(blocks)])
        self.ln_f = nn.ModuleList([nn.LayerNorm(dim, eps=1e-8) for _ in range(blocks)])
        self.ff = nn.ModuleList([nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim), nn.Dropout(dropout)) for _ in range(blocks)])
        self.ln_last = nn.LayerNorm(dim, eps=1e-8)
        self.max_len = max_len

    def forward(self, seq):
        T = seq.shape[1]
        x = self.item(seq) * self.item.embedding_dim ** 0.5 + self.pos.weight[:T]
        x = self.drop(x)
        pad = seq == 0
        x = x * ~pad.unsqueeze(-1)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        for ln_a, attn, ln_f, ff in zip(self.ln_a, self.attn, self.ln_f, self.ff):
            q = ln_a(x)
            a, _ = attn(q, x, x, attn_mask=causal, need_weights=False)
            x = q + a
            y = ln_f(x)
            x = y + ff(y)
            x = x * ~pad.unsqueeze(-1)
        return self.ln_last(x)


class GRU4Rec(nn.Module):
    def __init__(self, n_items, dim=64):
        super().__init__()
        self.item = nn.Embedding(n_items + 1, dim)
        self.gru = nn.GRUCell(dim, dim)
        self.out = nn.Embedding(n_items + 1, dim)

    def forward(self, x, h):
        return self.gru(self.item(x), h)


def batches(seqs, B, T, gen):
    while True:
        idx = torch.randint(len(seqs), (B,), generator=gen)
        inp = torch.zeros(B, T, dtype=torch.long)
        tgt = torch.zeros(B, T, dtype=torch.long)
        for b, u in enumerate(idx.tolist()):
            s = seqs[u][-(T + 1):]
            n = len(s) - 1
            if n > 0:
                inp[b, T - n:] = torch.tensor(s[:-1])
                tgt[b, T - n:] = torch.tensor(s[1:])
        yield inp, tgt


def bench_sasrec(seqs, n_items, loss, steps, B=128, T=50):
    model = SASRec(n_items)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    gen = torch.Generator().manual_seed(1)
    it = batches(seqs, B, T, gen)
    positions, t0 = 0, None
    for step in range(steps + 5):
        if step == 5:
            positions, t0 = 0, time.perf_counter()  # warm-up excluded
        inp, tgt = next(it)
        h = model(inp)
        mask = tgt > 0
        if loss == 'bce':
            neg = torch.randint(1, n_items + 1, tgt.shape)
            pos_l = (h * model.item(tgt)).sum(-1)
            neg_l = (h * model.item(neg)).sum(-1)
            l = nn.functional.binary_cross_entropy_with_logits(pos_l[mask], torch.ones_like(pos_l[mask])) + \
                nn.functional.binary_cross_entropy_with_logits(neg_l[mask], torch.zeros_like(neg_l[mask]))
        else:
            logits = h[mask] @ model.item.weight.T
            l = nn.functional.cross_entropy(logits, tgt[mask])
        opt.zero_grad()
        l.backward()
        opt.step()
        positions += int(mask.sum())
    return positions / (time.perf_counter() - t0), model


def bench_gru4rec(seqs, n_items, steps, B=128):
    model = GRU4Rec(n_items)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.05)
    # session-parallel: each lane walks one session; a finished lane takes the next session
    lanes = list(range(B))
    cursor = [0] * B
    nxt = B
    h = torch.zeros(B, 64)
    positions, t0 = 0, None
    for step in range(steps + 5):
        if step == 5:
            positions, t0 = 0, time.perf_counter()
        x = torch.tensor([seqs[lanes[b] % len(seqs)][cursor[b]] for b in range(B)])
        y = torch.tensor([seqs[lanes[b] % len(seqs)][cursor[b] + 1] for b in range(B)])
        h = model(x, h.detach())
        logits = h @ model.out.weight.T
        l = nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        l.backward()
        opt.step()
        positions += B
        reset = []
        for b in range(B):
            cursor[b] += 1
            if cursor[b] + 1 >= len(seqs[lanes[b] % len(seqs)]):
                lanes[b], cursor[b], nxt = nxt, 0, nxt + 1
                reset.append(b)
        if reset:
            h = h.clone()
            h[reset] = 0
    return positions / (time.perf_counter() - t0)


def bench_inference(model, seqs, T=50, n=300):
    model.eval()
    times = []
    with torch.no_grad():
        for q in range(n):
            s = seqs[q % len(seqs)][-T:]
            inp = torch.zeros(1, T, dtype=torch.long)
            inp[0, T - len(s):] = torch.tensor(s)
            t = time.perf_counter()
            h = model(inp)[0, -1]
            torch.topk(h @ model.item.weight[1:].T, 10)
            times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)]


def blas():
    """The BLAS this process loaded: Debian's python3-torch links libblas.so.3, which is the slow
    reference BLAS unless an OpenBLAS package (libopenblas0-pthread) provides it."""
    torch.ones(2, 2) @ torch.ones(2, 2)
    with open('/proc/self/maps') as f:
        libs = {line.split()[-1] for line in f if '.so' in line}
    if any('openblas' in lib for lib in libs):
        return 'openblas'
    return 'reference BLAS (apt-get install libopenblas0-pthread)' if any('libblas' in lib for lib in libs) else 'unknown'


def main():
    path = sys.argv[1]
    steps = int(sys.argv[sys.argv.index('--steps') + 1]) if '--steps' in sys.argv else 60
    seqs, n_items = load(path)
    seqs = [s for s in seqs if len(s) >= 2]
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas(), 'openblas_coretype': os.environ.get('OPENBLAS_CORETYPE', 'auto'), 'sequences': len(seqs), 'items': n_items}
    out['sasrec_bce_positions_per_s'], _ = bench_sasrec(seqs, n_items, 'bce', steps)
    out['sasrec_ce_positions_per_s'], model = bench_sasrec(seqs, n_items, 'ce', steps)
    out['gru4rec_ce_positions_per_s'] = bench_gru4rec(seqs, n_items, steps * 4)
    out['sasrec_top10_ms_median'], out['sasrec_top10_ms_p99'] = bench_inference(model, seqs)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}))


if __name__ == '__main__':
    main()
