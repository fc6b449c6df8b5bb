#!/usr/bin/env python3
"""Trains a twin of one of our trainable models (models/torch/*.py) in PyTorch and writes a model
file our engine loads (CLI, binding, page), with the report our `train --eval loo --json` prints.

  /usr/bin/python3 models/torch/train.py --model sasrec|bert4rec|gru4rec|mf|gmf|mlp|neumf|lr|fm|ffm|deepfm|twotower
      --data FILE --format seq|csv|movielens|auto
      [--set key=value]... [--epochs N] [--seed S] [--k 10] [--exclude-seen auto|yes|no]
      [--eval loo|random|temporal|cold-users|cold-items] [--split 0.8,0.1,0.1] [--label EXPR] [--drop EXPR] [--users FILE] [--items FILE]
      [--feature-kinds FIELD=KIND,...] [--time-context hour,weekday]
      [--out MODEL.safetensors] [--json] [--threads N]
  torchrun --nproc_per_node N models/torch/train.py ...   (sasrec, bert4rec: data-parallel, DDP over
      gloo, or NCCL with --backend nccl on GPUs; gru4rec: batch / N lanes per process, gradients
      all-reduced; rank 0 validates, writes the file and prints the report; Debian 12's torch 1.13
      needs models/torch/torchrun.py in torchrun's place, see there)

What it does as ours does (src/models/sasrec.c, train.c): our settings and defaults (--set takes
our names), our initialisation, training windows cut from each sequence's end (max_len positions
each), full softmax cross-entropy (loss=ce) or BCE against uniform negatives (loss=bce), AdamW
(beta2 0.98, decay on every weight but the embeddings unless decay_embeddings=1, never on the
repeat bias), the repeat bias started at our wr__repeat_bias_init, early stopping on validation
NDCG@10 (exclude-seen auto's rule) with patience, keeping the best epoch; leave-one-out
evaluation by models/torch/wrdata.py (full ranking and sampled-100 with our random numbers).
GRU4Rec as src/models/gru4rec.c (gru4rec_trainer below): session-parallel lanes, cross-entropy
or BPR-max over the full catalogue or (n_sample below it) the lanes' targets and n_sample shared
negatives from popularity^sample_alpha, Adagrad. mf (bpr, bce, mse), gmf/mlp/neumf and
lr/fm/ffm/deepfm as src/models/mf.c, ncf.c, fm.c (event_trainer below; with --users/--items side
tables, --label/--drop and --eval random|temporal too): shuffled mini-batches of training events,
negatives the user never touched, lazy Adam; in one process. twotower as src/models/twotower.c
(twotower_trainer below; --eval loo, random, temporal), on ids or with side tables (cold dropout
included). A CSV's context columns (and --time-context hour,weekday) are encoded by wrdata.py as
ours (ctx.<column>=<value> features, the same keys and ids): lr/fm/ffm/deepfm put a training
event's context into its user part (its negatives share it), twotower pools it in a query-tower
slot, and every held-out event is scored in its own context (loo: the target's). --eval
cold-users/cold-items (every event family; twotower and lr/fm/ffm/deepfm with side tables are the
cold-start ones) hold out whole users/items as our split does: a cold user is one query with no
history and no context whose relevant set is all of their held-out positives (NDCG@10, Recall@10,
baselines pop and pop_group), cold items are ranked among the items with no training event
(baseline pop_group). What differs: the random streams (shuffling, negatives, dropout masks, BERT4Rec's masking), and under
torchrun each of the N processes takes batch / N windows of a step (the global batch stays
batch)."""
import argparse
import json
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

import fm as fm_mod  # noqa: E402
import gru4rec  # noqa: E402
import mf as mf_mod  # noqa: E402
import ncf  # noqa: E402
import sasrec  # noqa: E402
import twins  # noqa: E402
import twotower  # noqa: E402
import wrdata  # noqa: E402

SEQUENCE = ("sasrec", "bert4rec", "gru4rec")
EVENTS = ("mf", "gmf", "mlp", "neumf", "lr", "fm", "ffm", "deepfm", "twotower")
FAMILIES = SEQUENCE + EVENTS


def typed(v):
    for f in (int, float):
        try:
            return f(v)
        except ValueError:
            pass
    return v


def windows(seqs, T):
    """(sequence, end) per training window, as wr__windows_init: cut from each end, T pairs each."""
    out = []
    for u, s in enumerate(seqs):
        end = len(s)
        while end >= 2:
            out.append((u, end))
            end -= T
    return out


def make_batch(seqs, wins, T):
    inp = torch.zeros(len(wins), T, dtype=torch.long)
    tgt = torch.zeros(len(wins), T, dtype=torch.long)
    for b, (u, end) in enumerate(wins):
        s, n = seqs[u], min(end - 1, T)
        inp[b, T - n:] = torch.as_tensor(s[end - 1 - n:end - 1]) + 1
        tgt[b, T - n:] = torch.as_tensor(s[end - n:end]) + 1
    return inp, tgt


