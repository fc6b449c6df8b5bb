#!/usr/bin/env python3
"""Reference fixtures from the PyTorch twins (llm.c's habit): for a tiny instance of each model,
random weights, a few histories or users, the scores the twin gives them, and for one training
batch its loss and the gradient of every weight, for tests/c/test_torch_fixtures.c to reproduce.

Per fixture NAME, in tests/fixtures/torch/:
  NAME.safetensors       the weights, a model file in our format (wr_model_load reads it)
  NAME.grad.safetensors  the same file with each weight replaced by d loss / d weight
  NAME.case.safetensors  the queries (query_user, query_len, query_items), the expected scores
                         (scores, Q x V), the batch (per family: inp/tgt, users/items/negs, ...;
                         the sampled losses, sasrec_bce and gru4rec*_sampled: "drawn", the
                         negatives our sampler draws with our generator seeded by "rng_seed",
                         reproduced here by wrdata.Sampler/Rng),
                         and in __metadata__ the training data ("train", "format": the events
                         the C test trains on to get the training state, in the same item and user
                         order; "users_side"/"items_side": the side tables of the *_features
                         fixtures, whose feature ids come from our CLI, --cli), the settings
                         ("sets": key=value lines), the family, the loss ("loss", %.17g) and the
                         tolerances
and fixtures.h, the three files of each as C arrays (the wasm test runner has no file system).
The references are computed in float64 from the float32 weights that the file holds.

usage: /usr/bin/python3 models/torch/make_fixtures.py [--out tests/fixtures/torch]"""
import argparse
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import fm as fm_mod  # noqa: E402
import gru4rec  # noqa: E402
import mf as mf_mod  # noqa: E402
import ncf  # noqa: E402
import safetensors  # noqa: E402
import sasrec  # noqa: E402
import twotower  # noqa: E402
import wrdata  # noqa: E402
import wrfile  # noqa: E402

RTOL, ATOL = 1e-4, 1e-6  # |ours - ref| <= RTOL |ref| + ATOL max|ref| (per tensor), what the C test checks


def seq_text(seqs):
    """{user: [item ids]} -> "user item" lines (seq format: line order is time order)."""
    return "".join(f"{u} {i}\n" for u, items in seqs.items() for i in items)


def vocab(seqs):
    """Users and items by first appearance, as our loader numbers them."""
    users, items = [], []
    for u, its in seqs.items():
        users.append(u)
        for i in its:
            if i not in items:
                items.append(i)
    return users, items


def randomise(module, gen, scale=0.5):
    """Weights larger than our initialisation, so every path carries gradient; layer norm scales
    around 1. Rounded to float32 (what the file holds)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            if ".ln" in name or name.startswith("ln"):
                p.copy_(1 + 0.2 * r if name.endswith("weight") else 0.1 * r)
            else:
                p.copy_(scale * r)
    return module


def grads_as_ours(module):
    """The module's gradients (zeros where a weight got none) under our tensor names."""
    g = copy.deepcopy(module)
    with torch.no_grad():
        for (n, p), (_, q) in zip(module.named_parameters(), g.named_parameters()):
            q.copy_(p.grad if p.grad is not None else torch.zeros_like(p))
    return g.to_ours()


def counts_of(seqs, items):
    c = torch.zeros(len(items))
    for its in seqs.values():
        for i in its:
            c[items.index(i)] += 1
    return c


def sets_of(params):
    return "".join(f"{k}={v}\n" for k, v in params.items())


