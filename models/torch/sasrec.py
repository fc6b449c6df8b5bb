"""SASRec and BERT4Rec twins of src/models/sasrec.c (pre-LN Transformer blocks, src/nn/*.c).

  x = E[item] * sqrt(C) (BERT4Rec with unscaled_embeddings: E[item]) + P[position], dropout
  per block: x += dropout(proj(MHA(LN1(x))));  x += dropout(fc2(act(fc1(LN2(x)))))
  h = LN_final(x); score(i) = h . E[i] (+ repeat_bias if i is in the history)

act is ReLU (SASRec) or GELU's tanh form (BERT4Rec). Attention is causal (SASRec) or over the
whole window (BERT4Rec) and never sees padding (our C packs the batch without padding rows; here
padding keys are masked and a padding row attends to itself only, so it stays finite). Inputs are
(B, T = max_len) windows, left-padded with 0, item k stored as k + 1; BERT4Rec's mask token is
V + 1 (the item table has V + 2 rows). Positions are the window's columns: the last item of a
scored history sits at T - 1 (BERT4Rec: T - 2, its mask token at T - 1).

Our tensor names -> this module's state_dict: "<m>.item_emb" -> item_emb.weight, "<m>.pos_emb" ->
pos_emb.weight, "<m>.blockK.ln1.w" -> blocks.K.ln1.weight (ln1/ln2 .w/.b, attn.qkv, attn.proj,
ffn.fc1, ffn.fc2: .w -> .weight, .b -> .bias; qkv.weight is (3C, C), rows q, k, v, each split into
heads of D = C / H contiguous rows, as torch.nn.MultiheadAttention's in_proj_weight), "<m>.ln_final.w/.b"
-> ln_final.weight/bias, "<m>.repeat_bias" -> repeat_bias (1)."""
import math
import re

import torch
import torch.nn.functional as F
from torch import nn

COMMON = {"dim": 64, "blocks": 2, "heads": 1, "max_len": 50, "dropout": 0.3, "lr": 0.001, "weight_decay": 0.3, "clip": 0,
          "decay_embeddings": 1, "batch": 128, "epochs": 200, "patience": 10, "loss": "ce", "negatives": 0, "gbce_t": 0.75,
          "sample_alpha": -1, "repeat_bias": 1}
DEFAULTS = {
    "sasrec": dict(COMMON),
    "bert4rec": dict(COMMON, heads=2, max_len=20, dropout=0.3, epochs=500, weight_decay=0.01, decay_embeddings=0, patience=50,
                     mask_prob=0.2, last_prob=0.5, unscaled_embeddings=1),
}
# parameters a file without them means 0 (files written before they existed; vt->absent_off)
ABSENT_OFF = {"sasrec": ["repeat_bias"], "bert4rec": ["repeat_bias", "unscaled_embeddings", "last_prob"]}
LN_EPS = 1e-5


class Attention(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)

    def forward(self, x, allowed):
        B, T, C = x.shape
        H, D = self.H, C // self.H
        q, k, v = self.qkv(x).split(C, dim=-1)
        q, k, v = (t.reshape(B, T, H, D).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(D))
        att = att.masked_fill(~allowed[:, None], float("-inf")).softmax(-1)
        return self.proj((att @ v).transpose(1, 2).reshape(B, T, C))


class FFN(nn.Module):
    def __init__(self, C, gelu):
        super().__init__()
        self.fc1, self.fc2, self.gelu = nn.Linear(C, C), nn.Linear(C, C), gelu

    def forward(self, x):
        y = self.fc1(x)
        return self.fc2(F.gelu(y, approximate="tanh") if self.gelu else F.relu(y))


class Block(nn.Module):
    def __init__(self, C, H, gelu):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(C, eps=LN_EPS), Attention(C, H)
        self.ln2, self.ffn = nn.LayerNorm(C, eps=LN_EPS), FFN(C, gelu)

    def forward(self, x, allowed, p, training):
        x = x + F.dropout(self.attn(self.ln1(x), allowed), p, training)
        return x + F.dropout(self.ffn(self.ln2(x)), p, training)