def mask_batch(inp, tgt, V, prob, last, rnd):
    """BERT4Rec's training rows from the windows, as mask_batch in sasrec.c."""
    T, mask = inp.shape[1], V + 1
    inp, tgt = inp.tolist(), tgt.tolist()
    for b in range(len(inp)):
        x, y = inp[b], tgt[b]
        t0 = next((t for t in range(T) if x[t]), T)
        if t0 == T:
            continue
        first = x[t0]
        for t in range(t0, T):
            x[t] = y[t]
        if t0 > 0:
            x[t0 - 1] = first
            t0 -= 1
        if t0 < T - 1 and rnd.random() < last:
            c = t0 + 1 + rnd.randrange(T - 1 - t0)
            sh = T - 1 - c
            for t in range(c, t0 - 1, -1):
                x[t + sh] = x[t]
            for t in range(t0 + sh):
                x[t] = 0
            y[:] = [0] * T
            y[T - 1], x[T - 1] = x[T - 1], mask
            continue
        masked = 0
        for t in range(t0, T):
            y[t] = 0
            if rnd.random() < prob:
                y[t], x[t] = x[t], mask
                masked += 1
        if not masked:
            y[T - 1], x[T - 1] = x[T - 1], mask
    return torch.tensor(inp), torch.tensor(tgt)


def repeat_bias_init(share, V, wins, T):
    """wr__repeat_bias_init for the windows' mean history length."""
    s = n = 0.0
    for _, end in wins:
        pairs = min(end - 1, T)
        s += 0.5 * pairs * (pairs + 1.0)
        n += pairs
    return repeat_bias_from(share, V, s / n if n > 0 else 1)


def repeat_bias_from(share, V, h):
    """wr__repeat_bias_init: e^r = share (V - h) / (h (1 - share)) for a mean history of h items."""
    share = min(max(share, 0.001), 0.999)
    h = max(h, 1)
    if h >= V:
        h = V - 0.5
    return math.log(share * (V - h) / (h * (1 - share)))


def sasrec_trainer(ap, a, sets, train, V, share, rnd, world, rank):
    """SASRec or BERT4Rec: the model and one epoch over the training windows (DDP across processes:
    each takes batch / N windows of a step). run_epoch(epoch) -> (mean loss, positions)."""
    model = sasrec.SASRec(V, sets, a.model)
    p = model.params
    T, B, loss_kind = int(p["max_len"]), int(p["batch"]), p["loss"]
    if loss_kind not in ("ce", "bce"):
        ap.error(f"loss {loss_kind!r}: this script trains ce and bce")
    wins = windows(train, T)
    if not wins:
        sys.exit("no training sequence has 2 or more events")
    if model.repeat_bias is not None:
        with torch.no_grad():
            model.repeat_bias.fill_(repeat_bias_init(share, V, wins, T))
    emb = [model.item_emb.weight, model.pos_emb.weight]
    decay = [w for n, w in model.named_parameters() if n not in ("item_emb.weight", "pos_emb.weight", "repeat_bias")]
    wd = float(p["weight_decay"])
    groups = [{"params": decay, "weight_decay": wd}, {"params": emb, "weight_decay": wd if int(p["decay_embeddings"]) else 0.0}]
    if model.repeat_bias is not None:
        groups.append({"params": [model.repeat_bias], "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups, lr=float(p["lr"]), betas=(0.9, 0.98), eps=1e-8)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    per_rank = max(1, B // world)

    def run_epoch(epoch):
        g = torch.Generator().manual_seed(a.seed + epoch)
        perm = torch.randperm(len(wins), generator=g).tolist()
        shard = perm[rank::world]
        steps = math.ceil(len(perm) / world / per_rank)
        shard += perm[:steps * per_rank - len(shard)]  # equal steps in every process
        total, count, positions = 0.0, 0, 0
        for s in range(steps):
            inp, tgt = make_batch(train, [wins[i] for i in shard[s * per_rank:(s + 1) * per_rank]], T)
            if model.bert:
                inp, tgt = mask_batch(inp, tgt, V, float(p["mask_prob"]), float(p["last_prob"]), rnd)
            negs = None
            if loss_kind == "bce":
                K = int(p["negatives"]) or 1
                negs = torch.randint(1, V + 1, (int((tgt > 0).sum()), K))
            loss = net(inp, tgt, True, negs)
            opt.zero_grad()
            loss.backward()
            if float(p["clip"]) > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), float(p["clip"]))
            opt.step()
            total += loss.item()
            count += 1
            positions += int((tgt > 0).sum()) * world
        return total / max(count, 1), positions

    return model, run_epoch, f"{len(wins)} windows"


