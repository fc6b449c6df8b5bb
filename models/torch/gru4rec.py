"""GRU4Rec twin of src/models/gru4rec.c: one torch.nn.GRU layer (gates r, z, n, as ours),
item embeddings in, output embeddings (or the input ones, tied) with a bias out.

  h_t = GRU(E[item_t], h_{t-1}), h_0 = 0;  score(i) = h . O[i] + b[i] (+ repeat_bias if i is in the history)

Items are stored as k + 1 (row 0 is padding in E, O and b). Our names -> state_dict:
"gru4rec.item_emb" -> item_emb.weight (V+1, C), "gru4rec.gru.w_ih"/"w_hh"/"b_ih"/"b_hh" ->
gru.weight_ih_l0 (3C, C) / weight_hh_l0 (3C, C) / bias_ih_l0 (3C) / bias_hh_l0 (3C),
"gru4rec.out_emb" -> out_emb.weight (V+1, C; absent when tied), "gru4rec.out_bias" -> out_bias (V+1),
"gru4rec.repeat_bias" -> repeat_bias (1)."""
import math

import torch
import torch.nn.functional as F
from torch import nn

DEFAULTS = {"dim": 64, "batch": 64, "lr": 0.05, "epochs": 100, "patience": 5, "n_sample": 8192, "sample_alpha": 0.75,
            "tied": 0, "loss": "ce", "bpreg": 1.0, "clip": 0, "dropout_embed": 0.25, "dropout_hidden": 0.5, "init": 0.0,
            "repeat_bias": 1}
ABSENT_OFF = ["repeat_bias"]

NAMES = {"gru4rec.item_emb": "item_emb.weight", "gru4rec.gru.w_ih": "gru.weight_ih_l0", "gru4rec.gru.w_hh": "gru.weight_hh_l0",
         "gru4rec.gru.b_ih": "gru.bias_ih_l0", "gru4rec.gru.b_hh": "gru.bias_hh_l0", "gru4rec.out_emb": "out_emb.weight",
         "gru4rec.out_bias": "out_bias", "gru4rec.repeat_bias": "repeat_bias"}