def write_fixture(out, name, family, module, items, users, seqs, sets, queries, batch, loss, counts, fmt="seq", side=None,
                  extra=None):
    """queries: list of (user, history); batch: {tensor name: tensor} for the case file; side:
    {"users_side": csv text, "items_side": csv text} (the feature models' side tables); extra:
    more metadata (the sampled losses' "rng_seed" and "sample_alpha")."""
    module = module.double()
    with torch.no_grad():
        scores = module.score([list(h) for _, h in queries], [u for u, _ in queries])
    for q, (u, h) in enumerate(queries):  # our engine's answer to nobody with nothing: the counts
        if u < 0 and not h:
            scores[q] = counts.double()
    params = dict(module.params)
    keys = getattr(module, "feature_keys", None)
    mfile = wrfile.ModelFile(family, params, items, module.to_ours(), users=users, features=keys)
    mfile.counts = counts
    grad = wrfile.ModelFile(family, params, items, {**module.to_ours(), **grads_as_ours(module)}, users=users, features=keys)
    grad.counts = counts
    lens = [len(h) for _, h in queries]
    flat = [i for _, h in queries for i in h] or [-1]
    case = {"query_user": torch.tensor([u for u, _ in queries], dtype=torch.int32),
            "query_len": torch.tensor(lens, dtype=torch.int32),
            "query_items": torch.tensor(flat, dtype=torch.int32),
            "scores": scores.float()}
    case.update(batch)
    meta = {"family": family, "train": seq_text(seqs), "format": fmt, "sets": sets_of(sets), "loss": f"{loss:.17g}",
            "rtol": f"{RTOL:g}", "atol": f"{ATOL:g}", "made_by": "models/torch/make_fixtures.py", **(side or {}), **(extra or {})}
    files = {f"{name}.safetensors": wrfile.dumps(mfile), f"{name}.grad.safetensors": wrfile.dumps(grad),
             f"{name}.case.safetensors": safetensors.dumps(case, meta)}
    for fn, data in files.items():
        with open(os.path.join(out, fn), "wb") as f:
            f.write(data)
    print(f"{name}: {family}, {len(items)} items, {len(queries)} queries, loss {loss:.6f}, "
          f"{sum(len(d) for d in files.values())} bytes", file=sys.stderr)
    return name


def backward(module, loss):
    module.zero_grad()
    loss.backward()
    return loss.item()


# ---- the fixtures ----------------------------------------------------------------------------

SEQS = {"u1": ["a", "b", "c", "d", "b"], "u2": ["e", "f", "a", "g"], "u3": ["h", "i", "c", "a", "j", "e"], "u4": ["b", "f", "j"]}
HISTS = [[], [3], [0, 1, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 2], [4, 4, 9]]


def draws(seqs, items, alpha, seed, n):
    """n items (1-based) drawn as our engine draws negatives: wr_sampler over the training events
    (popularity^alpha) with our xoshiro256** seeded by seed (wrdata.Sampler, wrdata.Rng: the same
    bits as src/models/batch.c and src/core/rng.c). The C test seeds the model's generator with
    seed, so it draws these same items, and checks them against its own sampler."""
    train = [[items.index(i) for i in its] for its in seqs.values()]
    sampler, rng = wrdata.Sampler(train, len(items), alpha), wrdata.Rng(seed)
    return torch.tensor([sampler.draw(rng) for _ in range(n)])


SAMPLED_SEED = 4242


def fx_sasrec(out, gen, family="sasrec", loss_name="ce"):
    users, items = vocab(SEQS)
    V = len(items)
    sets = {"dim": 8, "blocks": 2, "heads": 2, "max_len": 5, "batch": 3, "repeat_bias": 1}
    if family == "bert4rec":
        sets["unscaled_embeddings"] = 1
    if loss_name == "bce":
        sets.update(loss="bce", negatives=2)  # sample_alpha -1: BCE's own, uniform
    m = randomise(sasrec.SASRec(V, sets, family), gen).double()
    M = V + 1  # the mask token
    if family == "sasrec":  # left-padded windows, targets one step ahead (1-based, 0 = none)
        inp = [[0, 0, 3, 5, 1], [1, 2, 3, 4, 2], [0, 0, 0, 7, 7]]
        tgt = [[0, 0, 5, 1, 2], [2, 3, 4, 2, 6], [0, 0, 0, 7, 8]]
    else:  # the mask token at some places, targets only there
        inp = [[0, 0, 3, M, 1], [1, M, 3, 4, M], [0, 0, 0, 7, M]]
        tgt = [[0, 0, 0, 5, 0], [0, 2, 0, 0, 6], [0, 0, 0, 0, 8]]
    inp, tgt = torch.tensor(inp), torch.tensor(tgt)
    batch, extra, negs = {"batch_inp": inp.int(), "batch_tgt": tgt.int()}, None, None
    if loss_name == "bce":  # K negatives per target position, positions in row-major order (our packing)
        K, P = int(m.params["negatives"]), int((tgt > 0).sum())
        alpha = 0.0  # sample_alpha -1 means uniform for bce
        negs = draws(SEQS, items, alpha, SAMPLED_SEED, P * K).reshape(P, K)
        batch["drawn"] = negs.reshape(-1).int()
        extra = {"rng_seed": str(SAMPLED_SEED), "sample_alpha": f"{alpha:g}"}
    loss = backward(m, m.loss(inp, tgt, False, negs))
    queries = [(-1, h) for h in HISTS]
    name = family if loss_name == "ce" else f"{family}_{loss_name}"
    return write_fixture(out, name, family, m, items, [], SEQS, sets, queries, batch, loss, counts_of(SEQS, items), extra=extra)


