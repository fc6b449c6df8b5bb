"""PyTorch twins of lr, fm, ffm and deepfm trained and measured on exactly our split (from
`wasmrec split`), with the same features, losses and settings, to compare test AUC and logloss
with ours (bench/collab/quality.sh). Adam (our lr defaults), batch 1024, L2 `reg` 1e-5 on the
rows a batch uses, early stopping on validation AUC (patience 5, at most 100 epochs), one thread.

  /usr/bin/python3 bench/collab/torch_quality.py split.csv u.user u.item"""
import json
import sys

import torch
import torch.nn as nn

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from torch_ref import FFM, FM, DeepFM, quantile_buckets  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)


def load(split_csv, uuser, uitem):
    rows = [line.rstrip('\n').split(',') for line in open(split_csv)][1:]
    users, items = {}, {}
    ev = []
    for u, i, r, label, t, part in rows:
        u, i = u.strip('"'), i.strip('"')
        ev.append((users.setdefault(u, len(users)), items.setdefault(i, len(items)), float(label), part))
    feats, field_of = {}, {}
    U, V = len(users), len(items)

    def fid(key, field):
        if key not in feats:
            feats[key] = U + V + len(feats)
            field_of[feats[key]] = field
        return feats[key]

    ufeat = [[] for _ in range(U)]
    urows = [line.rstrip('\n').split('|') for line in open(uuser) if line.strip()]
    age_b, zip_b = quantile_buckets([float(x[1]) for x in urows]), quantile_buckets([float(x[4]) for x in urows])
    for uid, age, gender, occ, zipc in urows:
        if uid in users:
            ufeat[users[uid]] = [fid('a%d' % age_b(float(age)), 2), fid('g' + gender, 3), fid('o' + occ, 4), fid('z%d' % zip_b(float(zipc)), 5)]
    ifeat = [[] for _ in range(V)]
    irows = [line.rstrip('\n').split('|') for line in open(uitem) if line.strip()]
    year_b = quantile_buckets([float(x[2][-4:]) for x in irows])
    for x in irows:
        if x[0] in items:
            ifeat[items[x[0]]] = [fid('genre%d' % g, 6) for g in range(19) if x[5 + g] == '1'] + [fid('y%d' % year_b(float(x[2][-4:])), 7)]
    F = U + V + len(feats)
    width = 2 + max(map(len, ufeat)) + max(map(len, ifeat))
    NF = 8

    def tensors(part):
        sel = [e for e in ev if e[3] == part]
        X, FL = [], []
        for u, i, y, _ in sel:
            ids = [u, U + i] + ufeat[u] + ifeat[i]
            fl = [0, 1] + [field_of[f] for f in ufeat[u] + ifeat[i]]
            X.append(ids + [F] * (width - len(ids)))
            FL.append(fl + [NF] * (width - len(fl)))
        return torch.tensor(X), torch.tensor(FL), torch.tensor([e[2] for e in sel]), torch.tensor([e[0] for e in sel])
    return {p: tensors(p) for p in ('train', 'valid', 'test')}, F, NF


class LR(FM):
    def forward(s, x, fields=None):
        return s.bias + s.w(x).sum((1, 2))


def auc(score, y):
    order = torch.argsort(score)
    s, yy = score[order], y[order]
    ranks = torch.empty_like(s, dtype=torch.float64)
    i, n = 0, len(s)
    while i < n:  # ties share their mean rank
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    npos = yy.sum().item()
    return ((ranks[yy > 0].sum().item() - npos * (npos + 1) / 2) / (npos * (n - npos)))


def train(model, data, lr, reg=1e-5, batch=1024, patience=5, epochs=100):
    X, FL, Y, _ = data['train']
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    bce = nn.functional.binary_cross_entropy_with_logits
    best, best_state, bad = -1, None, 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(Y))
        for a in range(0, len(Y), batch):
            idx = order[a:a + batch]
            x, f, y = X[idx], FL[idx], Y[idx]
            opt.zero_grad()
            loss = bce(model(x, f), y)
            rows = torch.unique(x)  # L2 on the rows the batch uses, as ours
            l2 = (model.w.weight[rows] ** 2).sum() + (model.v.weight[rows] ** 2).sum() if hasattr(model, 'v') else (model.w.weight[rows] ** 2).sum()
            (loss + reg * l2).backward()
            opt.step()
        with torch.no_grad():
            v = auc(model(data['valid'][0], data['valid'][1]), data['valid'][2])
        if v > best:
            best, bad, best_state = v, 0, {k: t.clone() for k, t in model.state_dict().items()}
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(best_state)
    with torch.no_grad():
        s = model(data['test'][0], data['test'][1])
        y = data['test'][2]
        ll = bce(s, y).item()
    return {'AUC': round(auc(s, y), 4), 'logloss': round(ll, 4), 'best_epoch': epoch + 1 - bad, 'valid_AUC': round(best, 4)}


def main():
    data, F, NF = load(*sys.argv[1:4])
    out = {'lr': train(LR(F, 1), data, 0.01), 'fm': train(FM(F, 16), data, 0.001),
           'ffm': train(FFM(F, NF + 1, 4), data, 0.001), 'deepfm': train(DeepFM(F, NF, 8, 64, 2), data, 0.001)}
    print(json.dumps({'torch': torch.__version__, 'test': out}))


if __name__ == '__main__':
    main()