class GRU4Rec(nn.Module):
    family = "gru4rec"

    def __init__(self, n_items, params, from_file=False):
        super().__init__()
        p = dict(DEFAULTS)
        for k in ABSENT_OFF if from_file else ():
            if k not in (params or {}):
                p[k] = 0
        p.update(params or {})
        self.params, self.V = p, n_items
        C = int(p["dim"])
        self.tied = int(p["tied"]) != 0
        self.item_emb = nn.Embedding(n_items + 1, C)
        self.gru = nn.GRU(C, C, batch_first=True)
        self.out_emb = None if self.tied else nn.Embedding(n_items + 1, C)
        self.out_bias = nn.Parameter(torch.zeros(n_items + 1))
        self.repeat_bias = nn.Parameter(torch.zeros(1)) if int(p["repeat_bias"]) else None
        b = float(p["init"])
        with torch.no_grad():  # our initialisation: U(+-sqrt(6 / (fan_in + fan_out))), biases 0
            be, bw = (b, b) if b > 0 else (math.sqrt(6 / (n_items + 1 + C)), math.sqrt(6 / (4 * C)))
            for w in (self.item_emb.weight, self.out_emb.weight if self.out_emb is not None else None):
                if w is not None:
                    nn.init.uniform_(w, -be, be)
            nn.init.uniform_(self.gru.weight_ih_l0, -bw, bw)
            nn.init.uniform_(self.gru.weight_hh_l0, -bw, bw)
            nn.init.zeros_(self.gru.bias_ih_l0)
            nn.init.zeros_(self.gru.bias_hh_l0)

    @property
    def out(self):
        return self.item_emb.weight if self.tied else self.out_emb.weight

    def step(self, inp, h):
        """One GRU step: inp (B) 1-based items, h (B, C) -> the new states (B, C)."""
        return self.gru(self.item_emb(inp)[:, None, :], h[None])[1][0]

    def logits(self, h, seen=None):
        z = h @ self.out[1:].T + self.out_bias[1:]
        if self.repeat_bias is not None and seen is not None:
            z = z + self.repeat_bias * seen.to(z.dtype)
        return z

    def score(self, histories, users=None):
        C = self.item_emb.weight.shape[1]
        out = []
        for hist in histories:  # one at a time from a zero state, as ours
            h = torch.zeros(1, C, dtype=self.item_emb.weight.dtype)
            if hist:
                x = self.item_emb(torch.as_tensor(hist, dtype=torch.long) + 1)[None]
                h = self.gru(x, h[None])[1][0]
            seen = torch.zeros(1, self.V, dtype=torch.bool)
            if hist:
                seen[0, torch.as_tensor(hist, dtype=torch.long)] = True
            out.append(self.logits(h, seen)[0])
        return torch.stack(out)

    def step_loss(self, inp, tgt, h, hists, train=False, seen=None, negatives=None):
        """wr__gru4rec_loss_grad: lanes with tgt > 0, inputs inp (B) and targets tgt (B) 1-based, h
        (B, C) the states before the step, hists[b] lane b's sequence so far (0-based, its input
        included: the repeat bias's history), or instead seen (B, V) bool, those histories as marks.
        negatives None: the full softmax (n_sample 0 or >= V), a lane's target column its item.
        Otherwise (n_sample < V) the columns are the active lanes' targets, in lane order, then the
        shared negatives (1-based, as drawn: a negative equal to a target stays a negative), and a
        lane's target column is its own. Mean CE (or BPR-max with loss=bpr-max) over the active
        lanes, and their new states."""
        act = (tgt > 0).nonzero()[:, 0]
        x = F.dropout(self.item_emb(inp[act]), float(self.params["dropout_embed"]), train)
        hn = self.gru(x[:, None, :], h[act][None])[1][0]
        hd = F.dropout(hn, float(self.params["dropout_hidden"]), train)
        if seen is not None:
            seen = seen[act]
        else:
            seen = torch.zeros(len(act), self.V, dtype=torch.bool)
            for a, b in enumerate(act.tolist()):
                if hists[b]:
                    seen[a, torch.as_tensor(list(hists[b]), dtype=torch.long)] = True
        if negatives is None:
            z = self.logits(hd, seen)
            y = tgt[act] - 1
        else:
            cand = torch.cat([tgt[act], torch.as_tensor(negatives, dtype=torch.long)])
            z = hd @ self.out[cand].T + self.out_bias[cand]
            if self.repeat_bias is not None:
                z = z + self.repeat_bias * seen[:, cand - 1].to(z.dtype)
            y = torch.arange(len(act))
        if self.params["loss"] == "bpr-max":
            return bpr_max(z, y, float(self.params["bpreg"])), hn
        return F.cross_entropy(z, y), hn

    def to_ours(self):
        inv = {v: k for k, v in NAMES.items()}
        return {inv[k]: v.detach().float() for k, v in self.state_dict().items()}

    def load_ours(self, tensors):
        self.load_state_dict({NAMES[k]: v for k, v in tensors.items() if k in NAMES}, strict=True)


def bpr_max(z, y, bpreg):
    """BPR-max (Hidasi & Karatzoglou 2018) as src/nn/loss.c: softmax weights over the negatives
    (the target's column excluded), -log sum_j w_j sigmoid(r_y - r_j) + bpreg sum_j w_j r_j^2."""
    neg = torch.ones_like(z, dtype=torch.bool)
    neg[torch.arange(len(y)), y] = False
    w = z.masked_fill(~neg, float("-inf")).softmax(1)
    ry = z.gather(1, y[:, None])
    A = (w * torch.sigmoid(ry - z)).masked_fill(~neg, 0).sum(1)
    reg = (w * z * z).masked_fill(~neg, 0).sum(1)
    return (-torch.log(A + 1e-24) + bpreg * reg).mean()
