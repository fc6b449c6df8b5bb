"""Two-tower twin of src/models/twotower.c.

  query: [user row ; mean of the user's feature rows ; the last `history` history items' rows pooled
          (pool=mean, mean_last: their mean; attention: weighted by softmax_t(a . e_t / sqrt(E) +
          p[len - 1 - t])) ; (pool=mean_last, attention) the last item's row ; (has_ctx) the mean of
          the context's feature rows (a CSV's extra columns: the event's, or the query's)] -> MLP -> u / |u|
  item:  [item row ; mean of the item's feature rows] -> MLP -> v / |v|
  score(q, i) = u . v_i / (temperature * exp(log_temperature))

A part is there when its setting is on (user_id, item_id, history > 0) and, for the features, when
the file has them. The MLP: `layers` ReLU layers of `hidden` units, then a linear layer to dim.
Our names -> state_dict: "twotower.user_emb" (U, E) -> user_emb.weight, "twotower.item_emb"
(V, E) -> item_emb.weight, "twotower.feature_emb" (F, E) -> feature_emb.weight,
"twotower.query.layerK.weight/bias" -> query.K.weight/bias (linear: out x in), the same for
"item", "twotower.log_temperature" (1) -> log_temperature, "twotower.history_attention.query" (E)
and ".position" (history) -> history_attention.query / .position (pool=attention). The side features
("twotower.user_feature_start" (U+1, I64) / "twotower.user_features" (I32), the same for items:
CSR lists of feature-table rows) are kept as they are and written back."""
import math

import torch
import torch.nn.functional as F
from torch import nn

DEFAULTS = {"dim": 64, "hidden": 128, "layers": 1, "lr": 0.003, "reg": 0.003, "batch": 512, "epochs": 100, "patience": 5,
            "temperature": 0.05, "learn_temperature": 0, "logq": 1, "n_uniform": 0, "history": 50, "pool": "attention",
            "user_id": 1, "item_id": 1, "init": 0.05, "cold_dropout": 0.2}
CSR = ["twotower.user_feature_start", "twotower.user_features", "twotower.item_feature_start", "twotower.item_features"]