def gru4rec_trainer(ap, sets, train, V, share, rnd, world=1, rank=0):
    """GRU4Rec as src/models/gru4rec.c trains it: session-parallel mini-batches (batch lanes, each
    walking one sequence an event at a time, its state carried over without a gradient and reset
    to zero at a new sequence), the full softmax (or BPR-max) over the catalogue, Adagrad (eps
    1e-6), the repeat bias over each lane's sequence so far. Under torchrun, data-parallel over
    the lanes: each of the N processes walks batch / N lanes over every N-th sequence of the
    epoch's order (the same order everywhere: rnd is seeded alike), and a step's gradients are
    summed over the processes (one all-reduce, with the active lanes and the still-busy flag in
    the same buffer) and divided by the active lanes of the whole step, so every process takes
    the same Adagrad step on the mean over all the step's lanes, as one process with batch lanes
    would; a process whose lanes are done adds zeros until every one is. run_epoch(epoch) ->
    (mean loss, positions)."""
    model = gru4rec.GRU4Rec(V, sets)
    p = model.params
    if p["loss"] not in ("ce", "bpr-max"):
        ap.error(f"loss {p['loss']!r}: gru4rec trains ce or bpr-max")
    # n_sample < V: each step's columns are the lanes' targets and n_sample shared negatives drawn
    # from popularity^sample_alpha over the training sequences, by our sampler's own table
    n_sample = int(p["n_sample"]) if 0 < int(p["n_sample"]) < V else 0
    if n_sample:
        sampler, draws = wrdata.Sampler(train, V, float(p["sample_alpha"])), wrdata.Rng(rnd.getrandbits(62))
    order = [u for u, s in enumerate(train) if len(s) >= 2]
    if not order:
        sys.exit("no training sequence has 2 or more events")
    if model.repeat_bias is not None:  # the mean history at a training position, as gru_fit
        s = sum(0.5 * (len(q) - 1.0) * len(q) for q in train if len(q) >= 2)
        n = sum(len(q) - 1 for q in train if len(q) >= 2)
        with torch.no_grad():
            model.repeat_bias.fill_(repeat_bias_from(share, V, s / n if n > 0 else 1))
    opt = torch.optim.Adagrad(model.parameters(), lr=float(p["lr"]), eps=1e-6)
    B, C = max(1, int(p["batch"]) // world), int(p["dim"])
    params = list(model.parameters())

    def run_epoch(epoch):
        rnd.shuffle(order)
        mine = order[rank::world]
        lane_seq, lane_pos, nxt = [-1] * B, [0] * B, 0
        h = torch.zeros(B, C)
        seen = torch.zeros(B, V, dtype=torch.bool)
        total, count, positions = 0.0, 0, 0
        while True:
            inp, tgt = [0] * B, [0] * B
            for b in range(B):  # wr__lanes_next
                if lane_seq[b] < 0 or lane_pos[b] + 1 >= len(train[lane_seq[b]]):
                    lane_seq[b] = mine[nxt] if nxt < len(mine) else -1
                    nxt += lane_seq[b] >= 0
                    lane_pos[b] = 0
                    h[b] = 0
                    seen[b] = False
                if lane_seq[b] < 0:
                    continue
                q = train[lane_seq[b]]
                inp[b], tgt[b] = q[lane_pos[b]] + 1, q[lane_pos[b] + 1] + 1
                seen[b, q[lane_pos[b]]] = True  # the sequence so far, its input included
                lane_pos[b] += 1
            inp, tgt = torch.tensor(inp), torch.tensor(tgt)
            act = (tgt > 0).nonzero()[:, 0]
            busy = any(lane_seq[b] >= 0 and lane_pos[b] + 1 < len(train[lane_seq[b]]) for b in range(B)) or nxt < len(mine)
            opt.zero_grad()
            loss_sum, hn = 0.0, None
            if len(act):
                negs = [sampler.draw(draws) for _ in range(n_sample)] if n_sample else None
                loss, hn = model.step_loss(inp, tgt, h, None, True, seen, negs)
                (loss * len(act)).backward()  # the sum over this process's lanes
                loss_sum = loss.item() * len(act)
            if world > 1:  # sum the gradients, the loss, the active lanes and the busy flags over the processes
                flat = torch.cat([(q.grad if q.grad is not None else torch.zeros_like(q)).reshape(-1) for q in params] +
                                 [torch.tensor([loss_sum, float(len(act)), float(busy)])])
                dist.all_reduce(flat)
                o = 0
                for q in params:
                    q.grad = flat[o:o + q.numel()].view_as(q).clone()
                    o += q.numel()
                loss_sum, A, busy = float(flat[o]), int(flat[o + 1]), float(flat[o + 2]) > 0
            else:
                A = len(act)
            if A:
                for q in params:
                    if q.grad is not None:
                        q.grad /= A
                if float(p["clip"]) > 0:
                    torch.nn.utils.clip_grad_norm_(params, float(p["clip"]))
                opt.step()
                total += loss_sum / A
                count += 1
                positions += A
            if hn is not None:
                h[act] = hn.detach()
            if not busy:
                return total / max(count, 1), positions

    return model, run_epoch, f"{len(order)} sequences in {B} lanes{f' per process' if world > 1 else ''}"


class LazyAdam:
    """wr_adamw as src/models/mf.c, ncf.c and fm.c step it (no weight decay): one step count for
    every weight (the bias corrections 1 - b^t), each embedding table updated on the rows the step
    used only (the others keep their weights and moments: lazy), the dense weights whole."""

    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = list(params), lr, b1, b2, eps
        self.m = [torch.zeros_like(q) for q in self.params]
        self.v = [torch.zeros_like(q) for q in self.params]
        self.b1t = self.b2t = 1.0

    @torch.no_grad()
    def step(self, rows):
        """rows: {parameter: LongTensor of its rows, or "skip"}; parameters not in it are dense."""
        self.b1t *= self.b1
        self.b2t *= self.b2
        c1, c2 = 1.0 / (1.0 - self.b1t), 1.0 / (1.0 - self.b2t)
        by_id = {id(k): v for k, v in rows.items()}
        for q, m, v in zip(self.params, self.m, self.v):
            r = by_id.get(id(q))
            if q.grad is None or (isinstance(r, str) and r == "skip"):
                continue
            r = slice(None) if r is None else r
            g = q.grad[r]
            m[r] = self.b1 * m[r] + (1 - self.b1) * g
            v[r] = self.b2 * v[r] + (1 - self.b2) * g * g
            q[r] -= self.lr * ((m[r] * c1) / ((v[r] * c2).sqrt() + self.eps))


class Negatives:
    """wr__draw_negative (src/models/batch.c): items drawn from popularity^alpha of the training
    events (alpha 0: uniform) that the user never touched in training, redrawn up to 10 times
    (then the last draw stands). Drawn with torch's generator, not ours."""

    def __init__(self, train, V, alpha, gen):
        self.V, self.gen = V, gen
        pop = torch.zeros(V, dtype=torch.float64)
        for q in train:
            for i in q:
                pop[i] += 1
        self.probs = None if alpha == 0 else torch.where(pop > 0, pop ** alpha, torch.zeros_like(pop))
        keys = [u * V + i for u, q in enumerate(train) for i in q]
        self.keys = torch.unique(torch.tensor(keys, dtype=torch.long)) if keys else torch.zeros(1, dtype=torch.long) - 1

    def _draw(self, n):
        if self.probs is None:
            return torch.randint(0, self.V, (n,), generator=self.gen)
        return torch.multinomial(self.probs, n, replacement=True, generator=self.gen)

    def has(self, u, j):
        key = u * self.V + j
        pos = torch.searchsorted(self.keys, key).clamp(max=len(self.keys) - 1)
        return self.keys[pos] == key

    def draw(self, users, k):
        u = users[:, None].expand(-1, k).reshape(-1)
        j = self._draw(len(u))
        for _ in range(9):
            bad = self.has(u, j)
            if not bool(bad.any()):
                break
            j[bad] = self._draw(int(bad.sum()))
        return j.reshape(-1, k)


def side_csr(X, U, V, base):
    """wrdata's side features (X: data.features) as our model files keep them: per side (users,
    items) the CSR (start (n + 1) I64, rows I32) of each entity's feature rows, base + key id."""
    return [(torch.tensor(X.start[k] if X.start[k] is not None else [0] * ((V if k else U) + 1), dtype=torch.int64),
             torch.tensor([base + x for x in (X.feat[k] or [])], dtype=torch.int32)) for k in (0, 1)]


def ctx_rows(ctxs, base):
    """Lists of context feature ids as the FM twin's (rows (n, C): base + id, mask (n, C))."""
    C = max(1, max((len(c) for c in ctxs), default=1))
    return (torch.tensor([[base + x for x in c] + [0] * (C - len(c)) for c in ctxs], dtype=torch.long),
            torch.tensor([[1.0] * len(c) + [0.0] * (C - len(c)) for c in ctxs]))


def event_trainer(ap, a, sets, data, train, V, gen, labels=None, ratings=None, ctx=None):
    """mf, gmf/mlp/neumf and lr/fm/ffm/deepfm (on the user and item ids) as src/models/mf.c, ncf.c
    and fm.c train them: the training events (bpr, bce: the positives, each with n_neg sampled
    items the user never touched; mse: every event and its rating; on labelled data, bce: every
    event and its label, with label_neg sampled label-0 items each for lr/fm/ffm/deepfm, while
    mf's bpr takes the positives against n_neg negatives) shuffled into mini-batches of batch
    events, the twin's loss (the same as our wr__*_loss_grad, checked by the fixtures), lazy Adam
    on the embedding rows the step used. train: per user the training events' items (labelled:
    positives and negatives), labels/ratings alongside (None: unlabelled / leave-one-out's prefix
    of data.ratings), ctx alongside (lr/fm/ffm/deepfm on data with a context: each training
    event's context feature ids, joining its user part; its negatives share it). run_epoch(epoch)
    -> (mean loss, events)."""
    U, fam = len(data.users), a.model
    if fam == "mf":
        model = mf_mod.MF(U, V, sets)
    elif fam in ("gmf", "mlp", "neumf"):
        model = ncf.NCF(U, V, sets, fam)
    else:
        X = getattr(data, "features", None)
        if X is None:
            model = fm_mod.FM(fam, U, V, sets, U + V)
        else:  # the side features as ours lays them out: rows U + V + key, fields 2 + column
            csr = side_csr(X, U, V, U + V)
            field = torch.tensor([0] * U + [1] * V + [2 + f for f in X.value_field], dtype=torch.int32)
            model = fm_mod.FM(fam, U, V, sets, U + V + len(X.keys), 2 + len(X.fields), csr[0], csr[1], field)
            model.feature_keys = list(X.keys)
            model.batched = True
        if not int(model.params["ids"]) and X is None:
            ap.error(f"{fam}: ids=0 needs side features (--users FILE, --items FILE)")
    p = model.params
    kind = p.get("loss", "bce")
    if fam in ("lr", "fm", "ffm", "deepfm") and kind not in ("bce", "mse"):
        ap.error(f"{fam}: loss {kind!r} (bce or mse)")
    mse = kind == "mse"
    # the events: mse every one with its rating, labelled bce every one with its label, else the positives
    labelled = labels is not None and not mse and (fam != "mf" or kind == "bce")
    ev = [(u, t) for u, q in enumerate(train) for t in range(len(q))
          if mse or labelled or labels is None or labels[u][t]]
    users = torch.tensor([u for u, _ in ev], dtype=torch.long)
    items = torch.tensor([train[u][t] for u, t in ev], dtype=torch.long)
    cx = ctx_rows([ctx[u][t] for u, t in ev], U + V) if ctx is not None else None
    ys = None
    if mse:
        if data.ratings is None:
            ap.error(f"{fam}: loss mse needs ratings (MovieLens, or a CSV rating column); this data has none")
        rs = ratings if ratings is not None else data.ratings
        ys = torch.tensor([rs[u][t] for u, t in ev], dtype=torch.float32)
        with torch.no_grad():  # start at the mean rating, as ours
            (model.global_bias if fam == "mf" else model.bias).fill_(float(ys.double().mean()))
    elif labelled:
        ys = torch.tensor([float(labels[u][t]) for u, t in ev], dtype=torch.float32)
    if not len(users):
        sys.exit(f"{fam}: no training events")
    n_neg = 0 if mse else (int(p.get("label_neg", 0)) if labelled else int(p["n_neg"]))
    neg = Negatives(train, V, float(p.get("neg_alpha", 0)) if fam == "mf" else 0.0, gen)
    if fam == "mf":
        user_t, item_t, feat_t = [model.user_emb.weight, model.user_bias], [model.item_emb.weight, model.item_bias], []
        skip = [model.global_bias] if kind == "bpr" else []  # ours leaves mu alone under bpr (its gradient is 0)
    elif fam in ("gmf", "mlp", "neumf"):
        user_t = [t.weight for t in (getattr(model, "gmf_user", None), getattr(model, "mlp_user", None)) if t is not None]
        item_t = [t.weight for t in (getattr(model, "gmf_item", None), getattr(model, "mlp_item", None)) if t is not None]
        feat_t, skip = [], []
    else:
        user_t, item_t, skip = [], [], []
        feat_t = [model.weight.weight] + ([model.factors.weight] if model.factors is not None else [])
    opt = LazyAdam(model.parameters(), float(p["lr"]))
    B, n = int(p["batch"]), len(users)

    def run_epoch(epoch):
        perm = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for s0 in range(0, n, B):
            idx = perm[s0:s0 + B]
            bu, bi = users[idx], items[idx]
            negs = neg.draw(bu, n_neg) if n_neg else None
            bc = (cx[0][idx], cx[1][idx]) if cx is not None else None
            loss = model.loss(bu, bi, ys[idx] if ys is not None else None, negs, **({"ctx": bc} if bc is not None else {}))
            model.zero_grad()
            loss.backward()
            used = bi if negs is None else torch.cat([bi, negs.reshape(-1)])
            rows = {t: torch.unique(bu) for t in user_t}
            rows.update({t: torch.unique(used) for t in item_t})
            if feat_t:
                fr = (model.rows_used(bu, used, bc) if bc is not None else torch.unique(torch.cat([bu, U + used])) if model.ids_only()
                      else model.rows_used(bu, used))
                rows.update({t: fr for t in feat_t})
            rows.update({t: "skip" for t in skip})
            opt.step(rows)
            total += loss.item()
            count += 1
        return total / max(count, 1), n

    return model, run_epoch, f"{n} {'labelled ' if labelled else ''}events{f' with {n_neg} negatives each' if n_neg else ''}"


def twotower_trainer(ap, a, sets, data, train, V, gen, ctx=None):
    """twotower as src/models/twotower.c trains it: the training events shuffled into
    mini-batches of batch, each event's query the user and the user's training events before it
    (the last `history`), in-batch softmax over the batch's items plus n_uniform uniform items
    shared by the batch, the log-Q correction from each item's share of the training events
    (0.5 for an item without one), ids without a training event kept at zero rows, lazy Adam on
    the rows a step read, the learned temperature kept within [0.001, 10]. With side tables
    (--users, --items) the towers also read the mean of the entity's feature rows (the keys
    numbered as ours, rows 0..F-1), and cold_dropout draws, per query row and per item column,
    whether that tower sees the features alone (ours draws only for a tower that has features;
    on ids nothing is drawn, so the ids-only stream is as before). On data with a context (ctx:
    each training event's context feature ids) the query tower reads their mean in a slot of its
    own, cold dropout or not. run_epoch(epoch) -> (mean loss, events)."""
    U = len(data.users)
    X = getattr(data, "features", None)
    if X is None:
        model = twotower.TwoTower(U, V, sets)
    else:
        model = twotower.TwoTower(U, V, sets, len(X.keys), *side_csr(X, U, V, 0), has_ctx=ctx is not None)
        model.feature_keys = list(X.keys)
    p = model.params
    counts = torch.zeros(V, dtype=torch.float64)
    for q in train:
        for i in q:
            counts[i] += 1
    with torch.no_grad():
        if model.item_emb is not None:
            model.item_emb.weight[counts == 0] = 0
        if model.user_emb is not None:
            model.user_emb.weight[torch.tensor([len(q) == 0 for q in train])] = 0
    logp = torch.log((torch.where(counts > 0, counts, torch.full_like(counts, 0.5)) / max(float(counts.sum()), 1.0)).float())
    events = [(u, t) for u, q in enumerate(train) for t in range(len(q))]
    if not events:
        sys.exit("twotower: no training events")
    opt = LazyAdam([q for q in model.parameters() if q.requires_grad], float(p["lr"]))
    B, S, n = int(p["batch"]), int(p["n_uniform"]), len(events)
    t0 = float(p["temperature"])
    lo, hi = math.log(0.001 / t0), math.log(10.0 / t0)
    pd = float(p["cold_dropout"]) if model.qfeat or model.ifeats else 0.0

    def run_epoch(epoch):
        perm = torch.randperm(n, generator=gen).tolist()
        total, count = 0.0, 0
        for s0 in range(0, n, B):
            ev = [events[k] for k in perm[s0:s0 + B]]
            bu = [u for u, _ in ev]
            bi = [train[u][t] for u, t in ev]
            hists = [train[u][:t] for u, t in ev]
            negs = torch.randint(0, V, (S,), generator=gen).tolist() if S else []
            drop = None
            if pd > 0:
                r = (torch.rand(2 * len(ev) + S, generator=gen) < pd).tolist()
                drop = ([model.qfeat and x for x in r[:len(ev)]], [model.ifeats and x for x in r[len(ev):]])
            loss = model.loss(bu, bi, hists, negs, logp, drop, [ctx[u][t] for u, t in ev] if ctx is not None else None)
            model.zero_grad()
            loss.backward()
            rows = {}
            if model.user_emb is not None:
                rows[model.user_emb.weight] = torch.tensor(model.last_read["user"], dtype=torch.long)
            if model.item_emb is not None:
                rows[model.item_emb.weight] = torch.tensor(model.last_read["item"], dtype=torch.long)
            if model.feature_emb is not None:
                rows[model.feature_emb.weight] = torch.tensor(model.last_read["feature"], dtype=torch.long)
            opt.step(rows)
            with torch.no_grad():
                model.log_temperature.clamp_(lo, hi)
            total += loss.item()
            count += 1
        return total / max(count, 1), n

    return model, run_epoch, f"{n} events in batches of {B}{f' with {S} uniform negatives' if S else ''}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=FAMILIES)
    ap.add_argument("--data", required=True)
    ap.add_argument("--format", default="auto", choices=["auto", "seq", "csv", "movielens"])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--eval", default="loo", choices=list(wrdata.PROTOCOLS))
    ap.add_argument("--split", metavar="TRAIN,VALID,TEST", help="random/temporal/cold-users/cold-items: the parts' fractions (default 0.8,0.1,0.1)")
    ap.add_argument("--label", metavar="EXPR", help='a binary label from the rating column, like "rating>=4" (>=, >, <=, <, ==, !=)')
    ap.add_argument("--users", metavar="FILE", help="user side table: MovieLens u.user/users.dat, or CSV/TSV with a user id column")
    ap.add_argument("--items", metavar="FILE", help="item side table: MovieLens u.item/movies.dat, or CSV/TSV with an item id column")
    ap.add_argument("--feature-kinds", metavar="FIELD=KIND,...", help="user.age=categorical,item.year=numeric (categorical, multi, numeric)")
    ap.add_argument("--time-context", metavar="hour,weekday", help="the events' UTC hour and/or weekday as context columns")
    ap.add_argument("--drop", metavar="EXPR", help='drop the events matching, like "rating==3" (before --label)')
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--exclude-seen", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--out")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report", metavar="FILE", help="also write the JSON report to FILE")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--backend", default="gloo")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group(a.backend)
    say = (lambda *x: print(*x, file=sys.stderr, flush=True)) if rank == 0 else (lambda *x: None)

    data = wrdata.load(a.data, a.format)
    loo = a.eval == "loo"
    try:
        kinds = {}
        for kv in (a.feature_kinds or "").split(","):
            if kv.strip():
                f, _, k = kv.partition("=")
                if k.strip() not in ("categorical", "multi", "numeric") or f.strip().split(".")[0] not in ("user", "item", "ctx"):
                    raise ValueError(f"feature kinds: \"{kv}\" is not field=kind (user.<column>, item.<column> or ctx.<column>; "
                                     f"categorical, multi, numeric)")
                kinds[f.strip()] = k.strip()
        if a.time_context:
            wrdata.time_context(data, a.time_context)
        for f in kinds:
            if f.startswith("ctx.") and f[4:] not in data.context:
                raise ValueError(f"feature kinds: {f}: the data has no such context column "
                                 f"(a CSV's columns besides user, item, time, title, category and rating: {', '.join(data.context) or 'none'})")
        note = wrdata.encode_context(data, kinds)  # before the side tables: its keys and fields come first, as ours
        if note:
            say(f"{a.data}: {note}")
        for side, path in ((0, a.users), (1, a.items)):
            if path:
                n = wrdata.load_side(data, side, path, kinds)
                say(f"{path}: {n} of the {len(data.items if side else data.users)} {'items' if side else 'users'} have features "
                    f"({len(data.features.keys)} feature values in all)")
        for f in kinds:
            if getattr(data, "features", None) is None or f not in data.features.fields:
                raise ValueError(f"feature kinds: {f}: no such column in the side tables given")
        if a.drop:
            say(f"--drop {a.drop}: {wrdata.drop(data, a.drop)} events dropped")
        if a.label:
            say(f"--label {a.label}: {wrdata.label(data, a.label)} of {data.n_events} events positive")
        if loo and a.label:
            raise ValueError(f"labelled data (--label {a.label}) is evaluated on held-out events: use --eval random or temporal")
        if loo and a.split:
            raise ValueError("--split is for random, temporal, cold-users and cold-items; loo holds out each user's last two events")
        if not loo and a.model not in EVENTS:
            raise ValueError(f"--eval {a.eval}: this script trains {', '.join(EVENTS)} on held-out-events splits "
                             f"({a.model}: --eval loo)")
        parts = None if loo else wrdata.split(data, a.eval, a.split, a.seed)
    except ValueError as e:
        ap.error(str(e))
    V = len(data.items)
    n_features = len(data.features.keys) if getattr(data, "features", None) is not None else 0
    defaults = {"gru4rec": gru4rec.DEFAULTS, "mf": mf_mod.DEFAULTS, "twotower": twotower.DEFAULTS, "sasrec": sasrec.DEFAULTS.get("sasrec"),
                "bert4rec": sasrec.DEFAULTS.get("bert4rec")}.get(a.model) or ncf.DEFAULTS.get(a.model) or fm_mod.DEFAULTS[a.model]
    sets = {}
    for kv in a.set:
        k, _, v = kv.partition("=")
        if k not in defaults:
            ap.error(f"{a.model} has no setting {k!r} (it has {', '.join(defaults)})")
        sets[k] = typed(v)
    if a.epochs:
        sets["epochs"] = a.epochs
    held, report_parts = 0, parts  # the report evaluates the split as asked (ours: its held-out events train nothing, but are history)
    if not loo and wrdata.PART_VALID not in {x for q in parts for x in q} and int(dict(defaults, **sets)["patience"]) > 0:
        h = wrdata.hold_out(data, a.eval, parts, a.seed)  # no validation part: 10% of training held out to stop early, as ours
        if h is not None:
            parts, held = h, sum(q.count(wrdata.PART_VALID) for q in h)
    if loo:
        train, labels, ratings = wrdata.loo_train(data), None, None
    else:  # every training event (these families learn from labels; twotower: the positives), in time order
        train, labels, ratings = wrdata.train_events(data, parts, a.model == "twotower")
    # the families that read features read the data's context: each training event's feature ids
    ctx_on = a.model in ("lr", "fm", "ffm", "deepfm", "twotower") and wrdata.has_context(data)
    train_ctx = None
    if ctx_on:
        pos = [list(range(len(q))) for q in train] if loo else wrdata.train_positions(data, parts, a.model == "twotower")
        train_ctx = [[wrdata.event_context(data, u, t) for t in ts] for u, ts in enumerate(pos)]
    share = wrdata.repeat_share(train)
    exclude, reason = wrdata.resolve_seen(a.exclude_seen, share)
    valid_exclude, _ = wrdata.resolve_seen("auto", share)  # early stopping follows the auto rule, as ours
    torch.manual_seed(a.seed)  # the same initial weights in every process
    rnd = random.Random(a.seed * 1000 + rank)
    if a.model in EVENTS:
        if world > 1:
            ap.error(f"{a.model} trains in one process here (torchrun trains sasrec, bert4rec and gru4rec data-parallel)")
        trainer = twotower_trainer if a.model == "twotower" else event_trainer
        kw = {"ctx": train_ctx} if a.model == "twotower" else {"labels": labels, "ratings": ratings, "ctx": train_ctx}
        model, run_epoch, what = trainer(ap, a, sets, data, train, V, torch.Generator().manual_seed(a.seed), **kw)
    elif a.model == "gru4rec":  # the lanes' order from one generator in every process
        model, run_epoch, what = gru4rec_trainer(ap, sets, train, V, share, random.Random(a.seed * 1000), world, rank)
        if world > 1:
            torch.manual_seed(a.seed * 1000 + rank)  # the same weights everywhere, each process its own dropout masks
    else:
        model, run_epoch, what = sasrec_trainer(ap, a, sets, train, V, share, rnd, world, rank)
    p = model.params
    say(f"{data.source}: format {data.format}, {len(data.users)} users, {V} items, {data.n_events} events; "
        f"training {a.model} on {what}{'' if loo else f' of the {a.eval} split'}{f' in {world} processes' if world > 1 else ''}")
    if held:
        say(f"note: the split has no validation part, so {held} training events (10%) were held out to stop early")
    kind = p.get("loss")
    predicts = (wrdata.PREDICTS_SCORE if a.model == "twotower" else
                wrdata.PREDICTS_PROB if a.model in ("gmf", "mlp", "neumf") or (a.model != "mf" and kind != "mse") or kind == "bce"
                else wrdata.PREDICTS_RATING if kind == "mse" else wrdata.PREDICTS_SCORE)
    # what early stopping watches, as train.c's watches(): AUC on labelled data, -RMSE for a rating model, else NDCG@10
    watch = ("NDCG@10" if loo else "AUC" if data.labels is not None else
             "-RMSE" if data.ratings is not None and predicts == wrdata.PREDICTS_RATING else "NDCG@10")

    def scorer(hists, users, ctxs=None):  # users: data user indices, the model's too (it trained on these users)
        model.eval()
        if ctxs is None:
            return model.score(hists, users)
        return model.score(hists, users, ctxs if a.model == "twotower" else ctx_rows(ctxs, len(data.users) + V))

    best, best_epoch, bad, patience = -1.0, 0, 0, int(p["patience"])
    best_state, epochs_run, last_loss, positions, t_train = None, 0, 0.0, 0, time.time()
    for epoch in range(1, int(p["epochs"]) + 1):
        model.train()
        last_loss, n = run_epoch(epoch)
        positions += n
        epochs_run = epoch
        # validation on rank 0; the decision goes to every process
        metric = torch.zeros(1, dtype=torch.float64)
        if rank == 0 and loo:
            full, _, _ = wrdata.evaluate(scorer, data, "valid", 10, valid_exclude, with_users=True, context=ctx_on)
            metric[0] = full.ndcg / max(full.users, 1)
        elif rank == 0:
            _, raw = wrdata.evaluate_split(scorer, data, parts, wrdata.PART_VALID, 10, valid_exclude, predicts, context=ctx_on, kind=a.eval)
            x = raw["AUC"] if watch == "AUC" else -raw["RMSE"] if watch == "-RMSE" else raw["NDCG@10"]
            metric[0] = 0.0 if x != x else x
        if world > 1:
            dist.broadcast(metric, 0)
        m = float(metric[0])
        if m > best:
            best, best_epoch, bad = m, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
        say(f"epoch {epoch}/{p['epochs']}  loss {last_loss:.4f}  valid {watch} {m:.4f} (best: epoch {best_epoch})")
        if patience and bad >= patience:
            break
    train_seconds = time.time() - t_train
    model.load_state_dict(best_state)
    if rank == 0:
        if not loo:
            test, _ = wrdata.evaluate_split(scorer, data, report_parts, wrdata.PART_TEST, a.k, exclude, predicts, context=ctx_on, kind=a.eval)
            valid, _ = wrdata.evaluate_split(scorer, data, report_parts, wrdata.PART_VALID, a.k, exclude, predicts, context=ctx_on, kind=a.eval)
            report = {"model": a.model, "params": p, "trained_by": "models/torch/train.py",
                      "dataset": {"source": data.source, "format": data.format, "users": len(data.users), "items": V,
                                  "events": data.n_events, "skipped_lines": 0, "features": n_features},
                      "train_seconds": round(train_seconds, 3),
                      "training": {"epochs": epochs_run, "best_epoch": best_epoch, "positions_per_s": round(positions / max(train_seconds, 1e-9)),
                                   "last_loss": round(last_loss, 6), "held_out_for_validation": held},
                      "eval": a.eval,
                      "protocol": {"split": a.eval, "fractions": a.split or "0.8,0.1,0.1", "seed": a.seed, "label": a.label,
                                   "queries": "each held-out user: no history (their side features alone), all of their held-out positive items as the relevant set"
                                   if a.eval == "cold-users" else "each held-out event: its user, that user's training history, its item as the target",
                                   "ranking": "full ranking over the items with no training event (the held-out items); ties count against the target"
                                   if a.eval == "cold-items" else "full ranking over all items; ties count against the target",
                                   "exclude_seen": exclude, "exclude_seen_mode": a.exclude_seen, "repeat_share": wrdata.r6(share),
                                   "exclude_seen_reason": reason},
                      "test": test, "valid": valid}
        else:
            full, samp, cov = wrdata.evaluate(scorer, data, "test", a.k, exclude, 100, a.seed, with_users=True, context=ctx_on)
            vfull, _, vcov = wrdata.evaluate(scorer, data, "valid", a.k, exclude, with_users=True, context=ctx_on)
            report = {"model": a.model, "params": p, "trained_by": "models/torch/train.py" + (f" ({'data-parallel lanes' if a.model == 'gru4rec' else 'DDP'}, {world} processes)" if world > 1 else ""),
                      "dataset": {"source": data.source, "format": data.format, "users": len(data.users), "items": V,
                                  "events": data.n_events, "skipped_lines": 0, "features": n_features},
                      "train_seconds": round(train_seconds, 3),
                      "training": {"epochs": epochs_run, "best_epoch": best_epoch, "positions_per_s": round(positions / max(train_seconds, 1e-9)),
                                   "last_loss": round(last_loss, 6), "held_out_for_validation": 0},
                      "eval": "loo",
                      "protocol": {"split": "leave-one-out", "ranking": "full ranking over all items; ties count against the target",
                                   "exclude_seen": exclude, "exclude_seen_mode": a.exclude_seen, "repeat_share": wrdata.r6(share),
                                   "exclude_seen_reason": reason,
                                   "sampled": f"target vs 100 uniformly drawn items the user never touched, at most 10000 users, seed {a.seed}"},
                      "test": full.json(cov), "test_sampled100": samp.json(), "valid": vfull.json(vcov)}
        if a.out:
            counts = torch.zeros(V)
            for s in train:
                for i in s:
                    counts[i] += 1
            meta = {"repeat_share": f"{share:.9g}"}
            X = getattr(data, "features", None)
            used = {k.split("=", 1)[0] for k in getattr(model, "feature_keys", None) or ()}  # the fields the file keeps keys of
            buckets = {f: e for f, e in (X.cuts.items() if X is not None else ()) if f in used and e is not None}
            if buckets:  # what their q0..q9 mean, as ours keep it
                meta["buckets"] = json.dumps(buckets, separators=(",", ":"))
            twins.save(model, a.out, data.items, p, users=data.users if a.model in EVENTS else None, counts=counts, meta=meta)
            say(f"saved {a.out}")
        if a.report:
            with open(a.report, "w") as f:
                f.write(json.dumps(report, separators=(",", ":")) + "\n")
        if a.json:
            print(json.dumps(report, separators=(",", ":")))
        elif loo:
            print(f"test (leave-one-out, full ranking): HR@{a.k} {full.hr / max(full.users, 1):.4f}  NDCG@{a.k} {full.ndcg / max(full.users, 1):.4f}  "
                  f"({full.users} users; {reason})")
        else:
            t = report["test"]
            print(f"test ({a.eval} split, full ranking): HR@{a.k} {t[f'HR@{a.k}']}  NDCG@{a.k} {t[f'NDCG@{a.k}']} ({t['queries']} targets)"
                  + "".join(f"  {key} {t[key]}" for key in ("AUC", "GAUC", "logloss", "RMSE", "MAE") if t[key] is not None) + f"  ({reason})")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
