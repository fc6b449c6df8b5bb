"""LR, FM, FFM and DeepFM twins of src/models/fm.c, on the binary features of a (user, item)
pair: the user's id (feature u), the user's side features, the item's id (feature U + i) and the
item's side features (ids ids=1; side features are feature rows U + V + ...).

  lr:     y = w0 + sum_j w_j
  fm:     y = w0 + sum_j w_j + 1/2 (|sum_j v_j|^2 - sum_j |v_j|^2)
  ffm:    y = w0 + sum_j w_j + sum_{a<b} <v_{a, f(b)}, v_{b, f(a)}> (a factor row of NF blocks of k)
  deepfm: fm's y + MLP([mean factor of each field's features]) (fields: user id 0, item id 1,
          side column c at 2 + c; ReLU between the layers, one output)

Our names -> state_dict: "<m>.bias" (1) -> bias, "<m>.weight" (F, 1) -> weight.weight (an
nn.Embedding of width 1), "<m>.factors" (F, R) -> factors.weight, "deepfm.deep.layerK.weight/bias"
-> deep.K.weight/bias. Kept as they are and written back: "<m>.user_feature_start" (U+1, I64) /
"<m>.user_features" (I32) (the same for items; CSR lists of feature rows) and
"<m>.feature_field" (F, I32; ffm and deepfm).

Context (a CSV's extra columns, "ctx.device=mobile": feature rows U + V + key, a field each) joins
the user part, as ours: ctx, where the batched paths take it, is (rows (n, C), mask (n, C)) of
each pair's or query's context rows (a training event's negatives share its own)."""
import math

import torch
import torch.nn.functional as F
from torch import nn

COMMON = {"reg": 1e-5, "batch": 1024, "epochs": 100, "patience": 5, "loss": "bce", "n_neg": 1, "ids": 1, "label_neg": 0}
DEFAULTS = {"lr": dict(COMMON, lr=0.01), "fm": dict(COMMON, lr=0.001, dim=16, init=0.01),
            "deepfm": dict(COMMON, lr=0.001, dim=8, init=0.01, hidden=64, layers=2),
            "ffm": dict(COMMON, lr=0.001, dim=4, init=0.01, memory_mb=1024)}


