"""The PyTorch twins of our trainable models, by family name: load(path) -> (module, items,
params), save(module, path, items, params) -> a file our engine loads, score(module, queries).
Put models/torch on sys.path to import these (its scripts do)."""
import torch

import wrfile

FAMILIES = {}


def _register():
    import sasrec
    for f in ("sasrec", "bert4rec"):
        FAMILIES[f] = lambda mf, f=f: sasrec.SASRec(len(mf.items), mf.params, f, from_file=True)
    try:
        import gru4rec
        FAMILIES["gru4rec"] = lambda mf: gru4rec.GRU4Rec(len(mf.items), mf.params, from_file=True)
    except ImportError:
        pass
    try:
        import mf as mfm
        FAMILIES["mf"] = lambda mf: mfm.MF(len(mf.users), len(mf.items), mf.params)
    except ImportError:
        pass
    try:
        import twotower
        FAMILIES["twotower"] = lambda mf: twotower.TwoTower.from_file(mf)
    except ImportError:
        pass
    try:
        import fm
        for f in ("lr", "fm", "ffm", "deepfm"):
            FAMILIES[f] = lambda mf, f=f: fm.FM.from_file(mf, f)
    except ImportError:
        pass
    try:
        import ncf
        for f in ("gmf", "mlp", "neumf"):
            FAMILIES[f] = lambda mf, f=f: ncf.NCF(len(mf.users), len(mf.items), mf.params, f)
    except ImportError:
        pass


_register()


def load_file(path_or_bytes):
    """-> (module, ModelFile): the twin with the file's weights, and everything the file holds."""
    mf = wrfile.read(path_or_bytes)
    if mf.model not in FAMILIES:
        raise ValueError(f"no PyTorch twin for model {mf.model!r} (twins: {', '.join(sorted(FAMILIES))})")
    module = FAMILIES[mf.model](mf)
    module.load_ours(mf.tensors)
    module.file = mf
    return module, mf


def load(path):
    """-> (module, items, params)."""
    module, mf = load_file(path)
    return module, mf.items, mf.params


def save(module, path, items, params=None, users=None, counts=None, meta=None):
    """Writes module's weights in our format (what wr_model_load reads), with its family's full
    settings so that no default of ours has to be guessed."""
    p = dict(module.params)
    p.update(params or {})
    users = users if users is not None else getattr(getattr(module, "file", None), "users", None)
    mf = wrfile.ModelFile(module.family, p, items, module.to_ours(), users=users,
                          features=getattr(module, "feature_keys", None), meta=meta)
    if counts is not None:
        mf.counts = torch.as_tensor(counts, dtype=torch.float32)
    wrfile.write(mf, path)


@torch.no_grad()
def score(module, histories, users=None, counts=None):
    """(Q, V) scores as wr_model_score gives them: histories (lists of 0-based items), users
    (indices, -1 = not known; None = all -1). A query with no history and no known user gets
    the training counts when the file has them (every model of ours does that)."""
    users = list(users) if users is not None else [-1] * len(histories)
    out = module.score([list(h) for h in histories], users).float()
    if counts is None and getattr(module, "file", None) is not None:
        counts = module.file.counts
    if counts is not None:
        for q, (h, u) in enumerate(zip(histories, users)):
            if not len(h) and u < 0:
                out[q] = counts
    return out