def fx_gru4rec(out, gen, loss_name="ce", n_sample=0):
    """n_sample 0: the full softmax; n_sample < V: the sampled softmax (the batch's targets and
    n_sample shared negatives drawn from popularity^0.75, our default, with our generator)."""
    users, items = vocab(SEQS)
    V = len(items)
    sets = {"dim": 6, "batch": 3, "n_sample": n_sample, "dropout_embed": 0, "dropout_hidden": 0, "repeat_bias": 1, "loss": loss_name}
    m = randomise(gru4rec.GRU4Rec(V, sets), gen).double()
    inp, tgt = torch.tensor([1, 4, 2]), torch.tensor([2, 0, 5])  # the middle lane is idle
    h = 0.5 * torch.randn(3, 6, generator=gen, dtype=torch.float64)
    h = h.float().double()
    hists = [[4, 0], [], [2, 1]]  # each lane's sequence so far, its input (0-based) last
    negs, extra = None, None
    if n_sample:
        alpha = float(m.params["sample_alpha"])
        negs = draws(SEQS, items, alpha, SAMPLED_SEED, n_sample)
        extra = {"rng_seed": str(SAMPLED_SEED), "sample_alpha": f"{alpha:g}"}
    l, _ = m.step_loss(inp, tgt, h, hists, negatives=negs)
    loss = backward(m, l)
    starts = [0]
    for x in hists:
        starts.append(starts[-1] + len(x))
    batch = {"inp": inp.int(), "tgt": tgt.int(), "h": h.float(), "hist_start": torch.tensor(starts, dtype=torch.int32),
             "hist_items": torch.tensor([i for x in hists for i in x], dtype=torch.int32)}
    if negs is not None:
        batch["drawn"] = negs.int()
    queries = [(-1, q) for q in HISTS]
    name = "gru4rec" + ("" if loss_name == "ce" else "_bprmax") + ("_sampled" if n_sample else "")
    return write_fixture(out, name, "gru4rec", m, items, [], SEQS, sets, queries, batch, loss, counts_of(SEQS, items), extra=extra)


def fx_mf(out, gen):
    users, items = vocab(SEQS)
    sets = {"dim": 4, "loss": "bpr", "n_neg": 2, "reg": 0.01, "batch": 4}
    m = randomise(mf_mod.MF(len(users), len(items), sets), gen).double()
    bu, bi = torch.tensor([0, 1, 2, 0]), torch.tensor([1, 4, 7, 3])
    negs = torch.tensor([[5, 6], [0, 9], [1, 1], [8, 2]])
    loss = backward(m, m.loss(bu, bi, None, negs))
    queries = [(0, []), (1, []), (3, []), (-1, [1, 2, 2]), (-1, [])]
    batch = {"users": bu.int(), "items": bi.int(), "negs": negs.reshape(-1).int()}
    return write_fixture(out, "mf", "mf", m, items, users, SEQS, sets, queries, batch, loss, counts_of(SEQS, items))


def fx_twotower(out, gen, pool="mean_last", name="twotower"):
    users, items = vocab(SEQS)
    sets = {"dim": 4, "hidden": 6, "layers": 1, "history": 3, "pool": pool, "n_uniform": 2, "reg": 0.01,
            "learn_temperature": 1, "temperature": 0.5, "batch": 4}
    m = randomise(twotower.TwoTower(len(users), len(items), sets), gen)
    with torch.no_grad():
        m.log_temperature.fill_(0.1)
    m = m.double()
    # events: (user, position in the user's sequence); the history is what came before
    ev = [(0, 3), (1, 2), (2, 5), (3, 0)]
    seq = {u: [items.index(i) for i in SEQS[uid]] for u, uid in enumerate(users)}
    bu = [u for u, _ in ev]
    bi = [seq[u][p] for u, p in ev]
    hists = [seq[u][:p] for u, p in ev]
    negs = [6, 1]  # shared uniform negatives; item 1 is also a column of the batch (b)
    logp = torch.log(counts_of(SEQS, items).double().clamp(min=0.5) / counts_of(SEQS, items).sum())
    loss = backward(m, m.loss(bu, bi, hists, negs, logp))
    queries = [(0, [1, 2]), (-1, [3, 4, 5, 0]), (2, []), (-1, [7])]
    batch = {"users": torch.tensor(bu, dtype=torch.int32), "items": torch.tensor(bi, dtype=torch.int32),
             "pos": torch.tensor([p for _, p in ev], dtype=torch.int32), "negs": torch.tensor(negs, dtype=torch.int32)}
    return write_fixture(out, name, "twotower", m, items, users, SEQS, sets, queries, batch, loss, counts_of(SEQS, items))