class FM(nn.Module):
    def __init__(self, family, n_users, n_items, params, n_features, n_fields=2, user_csr=None, item_csr=None, field=None):
        super().__init__()
        self.family = family
        p = self.params = dict(DEFAULTS[family], **(params or {}))
        self.U, self.V, self.Fn, self.NF = n_users, n_items, n_features, n_fields
        self.K = int(p.get("dim", 0)) if family != "lr" else 0
        self.R = self.K * n_fields if family == "ffm" else self.K
        z64 = lambda n: torch.zeros(n + 1, dtype=torch.int64)
        self.user_csr = user_csr or (z64(n_users), torch.zeros(0, dtype=torch.int32))
        self.item_csr = item_csr or (z64(n_items), torch.zeros(0, dtype=torch.int32))
        if field is None:
            field = torch.tensor([0] * n_users + [1] * n_items + [2] * (n_features - n_users - n_items), dtype=torch.int32)
        self.field = field
        self.bias = nn.Parameter(torch.zeros(1))
        self.weight = nn.Embedding(n_features, 1)
        nn.init.zeros_(self.weight.weight)
        self.factors = nn.Embedding(n_features, self.R) if self.K else None
        if self.factors is not None:
            nn.init.normal_(self.factors.weight, std=float(p.get("init", 0.01)))
        self.deep = None
        if family == "deepfm":
            w = [n_fields * self.K] + [int(p["hidden"])] * int(p["layers"]) + [1]
            self.deep = nn.ModuleList(nn.Linear(w[l], w[l + 1]) for l in range(len(w) - 1))
            for lin in self.deep:
                b = math.sqrt(6 / (lin.in_features + lin.out_features))
                nn.init.uniform_(lin.weight, -b, b)
                nn.init.zeros_(lin.bias)

    @classmethod
    def from_file(cls, mf, family):
        t, pre = mf.tensors, family
        Fn = t[f"{pre}.weight"].shape[0]
        p = dict(DEFAULTS[family], **mf.params)
        K = int(p.get("dim", 0)) if family != "lr" else 0
        NF = 2
        if family == "ffm":
            NF = t["ffm.factors"].shape[1] // K
        elif family == "deepfm":
            NF = t["deepfm.deep.layer0.weight"].shape[1] // K
        csr = lambda w: (t[f"{pre}.{w}_feature_start"].long(), t[f"{pre}.{w}_features"].int()) if f"{pre}.{w}_feature_start" in t else None
        field = t.get(f"{pre}.feature_field")
        m = cls(family, len(mf.users), len(mf.items), mf.params, Fn, NF, csr("user"), csr("item"), field)
        m.feature_keys = mf.features
        return m

    def pair_features(self, u, i):
        x = []
        if u >= 0:
            if int(self.params["ids"]):
                x.append(u)
            st, f = self.user_csr
            x += f[int(st[u]):int(st[u + 1])].tolist()
        if int(self.params["ids"]):
            x.append(self.U + i)
        st, f = self.item_csr
        x += f[int(st[i]):int(st[i + 1])].tolist()
        return x

    def forward_pairs(self, pairs):
        """y (n) for a list of (user, item) pairs."""
        ys = []
        deep_in = []
        for u, i in pairs:
            x = torch.as_tensor(self.pair_features(u, i), dtype=torch.long)
            y = self.bias[0] + self.weight.weight[x, 0].sum()
            if self.family in ("fm", "deepfm"):
                v = self.factors.weight[x]
                s = v.sum(0)
                y = y + 0.5 * ((s * s).sum() - (v * v).sum())
            elif self.family == "ffm":
                K, fl = self.K, self.field[x].long()
                vv = self.factors.weight[x].reshape(len(x), self.NF, K)
                for a in range(len(x)):
                    for b in range(a + 1, len(x)):
                        y = y + (vv[a, fl[b]] * vv[b, fl[a]]).sum()
            if self.deep is not None:
                fl = self.field[x].long()
                v = self.factors.weight[x]
                rows = []
                for f in range(self.NF):
                    sel = v[fl == f]
                    rows.append(sel.mean(0) if len(sel) else torch.zeros(self.K, dtype=v.dtype))
                deep_in.append(torch.cat(rows))
            ys.append(y)
        y = torch.stack(ys)
        if self.deep is not None:
            y = y + self._deep(torch.stack(deep_in))
        return y

    def ids_only(self):
        """No side features: a known user's pair is the two features [u, U + i] (fields 0 and 1)."""
        return int(self.params["ids"]) != 0 and int(self.user_csr[0][-1]) == 0 and int(self.item_csr[0][-1]) == 0

    def forward_ids(self, u, i):
        """y (n) for pairs of known users u (n) and items i (n) when ids_only(): forward_pairs's
        numbers, batched (what train.py trains and scores with)."""
        a, b = u, self.U + i
        w = self.weight.weight[:, 0]
        y = self.bias[0] + w[a] + w[b]
        if self.factors is None:
            return y
        va, vb = self.factors.weight[a], self.factors.weight[b]
        if self.family == "ffm":  # <v_{u, field of i}, v_{i, field of u}>
            K = self.K
            return y + (va.reshape(-1, self.NF, K)[:, 1] * vb.reshape(-1, self.NF, K)[:, 0]).sum(-1)
        y = y + (va * vb).sum(-1)  # fm's 1/2 (|v_u + v_i|^2 - |v_u|^2 - |v_i|^2)
        if self.deep is not None:  # each field's mean factor: the user's, the item's
            y = y + self._deep(torch.cat([va, vb] + [torch.zeros_like(va)] * (self.NF - 2), -1))
        return y

    # ---- batched, with side features: the pair as its user part and its item part ----

    def _part_table(self, side):
        """(n, P) feature rows of each entity's part (its id when ids=1, then its side features),
        padded with 0, and the (n, P) mask of the real ones; cached."""
        cache = self.__dict__.setdefault("_part_cache", {})
        if side not in cache:
            n, base = (self.V, self.U) if side else (self.U, 0)
            st, f = self.item_csr if side else self.user_csr
            st, f, ids = st.tolist(), f.tolist(), int(self.params["ids"]) != 0
            rows = [([base + e] if ids else []) + f[st[e]:st[e + 1]] for e in range(n)]
            P = max(1, max((len(r) for r in rows), default=1))
            idx = torch.zeros(n, P, dtype=torch.long)
            mask = torch.zeros(n, P)
            for e, r in enumerate(rows):
                idx[e, :len(r)] = torch.tensor(r, dtype=torch.long)
                mask[e, :len(r)] = 1
            cache[side] = (idx, mask)
        return cache[side]

    def _parts(self, side, ents, ctx=None):
        """What the pair's y needs of the parts of entities ents (n): W (the weights' sum), self
        (the pairs within the part: fm's 1/2 (|s|^2 - sum |v|^2), ffm's field-aware pairs), C (what
        meets the other part: fm's factor sum s; ffm's per (own field, other field) sums of
        v_{a, other field}, laid out so that C_u . C_i is the cross pairs; deepfm: s), M (deepfm:
        each field's mean factor)."""
        idx, mask = self._part_table(side)
        idx, mask = idx[ents], mask[ents]
        if ctx is not None:  # the query part: the user's, then the context's rows
            idx, mask = torch.cat([idx, ctx[0]], 1), torch.cat([mask, ctx[1].to(mask.dtype)], 1)
        w = self.weight.weight[:, 0]
        out = {"W": (w[idx] * mask).sum(1)}
        if self.factors is None:
            return out
        n, P = idx.shape
        v = self.factors.weight[idx] * mask[..., None]
        if self.family == "ffm":
            NF, K = self.NF, self.K
            fl = self.field.long()[idx]
            vv = v.reshape(n, P, NF, K)
            # within: sum_{a<b} <v_{a, f(b)}, v_{b, f(a)}>
            a_at_fb = vv.gather(2, fl[:, None, :, None].expand(n, P, P, K))  # [n, a, b] = v_{a, f(b)}
            pair = (a_at_fb * a_at_fb.transpose(1, 2)).sum(-1)  # <v_{a,f(b)}, v_{b,f(a)}>
            upper = torch.triu(torch.ones(P, P), 1)
            out["self"] = (pair * upper).sum((1, 2))
            onehot = torch.nn.functional.one_hot(fl, NF).to(v.dtype) * mask[..., None]
            Cm = torch.einsum("npf,npgk->nfgk", onehot, vv)  # [own field f, other field g] = sum_{a in f} v_{a, g}
            out["C"] = (Cm if side == 0 else Cm.transpose(1, 2)).reshape(n, -1)
            return out
        S = v.sum(1)
        out["self"] = 0.5 * ((S * S).sum(-1) - (v * v).sum((1, 2)))
        out["C"] = S
        if self.deep is not None:
            fl = self.field.long()[idx]
            onehot = torch.nn.functional.one_hot(fl, self.NF).to(v.dtype) * mask[..., None]
            sums, cnt = torch.einsum("npf,npk->nfk", onehot, v), onehot.sum(1)
            out["M"] = sums / torch.where(cnt > 1, cnt, torch.ones_like(cnt))[..., None]
        return out

    def _deep(self, h, first=0):
        """The deep part's output from layer `first` on (ReLU between layers)."""
        for l in range(first, len(self.deep)):
            h = self.deep[l](h)
            if l < len(self.deep) - 1:
                h = F.relu(h)
        return h[..., 0]

    def forward_batched(self, u, i, ctx=None):
        """forward_pairs's y for known users u (n) and items i (n), batched (ctx: each pair's context)."""
        pu, pi = self._parts(0, u, ctx), self._parts(1, i)
        y = self.bias[0] + pu["W"] + pi["W"]
        if self.factors is None:
            return y
        y = y + pu["self"] + pi["self"] + (pu["C"] * pi["C"]).sum(-1)
        if self.deep is not None:  # user and item fields differ: each field's mean is one part's
            y = y + self._deep((pu["M"] + pi["M"]).reshape(len(u), -1))
        return y

    def score_batched(self, users, ctx=None):
        pi = self._parts(1, torch.arange(self.V))
        out = []
        for b0 in range(0, len(users), 64):
            u = torch.as_tensor(users[b0:b0 + 64], dtype=torch.long)
            pu = self._parts(0, u, None if ctx is None else (ctx[0][b0:b0 + 64], ctx[1][b0:b0 + 64]))
            y = self.bias[0] + pu["W"][:, None] + pi["W"][None]
            if self.factors is not None:
                y = y + pu["self"][:, None] + pi["self"][None] + pu["C"] @ pi["C"].T
                if self.deep is not None:  # the first layer on each part, then the pairs
                    lin0 = self.deep[0]
                    au = pu["M"].reshape(len(u), -1) @ lin0.weight.T + lin0.bias
                    ai = pi["M"].reshape(self.V, -1) @ lin0.weight.T
                    h = au[:, None] + ai[None]
                    if len(self.deep) > 1:
                        h = self._deep(F.relu(h), 1)
                    else:
                        h = h[..., 0]
                    y = y + h
            out.append(y)
        return torch.cat(out)

    def rows_used(self, users, items, ctx=None):
        """The feature rows of the pairs (users[k], items[k]): what a step's lazy Adam and reg touch."""
        iu, mu = self._part_table(0)
        ii, mi = self._part_table(1)
        extra = [ctx[0][ctx[1] > 0]] if ctx is not None else []
        return torch.unique(torch.cat([iu[users][mu[users] > 0], ii[items][mi[items] > 0]] + extra))

    def score(self, histories, users, ctx=None):
        if ctx is not None:  # every query carries its context: the batched path
            return self.score_batched(list(users), ctx)
        if not self.ids_only() and all(u >= 0 for u in users):
            return self.score_batched(list(users))
        if self.ids_only():
            items = torch.arange(self.V)
            return torch.stack([self.forward_ids(torch.full((self.V,), u, dtype=torch.long), items) if u >= 0 else
                                self.forward_pairs([(u, i) for i in range(self.V)]) for u in users])
        return torch.stack([self.forward_pairs([(u, i) for i in range(self.V)]) for u in users])

    def _pairs_of(self, users, items, y, negs):
        """Each event's pair (target y, or 1 without labels) then its negatives' (target 0), flat:
        u, i, t (n_pairs)."""
        mse = self.params["loss"] == "mse"
        nn_ = negs.shape[1] if negs is not None and negs.numel() and not (mse and y is not None) else 0
        t1 = y.to(self.bias.dtype) if y is not None else torch.ones(len(users), dtype=self.bias.dtype)
        u = torch.cat([users[:, None], users[:, None].expand(-1, nn_)], 1).reshape(-1)
        i = torch.cat([items[:, None], negs[:, :nn_]], 1).reshape(-1) if nn_ else items
        t = torch.cat([t1[:, None], torch.zeros(len(users), nn_, dtype=t1.dtype)], 1).reshape(-1)
        return u, i, t

    def loss(self, users, items, y=None, negs=None, ctx=None):
        """wr__fm_loss_grad: every event (target y, or 1 without labels) and its negatives (n_neg
        per event without labels, label_neg with them; target 0): bce on the logits or mse, summed
        and divided by the events; plus reg (w_j^2 + |v_j|^2) over the feature rows the batch used.
        Batched for ids alone and (self.batched, what train.py sets) with side features; else pair
        by pair through forward_pairs, the reference the fixtures are made with."""
        u, i, t = self._pairs_of(users, items, y, negs)
        if ctx is not None:  # each event's context, for its pair and its negatives' (batched)
            per = len(u) // len(users)
            ctx = tuple(c.repeat_interleave(per, 0) for c in ctx)
            out, rows = self.forward_batched(u, i, ctx), self.rows_used(u, i, ctx)
        elif self.ids_only():
            out, rows = self.forward_ids(u, i), torch.unique(torch.cat([u, self.U + i]))
        elif getattr(self, "batched", False):
            out, rows = self.forward_batched(u, i), self.rows_used(u, i)
        else:
            pairs = list(zip(u.tolist(), i.tolist()))
            out, rows = self.forward_pairs(pairs), sorted({j for a, b in pairs for j in self.pair_features(a, b)})
        t = t.to(out.dtype)
        total = ((out - t) ** 2).sum() if self.params["loss"] == "mse" else F.binary_cross_entropy_with_logits(out, t, reduction="sum")
        loss = total / len(users)
        reg = float(self.params["reg"])
        if reg > 0:
            loss = loss + reg * (self.weight.weight[rows] ** 2).sum()
            if self.factors is not None:
                loss = loss + reg * (self.factors.weight[rows] ** 2).sum()
        return loss

    def to_ours(self):
        pre = self.family
        out = {}
        for w, (st, f) in (("user", self.user_csr), ("item", self.item_csr)):
            out[f"{pre}.{w}_feature_start"], out[f"{pre}.{w}_features"] = st.long(), f.int()
        if self.family in ("ffm", "deepfm"):
            out[f"{pre}.feature_field"] = self.field.int()
        out[f"{pre}.bias"] = self.bias.detach().float()
        out[f"{pre}.weight"] = self.weight.weight.detach().float()
        if self.factors is not None:
            out[f"{pre}.factors"] = self.factors.weight.detach().float()
        for l, lin in enumerate(self.deep or []):
            out[f"deepfm.deep.layer{l}.weight"] = lin.weight.detach().float()
            out[f"deepfm.deep.layer{l}.bias"] = lin.bias.detach().float()
        return out

    def load_ours(self, tensors):
        pre, sd = self.family, {}
        for k, v in tensors.items():
            if k == f"{pre}.bias":
                sd["bias"] = v
            elif k == f"{pre}.weight":
                sd["weight.weight"] = v
            elif k == f"{pre}.factors":
                sd["factors.weight"] = v
            elif k.startswith("deepfm.deep.layer"):
                sd["deep." + k[len("deepfm.deep.layer"):]] = v
        self.load_state_dict(sd, strict=True)