class TwoTower(nn.Module):
    family = "twotower"

    def __init__(self, n_users, n_items, params, n_features=0, user_csr=None, item_csr=None, has_ctx=False):
        super().__init__()
        p = self.params = dict(DEFAULTS, **(params or {}))
        self.U, self.V, self.F = n_users, n_items, n_features
        E = D = int(p["dim"])
        L, hidden, self.H = int(p["layers"]), int(p["hidden"]), int(p["history"])
        z64 = lambda n: torch.zeros(n + 1, dtype=torch.int64)
        self.user_csr = user_csr or (z64(n_users), torch.zeros(0, dtype=torch.int32))
        self.item_csr = item_csr or (z64(n_items), torch.zeros(0, dtype=torch.int32))
        self.quser, self.qhist = int(p["user_id"]) != 0, self.H > 0
        self.qfeat = int(self.user_csr[0][-1]) > 0
        self.qlast = self.qhist and p["pool"] in ("mean_last", "attention", 1, 2)
        self.attn = self.qhist and p["pool"] in ("attention", 2)
        self.iid, self.ifeats = int(p["item_id"]) != 0, int(self.item_csr[0][-1]) > 0
        self.qctx = bool(has_ctx)
        qw = [E * (self.quser + self.qfeat + self.qhist + self.qlast + self.qctx)] + [hidden] * L + [D]
        iw = [E * (self.iid + self.ifeats)] + [hidden] * L + [D]
        init = float(p["init"])
        self.user_emb = nn.Embedding(n_users, E) if self.quser else None
        self.item_emb = nn.Embedding(n_items, E) if self.iid or self.qhist else None
        self.feature_emb = nn.Embedding(n_features, E) if n_features else None
        for e in (self.user_emb, self.item_emb, self.feature_emb):
            if e is not None:
                nn.init.normal_(e.weight, std=init)
        self.query = nn.ModuleList(nn.Linear(qw[l], qw[l + 1]) for l in range(L + 1))
        self.item = nn.ModuleList(nn.Linear(iw[l], iw[l + 1]) for l in range(L + 1))
        for lin in list(self.query) + list(self.item):
            b = math.sqrt(6 / (lin.in_features + lin.out_features))
            nn.init.uniform_(lin.weight, -b, b)
            nn.init.zeros_(lin.bias)
        self.log_temperature = nn.Parameter(torch.zeros(1), requires_grad=int(p["learn_temperature"]) != 0)
        if self.attn:  # zeros: training starts from the mean
            self.history_attention = nn.Module()
            self.history_attention.query = nn.Parameter(torch.zeros(E))
            self.history_attention.position = nn.Parameter(torch.zeros(self.H))

    def pool(self, idx, lens):
        """The history rows idx (n, L; the last lens[r] of row r's are real, oldest first, padded
        before) pooled: their mean, or (attention) their softmax-weighted sum; zeros when empty."""
        e = self.item_emb.weight[idx]
        L = idx.shape[1]
        lens = torch.as_tensor(lens, dtype=torch.long)
        back = torch.arange(L - 1, -1, -1)  # each column's distance from the end
        real = back[None, :] < lens[:, None]
        if self.attn:
            a, pos = self.history_attention.query, self.history_attention.position
            s = e @ a / math.sqrt(e.shape[-1]) + pos[back.clamp(max=self.H - 1)][None, :]
            w = torch.softmax(s.masked_fill(~real, float("-inf")), 1).nan_to_num(0.0)
        else:
            w = real.to(e.dtype) / lens.clamp(min=1)[:, None].to(e.dtype)
        return (w[..., None] * e).sum(1)

    def pooled_history(self, hists):
        """pool() of the last `history` items of each history (lists of 0-based items)."""
        bags = [list(h)[-self.H:] if h else [] for h in hists]
        L = max(1, max(len(b) for b in bags))
        idx = torch.tensor([[0] * (L - len(b)) + b for b in bags], dtype=torch.long)
        return self.pool(idx, [len(b) for b in bags])

    @classmethod
    def from_file(cls, mf):
        t = mf.tensors
        F_ = t["twotower.feature_emb"].shape[0] if "twotower.feature_emb" in t else 0
        csr = lambda w: (t[f"twotower.{w}_feature_start"].long(), t[f"twotower.{w}_features"].int()) if f"twotower.{w}_feature_start" in t else None
        p = dict(DEFAULTS, **mf.params)
        uc = csr("user")
        parts = (int(p["user_id"]) != 0) + (uc is not None and int(uc[0][-1]) > 0) + (int(p["history"]) > 0) * (1 + (p["pool"] in ("mean_last", "attention", 1, 2)))
        ctx = t["twotower.query.layer0.weight"].shape[1] == int(p["dim"]) * (parts + 1)  # one row wider: a context part, as tt_load
        m = cls(len(mf.users), len(mf.items), mf.params, F_, uc, csr("item"), ctx)
        m.feature_keys = mf.features
        return m

    def _feats(self, csr, e):
        st, f = csr
        return f[int(st[e]):int(st[e + 1])].long()

    def query_input(self, user, hist, features_only=False, ctx=()):
        """The query tower's input row for (user index or -1, history, context feature rows); and
        the rows it read. features_only (cold dropout): the user's features alone, no id and no
        history (the context stays, as ours)."""
        E, W = self.params["dim"], self.query[0].in_features
        parts, read = [], {"user": [], "item": [], "feature": []}
        z = torch.zeros(int(E), dtype=self.query[0].weight.dtype)
        own = user >= 0 and not features_only  # the user's id row
        if features_only:
            hist = []
        if self.quser:
            parts.append(self.user_emb.weight[user] if own else z)
            if own:
                read["user"].append(user)
        if self.qfeat:
            f = self._feats(self.user_csr, user) if user >= 0 else torch.zeros(0, dtype=torch.long)
            parts.append(self.feature_emb.weight[f].mean(0) if len(f) else z)
            read["feature"] += f.tolist()
        if self.qhist:
            h = list(hist)[-self.H:] if hist else []
            parts.append(self.pooled_history([h])[0])
            read["item"] += h
        if self.qlast:
            parts.append(self.item_emb.weight[hist[-1]] if hist else z)
            if hist:
                read["item"].append(hist[-1])
        if self.qctx:
            c = torch.as_tensor(list(ctx), dtype=torch.long)
            parts.append(self.feature_emb.weight[c].mean(0) if len(c) else z)
            read["feature"] += c.tolist()
        return torch.cat(parts), read

    def item_input(self, item, features_only=False):
        E = int(self.params["dim"])
        z = torch.zeros(E, dtype=self.item[0].weight.dtype)
        parts, read = [], {"item": [], "feature": []}
        if self.iid:
            parts.append(z if features_only else self.item_emb.weight[item])
            if not features_only:
                read["item"].append(item)
        if self.ifeats:
            f = self._feats(self.item_csr, item)
            parts.append(self.feature_emb.weight[f].mean(0) if len(f) else z)
            read["feature"] += f.tolist()
        return torch.cat(parts), read

    @staticmethod
    def tower(layers, x):
        for l, lin in enumerate(layers):
            x = lin(x)
            if l < len(layers) - 1:
                x = F.relu(x)
        return x / (x.norm(dim=-1, keepdim=True) + 1e-12)

    def inv_tau(self):
        return torch.exp(-self.log_temperature) / float(self.params["temperature"])

    def item_vectors(self):
        return self.tower(self.item, torch.stack([self.item_input(i)[0] for i in range(self.V)]))

    def ids_only(self):
        """No side features: the towers read id rows and history rows only (the batched path)."""
        return not self.qfeat and not self.ifeats

    def query_inputs(self, users, hists, ctxs=None):
        """query_input for a batch when ids_only(): users (n, -1 = unknown), hists (lists of
        0-based items), ctxs (with a context part: lists of feature rows)."""
        E = int(self.params["dim"])
        dt = self.query[0].weight.dtype
        parts = []
        if self.quser:
            u = torch.as_tensor(users, dtype=torch.long)
            known = (u >= 0)[:, None].to(dt)
            parts.append(self.user_emb.weight[u.clamp(min=0)] * known)
        if self.qhist:
            parts.append(self.pooled_history(hists))
            if self.qlast:
                last = torch.tensor([h[-1] if h else 0 for h in hists], dtype=torch.long)
                has = torch.tensor([bool(h) for h in hists])[:, None].to(dt)
                parts.append(self.item_emb.weight[last] * has)
        if self.qctx:
            C = max(1, max((len(c) for c in ctxs), default=1))
            idx = torch.tensor([list(c) + [0] * (C - len(c)) for c in ctxs], dtype=torch.long)
            w = torch.tensor([[1.0 / len(c)] * len(c) + [0.0] * (C - len(c)) for c in ctxs], dtype=dt)
            parts.append((self.feature_emb.weight[idx] * w[..., None]).sum(1))
        return torch.cat(parts, -1) if parts else torch.zeros(len(hists), 0, dtype=dt)

    def item_inputs(self, items):
        return self.item_emb.weight[torch.as_tensor(items, dtype=torch.long)]

    def item_vectors(self):
        if self.ids_only() and self.iid:
            return self.tower(self.item, self.item_inputs(torch.arange(self.V)))
        return self.tower(self.item, torch.stack([self.item_input(i)[0] for i in range(self.V)]))

    def score(self, histories, users, ctxs=None):
        ctxs = ctxs if ctxs is not None else [()] * len(users)
        if self.ids_only():
            q = self.tower(self.query, self.query_inputs(users, histories, ctxs))
        else:
            q = self.tower(self.query, torch.stack([self.query_input(u, h, False, c)[0] for h, u, c in zip(histories, users, ctxs)]))
        return q @ self.item_vectors().T * self.inv_tau()

    def loss(self, users, items, hists, negs, logp, drop=None, ctxs=None):
        """wr__twotower_loss_grad: in-batch softmax over the n events' items and the shared uniform
        negatives, the log-Q correction (logp: log of each item's share of the training events), a
        column holding the row's own item masked; plus reg times the squared norms of the embedding
        rows the batch read. drop (cold dropout; None: none): (n query flags, n + len(negs) column
        flags), true where that row's tower sees its side features alone."""
        n, cols = len(users), [int(i) for i in items] + [int(i) for i in negs]
        items = [int(i) for i in items]
        qdrop, idrop = drop if drop is not None else ([False] * n, [False] * len(cols))
        ctxs = ctxs if ctxs is not None else [()] * n
        if self.ids_only() and self.iid:  # batched (what train.py trains ids with; the fixtures check it)
            assert not any(qdrop) and not any(idrop), "cold dropout needs side features"
            q = self.tower(self.query, self.query_inputs(list(users), hists, ctxs))
            v = self.tower(self.item, self.item_inputs(cols))
            qs = [(None, {"user": [int(u)] if self.quser and u >= 0 else [],
                          "item": (list(h)[-self.H:] + ([h[-1]] if self.qlast and h else [])) if self.qhist and h else [],
                          "feature": list(c) if self.qctx else []})
                  for u, h, c in zip(users, hists, ctxs)]
            vs = [(None, {"item": [i]}) for i in cols]
        else:
            qs = [self.query_input(u, h, bool(d), c) for u, h, d, c in zip(users, hists, qdrop, ctxs)]
            vs = [self.item_input(i, bool(d)) for i, d in zip(cols, idrop)]
            q = self.tower(self.query, torch.stack([x for x, _ in qs]))
            v = self.tower(self.item, torch.stack([x for x, _ in vs]))
        self.last_read = {k: sorted({r for _, rd in qs + vs for r in rd.get(k, [])}) for k in ("user", "item", "feature")}
        z = q @ v.T * self.inv_tau()
        c = torch.tensor(cols, dtype=torch.long)
        if int(self.params["logq"]):
            corr = torch.as_tensor(logp, dtype=torch.float64)[c[:n]] + math.log(n)
            if len(negs):
                corr = torch.cat([corr, torch.full((len(negs),), math.log(len(negs) / self.V), dtype=torch.float64)])
            z = z - corr.to(z.dtype)
        mask = (c[None, :] == c[:n, None]) & (torch.arange(len(cols))[None, :] != torch.arange(n)[:, None])
        z = z.masked_fill(mask, -1e30)
        loss = F.cross_entropy(z, torch.arange(n))
        reg = float(self.params["reg"])
        if reg > 0:
            for k, table in (("user", self.user_emb), ("item", self.item_emb), ("feature", self.feature_emb)):
                if table is not None and self.last_read[k]:
                    loss = loss + reg * (table.weight[self.last_read[k]] ** 2).sum()
        return loss

    def to_ours(self):
        out = {}
        for w, (st, f) in (("user", self.user_csr), ("item", self.item_csr)):
            out[f"twotower.{w}_feature_start"], out[f"twotower.{w}_features"] = st.long(), f.int()
        for k, v in self.state_dict().items():
            k = k.replace(".weight", ".weight") if not k.endswith("_emb.weight") else k[:-len(".weight")]
            k = k.replace("query.", "query.layer").replace("item.", "item.layer") if k.startswith(("query.", "item.")) else k
            out["twotower." + k] = v.detach().float()
        return out

    def load_ours(self, tensors):
        sd = {}
        for k, v in tensors.items():
            if k in CSR or not k.startswith("twotower."):
                continue
            n = k[len("twotower."):]
            if n.endswith("_emb"):
                n += ".weight"
            n = n.replace("query.layer", "query.").replace("item.layer", "item.")
            sd[n] = v
        self.load_state_dict(sd, strict=True)
