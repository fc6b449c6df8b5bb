"""GMF, MLP and NeuMF twins of src/models/ncf.c (He et al. 2017).

  gmf:   phi = p_u * q_i;  mlp: phi = relu(W_L ... relu(W_1 [p'_u ; q'_i] + b_1) ... + b_L)
  neumf: phi = [gmf's ; mlp's];  y = h . phi + c (a logit)

The MLP tower halves from 2 x dim x 2^(layers-1) inputs to dim outputs. A user the model does
not know gets the training counts (our engine's answer), so score() needs known users.
Our names -> state_dict: "ncf.gmf.user_emb"/"ncf.gmf.item_emb" -> gmf_user.weight/gmf_item.weight,
"ncf.mlp.user_emb"/"ncf.mlp.item_emb" -> mlp_user.weight/mlp_item.weight, "ncf.mlp.layerK.weight/bias"
-> tower.K.weight/bias, "ncf.out.weight" (1, P) / "ncf.out.bias" (1) -> out.weight/out.bias."""
import math

import torch
import torch.nn.functional as F
from torch import nn

COMMON = {"dim": 16, "lr": 0.001, "reg": 0, "batch": 256, "epochs": 100, "patience": 5, "n_neg": 4, "init": 0.01}
DEFAULTS = {"gmf": dict(COMMON), "mlp": dict(COMMON, layers=3), "neumf": dict(COMMON, layers=3)}
PREFIX = [("ncf.gmf.user_emb", "gmf_user.weight"), ("ncf.gmf.item_emb", "gmf_item.weight"), ("ncf.mlp.user_emb", "mlp_user.weight"),
          ("ncf.mlp.item_emb", "mlp_item.weight"), ("ncf.mlp.layer", "tower."), ("ncf.out.", "out.")]


class NCF(nn.Module):
    def __init__(self, n_users, n_items, params, family="neumf"):
        super().__init__()
        self.family = family
        p = self.params = dict(DEFAULTS[family], **(params or {}))
        D = int(p["dim"])
        self.gmf = family in ("gmf", "neumf")
        self.mlp = family in ("mlp", "neumf")
        L = int(p["layers"]) if self.mlp else 0
        E = D << (L - 1) if L > 0 else D
        init = float(p["init"])
        if self.gmf:
            self.gmf_user, self.gmf_item = nn.Embedding(n_users, D), nn.Embedding(n_items, D)
        if self.mlp:
            self.mlp_user, self.mlp_item = nn.Embedding(n_users, E), nn.Embedding(n_items, E)
            w = [D << (L - l) for l in range(L + 1)]
            self.tower = nn.ModuleList(nn.Linear(w[l], w[l + 1]) for l in range(L))
        for m in self.modules():
            if isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=init)
            elif isinstance(m, nn.Linear):
                b = math.sqrt(6 / (m.in_features + m.out_features))
                nn.init.uniform_(m.weight, -b, b)
                nn.init.zeros_(m.bias)
        P = D * (self.gmf + self.mlp)
        self.out = nn.Linear(P, 1)
        b = math.sqrt(6 / (P + 1))
        nn.init.uniform_(self.out.weight, -b, b)
        nn.init.zeros_(self.out.bias)
        self.V = n_items

    def forward(self, u, i):
        parts = []
        if self.gmf:
            parts.append(self.gmf_user(u) * self.gmf_item(i))
        if self.mlp:
            h = torch.cat([self.mlp_user(u), self.mlp_item(i)], -1)
            for lin in self.tower:
                h = F.relu(lin(h))
            parts.append(h)
        return self.out(torch.cat(parts, -1))[..., 0]

    def score(self, histories, users):
        if any(u < 0 for u in users):
            raise ValueError(f"{self.family} scores known users only (an unknown one gets the training counts)")
        items = torch.arange(self.V)
        return torch.stack([self.forward(torch.full((self.V,), u, dtype=torch.long), items) for u in users])

    def loss(self, users, items, y=None, negs=None):
        """wr__ncf_loss_grad: bce of each event (label y, or 1) and its n_neg negatives (0), summed
        over the rows and divided by the events; plus reg over the embedding rows used."""
        if y is None:
            u = torch.cat([users[:, None], users[:, None].expand_as(negs)], 1).reshape(-1)
            i = torch.cat([items[:, None], negs], 1).reshape(-1)
            t = torch.cat([torch.ones(len(users), 1), torch.zeros_like(negs, dtype=torch.float32)], 1).reshape(-1)
        else:
            u, i, t = users, items, y
        z = self.forward(u, i)
        loss = F.binary_cross_entropy_with_logits(z, t.to(z.dtype), reduction="sum") / len(users)
        reg = float(self.params["reg"])
        if reg > 0:
            ur, ir = torch.unique(u), torch.unique(i)
            for name, rows in (("gmf_user", ur), ("mlp_user", ur), ("gmf_item", ir), ("mlp_item", ir)):
                if hasattr(self, name):
                    loss = loss + reg * (getattr(self, name).weight[rows] ** 2).sum()
        return loss

    def to_ours(self):
        out = {}
        for k, v in self.state_dict().items():
            for ours, mine in PREFIX:
                if k.startswith(mine):
                    out[ours + k[len(mine):]] = v.detach().float()
        return out

    def load_ours(self, tensors):
        sd = {}
        for k, v in tensors.items():
            for ours, mine in PREFIX:
                if k.startswith(ours):
                    sd[mine + k[len(ours):]] = v
        self.load_state_dict(sd, strict=True)