class SASRec(nn.Module):
    """family "sasrec" or "bert4rec"; params as our params JSON (missing keys: our defaults)."""

    def __init__(self, n_items, params, family="sasrec", from_file=False):
        super().__init__()
        self.family, self.bert = family, family == "bert4rec"
        self.params = resolve(params, family, from_file)
        p = self.params
        C, self.T, self.V = int(p["dim"]), int(p["max_len"]), n_items
        if C % int(p["heads"]):
            raise ValueError(f"{family}: dim {C} is not a multiple of heads {p['heads']}")
        self.scale = 1.0 if self.bert and int(p.get("unscaled_embeddings", 0)) else math.sqrt(C)
        self.item_emb = nn.Embedding(n_items + 1 + self.bert, C)
        self.pos_emb = nn.Embedding(self.T, C)
        self.blocks = nn.ModuleList(Block(C, int(p["heads"]), self.bert) for _ in range(int(p["blocks"])))
        self.ln_final = nn.LayerNorm(C, eps=LN_EPS)
        self.repeat_bias = nn.Parameter(torch.zeros(1)) if int(p["repeat_bias"]) else None
        self.p_drop = float(p["dropout"])
        self.reset_parameters()

    def reset_parameters(self):
        """Our initialisation: embeddings N(0, 0.02) (the padding row 0), linear weights U(+-1/sqrt(C)),
        biases 0, layer norms 1 and 0."""
        C = self.item_emb.weight.shape[1]
        with torch.no_grad():
            nn.init.normal_(self.item_emb.weight, std=0.02)
            self.item_emb.weight[0].zero_()
            nn.init.normal_(self.pos_emb.weight, std=0.02)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.uniform_(m.weight, -1 / math.sqrt(C), 1 / math.sqrt(C))
                    nn.init.zeros_(m.bias)

    # ---- the forward pass ----
    def hidden(self, inp, train=False):
        """inp (B, T) long, 1-based, 0 = padding -> h (B, T, C) after the final layer norm."""
        B, T = inp.shape
        real = inp > 0
        x = self.item_emb(inp) * self.scale + self.pos_emb.weight[:T][None]
        x = F.dropout(x * real[..., None], self.p_drop, train)
        allowed = real[:, None, :].expand(B, T, T)
        if not self.bert:
            allowed = allowed & torch.ones(T, T, dtype=torch.bool).tril()
        allowed = allowed | torch.eye(T, dtype=torch.bool)
        for blk in self.blocks:
            x = blk(x, allowed, self.p_drop, train)
        return self.ln_final(x)

    def windows(self, histories):
        """Histories (lists of 0-based items) -> (Q, T) inputs as our inference pass lays them out."""
        T = self.T - self.bert
        inp = torch.zeros(len(histories), self.T, dtype=torch.long)
        for b, h in enumerate(histories):
            k = min(len(h), T)
            if k:
                inp[b, T - k:T] = torch.as_tensor(list(h[len(h) - k:]), dtype=torch.long) + 1
            if self.bert:
                inp[b, T] = self.V + 1
        return inp

    def score(self, histories, users=None):
        """(Q, V) scores of every item after each history (what wr_model_score gives)."""
        inp = self.windows(histories)
        h = self.hidden(inp)[:, -1]
        out = h @ self.item_emb.weight[1:self.V + 1].T
        for b, hist in enumerate(histories):
            if not hist and not self.bert:
                out[b] = 0  # no history: no row; our C gives zeros (the engine answers with the counts)
        if self.repeat_bias is not None:
            seen = torch.zeros_like(out, dtype=torch.bool)
            for b, hist in enumerate(histories):
                if hist:
                    seen[b, torch.as_tensor(list(hist), dtype=torch.long)] = True
            out = out + self.repeat_bias * seen
        return out

    def seen_rows(self, inp):
        """(B, T, V) bool: the items of each row's history as our training loss sees it (SASRec: the
        window up to and including the row; BERT4Rec: the window's unmasked items)."""
        B, T = inp.shape
        oh = torch.zeros(B, T, self.V + 2, dtype=torch.float32)
        oh.scatter_(2, inp[..., None], 1.0)
        oh = oh[..., 1:self.V + 1]  # drop padding and the mask token
        return (oh.cumsum(1) > 0) if not self.bert else (oh.sum(1, keepdim=True) > 0).expand(B, T, self.V)

    def loss(self, inp, tgt, train=False, negatives=None):
        """Mean loss over the positions with a target (tgt > 0, 1-based), as wr__sasrec_loss_grad:
        full softmax CE over items 1..V (negatives None), or BCE of the target against negatives
        (P, K) 1-based sampled items per position."""
        h = self.hidden(inp, train)
        rows = tgt > 0
        hr, E = h[rows], self.item_emb.weight
        rb = self.repeat_bias
        seen = self.seen_rows(inp)[rows] if rb is not None else None
        if negatives is None:
            logits = hr @ E[1:self.V + 1].T
            if rb is not None:
                logits = logits + rb * seen.to(logits.dtype)
            return F.cross_entropy(logits, tgt[rows] - 1)
        cand = torch.cat([tgt[rows][:, None], negatives], 1)  # (P, 1 + K)
        z = (hr[:, None, :] * E[cand]).sum(-1)
        if rb is not None:
            z = z + rb * seen.gather(1, cand - 1).to(z.dtype)
        return (-F.logsigmoid(z[:, 0]) - F.logsigmoid(-z[:, 1:]).sum(1)).mean()

    def forward(self, inp, tgt, train=False, negatives=None):
        """The training loss (what DistributedDataParallel wraps)."""
        return self.loss(inp, tgt, train, negatives)

    # ---- our tensors ----
    def to_ours(self):
        return {ours_name(self.family, k): v.detach().float() for k, v in self.state_dict().items()}

    def load_ours(self, tensors):
        sd = {torch_name(self.family, k): v for k, v in tensors.items() if k.startswith(self.family + ".")}
        self.load_state_dict(sd, strict=True)


def resolve(params, family, from_file=False):
    """Our settings: the family's defaults, then params. A file's params (from_file) that lack a
    parameter newer than the file mean 0 for it, as our loader reads them."""
    p = dict(DEFAULTS[family])
    for k in ABSENT_OFF[family] if from_file else ():
        if k not in (params or {}):
            p[k] = 0
    p.update(params or {})
    return p


def torch_name(family, name):
    n = name[len(family) + 1:]
    n = re.sub(r"^block(\d+)\.", r"blocks.\1.", n)
    n = re.sub(r"\.w$", ".weight", n)
    n = re.sub(r"\.b$", ".bias", n)
    return n + ".weight" if n in ("item_emb", "pos_emb") else n


def ours_name(family, name):
    n = re.sub(r"^blocks\.(\d+)\.", r"block\1.", name)
    n = re.sub(r"^(item_emb|pos_emb)\.weight$", r"\1", n)
    n = re.sub(r"\.weight$", ".w", n)
    n = re.sub(r"\.bias$", ".b", n)
    return f"{family}.{n}"