def fx_fm(out, gen, family):
    users, items = vocab(SEQS)
    U, V = len(users), len(items)
    sets = {"n_neg": 2, "reg": 0.001, "batch": 4}
    if family != "lr":
        sets["dim"] = 4
    if family == "deepfm":
        sets.update(hidden=5, layers=2)
    m = randomise(fm_mod.FM(family, U, V, sets, U + V), gen).double()
    bu, bi = torch.tensor([0, 1, 2, 3]), torch.tensor([1, 4, 7, 9])
    negs = torch.tensor([[5, 6], [0, 9], [1, 1], [8, 2]])
    loss = backward(m, m.loss(bu, bi, None, negs))
    queries = [(0, []), (2, []), (3, [])]
    batch = {"users": bu.int(), "items": bi.int(), "negs": negs.reshape(-1).int()}
    return write_fixture(out, family, family, m, items, users, SEQS, sets, queries, batch, loss, counts_of(SEQS, items))


def fx_ncf(out, gen, family):
    users, items = vocab(SEQS)
    sets = {"dim": 4, "n_neg": 2, "reg": 0.01, "batch": 4}
    if family != "gmf":
        sets["layers"] = 2
    m = randomise(ncf.NCF(len(users), len(items), sets, family), gen).double()
    bu, bi = torch.tensor([0, 1, 2, 3]), torch.tensor([1, 4, 7, 9])
    negs = torch.tensor([[5, 6], [0, 9], [1, 1], [8, 2]])
    loss = backward(m, m.loss(bu, bi, None, negs))
    queries = [(0, []), (1, []), (3, [])]
    batch = {"users": bu.int(), "items": bi.int(), "negs": negs.reshape(-1).int()}
    return write_fixture(out, family, family, m, items, users, SEQS, sets, queries, batch, loss, counts_of(SEQS, items))


USERS_SIDE = "user,device,region\nu1,mobile,eu\nu2,desktop,eu\nu3,mobile,us\nu4,tablet,us\n"
ITEMS_SIDE = "item,category,tags\na,tv,x\nb,tv,y\nc,audio,x\nd,audio,y\ne,tv,x\nf,cam,y\ng,cam,x\nh,audio,x\ni,tv,y\nj,cam,y\n"


def ours_with_features(family, sets, cli, work):
    """A model file of ours trained for one epoch on SEQS with the side tables: where the feature
    keys, their rows and (ffm, deepfm) fields come from, so they are our loader's by construction."""
    import subprocess
    paths = {k: os.path.join(work, k) for k in ("train.txt", "users.csv", "items.csv", "m.safetensors")}
    for k, text in (("train.txt", seq_text(SEQS)), ("users.csv", USERS_SIDE), ("items.csv", ITEMS_SIDE)):
        with open(paths[k], "w") as f:
            f.write(text)
    cmd = [cli, "train", "--data", paths["train.txt"], "--format", "seq", "--users", paths["users.csv"], "--items", paths["items.csv"],
           "--model", family, "--set", "epochs=1", "--out", paths["m.safetensors"]]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    subprocess.run(cmd, check=True, capture_output=True)
    return wrfile.read(paths["m.safetensors"])


