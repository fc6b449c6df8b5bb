"""MF twin of src/models/mf.c: score(u, i) = p_u . q_i + b_i + b_u + mu. A user the model does
not know (-1) is scored with the mean of its history's item vectors as p_u and no user bias.

Our names -> state_dict: "mf.user_emb" (U, C) -> user_emb.weight, "mf.item_emb" (V, C) ->
item_emb.weight, "mf.user_bias" (U) -> user_bias, "mf.item_bias" (V) -> item_bias,
"mf.global_bias" (1) -> global_bias. Items and users are 0-based (no padding row)."""
import torch
import torch.nn.functional as F
from torch import nn

DEFAULTS = {"dim": 64, "lr": 0.001, "reg": 0.0, "batch": 1024, "epochs": 200, "patience": 10, "loss": "bpr", "n_neg": 1,
            "neg_alpha": 0, "init": 0.01}
NAMES = {"mf.user_emb": "user_emb.weight", "mf.item_emb": "item_emb.weight", "mf.user_bias": "user_bias",
         "mf.item_bias": "item_bias", "mf.global_bias": "global_bias"}


class MF(nn.Module):
    family = "mf"

    def __init__(self, n_users, n_items, params):
        super().__init__()
        self.params = dict(DEFAULTS, **(params or {}))
        C = int(self.params["dim"])
        self.user_emb, self.item_emb = nn.Embedding(n_users, C), nn.Embedding(n_items, C)
        with torch.no_grad():
            nn.init.normal_(self.user_emb.weight, std=float(self.params["init"]))
            nn.init.normal_(self.item_emb.weight, std=float(self.params["init"]))
        self.user_bias, self.item_bias = nn.Parameter(torch.zeros(n_users)), nn.Parameter(torch.zeros(n_items))
        self.global_bias = nn.Parameter(torch.zeros(1))

    def pair(self, u, i):
        return (self.user_emb(u) * self.item_emb(i)).sum(-1) + self.item_bias[i] + self.user_bias[u] + self.global_bias

    def score(self, histories, users):
        out = []
        for h, u in zip(histories, users):
            if u >= 0:
                p, off = self.user_emb.weight[u], self.user_bias[u] + self.global_bias
            else:
                p = self.item_emb.weight[torch.as_tensor(h, dtype=torch.long)].mean(0) if h else torch.zeros_like(self.item_emb.weight[0])
                off = self.global_bias
            out.append(self.item_emb.weight @ p + self.item_bias + off)
        return torch.stack(out)

    def loss(self, users, items, y=None, negs=None):
        """wr__mf_loss_grad: mean over the n events of bpr (-log sigmoid(s_ui - s_uj) per negative),
        bce (labels y, or the positive and each negative) or mse (ratings y), plus reg times the
        squared norms of the rows the batch used (user vectors; item vectors and item biases)."""
        loss_kind, reg = self.params["loss"], float(self.params["reg"])
        si = self.pair(users, items)
        n = len(users)
        if loss_kind == "mse":
            total = ((si - y) ** 2).sum()
        elif loss_kind == "bce" and y is not None:
            total = F.binary_cross_entropy_with_logits(si, y, reduction="sum")
        else:
            sj = self.pair(users[:, None].expand_as(negs), negs)
            if loss_kind == "bpr":
                total = -F.logsigmoid(si[:, None] - sj).sum()
            else:
                total = -F.logsigmoid(-sj).sum() - F.logsigmoid(si).sum()
        loss = total / n
        if reg > 0:
            ur = torch.unique(users)
            ir = torch.unique(torch.cat([items, negs.reshape(-1)]) if negs is not None and loss_kind != "mse" and not (loss_kind == "bce" and y is not None) else items)
            loss = loss + reg * ((self.user_emb.weight[ur] ** 2).sum() + (self.item_emb.weight[ir] ** 2).sum() + (self.item_bias[ir] ** 2).sum())
        return loss

    def to_ours(self):
        inv = {v: k for k, v in NAMES.items()}
        return {inv[k]: v.detach().float() for k, v in self.state_dict().items()}

    def load_ours(self, tensors):
        self.load_state_dict({NAMES[k]: v for k, v in tensors.items() if k in NAMES}, strict=True)