def fx_features(out, gen, family, cli, work):
    users, items = vocab(SEQS)
    sets = {"batch": 4, "reg": 0.001 if family != "twotower" else 0.01}
    if family in ("fm", "ffm", "deepfm"):
        sets.update(dim=3, n_neg=2)
    if family == "deepfm":
        sets.update(hidden=5, layers=1)
    if family == "twotower":
        sets.update(dim=4, hidden=5, layers=1, history=3, n_uniform=2, learn_temperature=1, temperature=0.5, cold_dropout=0, pool="mean_last")
    ours = ours_with_features(family, sets, cli, work)
    assert ours.items == items and ours.users == users, "our loader numbered the fixture's ids otherwise"
    params = {k: ours.params[k] for k in sets}
    ours.params = params
    m = fm_mod.FM.from_file(ours, family) if family != "twotower" else twotower.TwoTower.from_file(ours)
    m.params = dict(m.params, **params) if family == "twotower" else m.params
    randomise(m, gen)
    if family == "twotower":
        with torch.no_grad():
            m.log_temperature.fill_(-0.1)
    m = m.double()
    side = {"users_side": USERS_SIDE, "items_side": ITEMS_SIDE}
    if family == "twotower":
        seq = {u: [items.index(i) for i in SEQS[uid]] for u, uid in enumerate(users)}
        ev = [(0, 3), (1, 2), (2, 5), (3, 0)]
        bu, bi, hists, negs = [u for u, _ in ev], [seq[u][p] for u, p in ev], [seq[u][:p] for u, p in ev], [6, 1]
        c = counts_of(SEQS, items).double()
        loss = backward(m, m.loss(bu, bi, hists, negs, torch.log(c.clamp(min=0.5) / c.sum())))
        batch = {"users": torch.tensor(bu, dtype=torch.int32), "items": torch.tensor(bi, dtype=torch.int32),
                 "pos": torch.tensor([p for _, p in ev], dtype=torch.int32), "negs": torch.tensor(negs, dtype=torch.int32)}
        queries = [(0, [1, 2]), (-1, [3, 4, 5, 0]), (2, []), (3, [7])]
    else:
        bu, bi = torch.tensor([0, 1, 2, 3]), torch.tensor([1, 4, 7, 9])
        negs = torch.tensor([[5, 6], [0, 9], [1, 1], [8, 2]])
        loss = backward(m, m.loss(bu, bi, None, negs))
        batch = {"users": bu.int(), "items": bi.int(), "negs": negs.reshape(-1).int()}
        queries = [(0, []), (1, []), (3, [])]
    return write_fixture(out, f"{family}_features", family, m, items, users, SEQS, sets, queries, batch, loss,
                         counts_of(SEQS, items), side=side)


def c_header(out, names):
    """fixtures.h: each fixture's three files as byte arrays, and a table of them."""
    lines = ["/* fixtures.h: written by models/torch/make_fixtures.py (do not edit): the PyTorch reference",
             " * fixtures of tests/fixtures/torch/ as C arrays, for tests/c/test_torch_fixtures.c (the wasm",
             " * test runner has no file system). */", "#include <stddef.h>", ""]
    for n in names:
        for part, suffix in (("model", ""), ("grad", ".grad"), ("case", ".case")):
            data = open(os.path.join(out, f"{n}{suffix}.safetensors"), "rb").read()
            lines.append(f"static const unsigned char fx_{n}_{part}[{len(data)}] = {{")
            for k in range(0, len(data), 24):
                lines.append("    " + ",".join(str(b) for b in data[k:k + 24]) + ",")
            lines.append("};")
    lines += ["", "typedef struct {", "    const char *name;", "    const unsigned char *model, *grad, *cas;",
              "    size_t model_len, grad_len, case_len;", "} torch_fixture;", "",
              "static const torch_fixture torch_fixtures[] = {"]
    for n in names:
        lines.append(f"    {{\"{n}\", fx_{n}_model, fx_{n}_grad, fx_{n}_case, sizeof fx_{n}_model, sizeof fx_{n}_grad, sizeof fx_{n}_case}},")
    lines += ["};", f"#define N_TORCH_FIXTURES {len(names)}", ""]
    with open(os.path.join(out, "fixtures.h"), "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/torch")
    ap.add_argument("--cli", default="build/wasmrec", help="our CLI: the side-feature fixtures take their feature ids from it")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20240617)
    names = [fx_sasrec(a.out, gen), fx_sasrec(a.out, gen, "bert4rec"), fx_gru4rec(a.out, gen), fx_gru4rec(a.out, gen, "bpr-max"),
             fx_mf(a.out, gen), fx_twotower(a.out, gen)]
    names += [fx_fm(a.out, gen, f) for f in ("lr", "fm", "ffm", "deepfm")]
    names += [fx_ncf(a.out, gen, f) for f in ("gmf", "mlp", "neumf")]
    import tempfile
    with tempfile.TemporaryDirectory() as work:
        names += [fx_features(a.out, gen, f, a.cli, work) for f in ("fm", "ffm", "deepfm", "twotower")]
    # the sampled losses last, so the fixtures above keep their random weights
    names += [fx_sasrec(a.out, gen, "sasrec", "bce"), fx_gru4rec(a.out, gen, "ce", 4), fx_gru4rec(a.out, gen, "bpr-max", 4)]
    names += [fx_twotower(a.out, gen, "attention", "twotower_attention")]
    c_header(a.out, names)
    print(f"wrote {len(names)} fixtures and fixtures.h to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
