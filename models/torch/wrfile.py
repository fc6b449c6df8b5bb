"""wasmrec model files (safetensors with __metadata__ format="wasmrec") to and from Python:
the metadata keys, the item and user vocabularies, the params JSON. README "Model files"."""
import json

import safetensors

FORMAT_VERSION = "1"


class ModelFile:
    """What a model file holds: model (family name), params (dict from the params JSON), items
    and users (id lists, in the model's order), features (side-feature keys or []), counts (the
    item_counts tensor or None), tensors ({name: tensor}, every tensor), meta (all metadata)."""

    def __init__(self, model, params, items, tensors, users=None, features=None, meta=None):
        self.model, self.params, self.items, self.tensors = model, dict(params), list(items), dict(tensors)
        self.users = list(users or [])
        self.features = list(features or [])
        self.meta = dict(meta or {})
        self.counts = self.tensors.get("item_counts")


def read(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) else open(path_or_bytes, "rb").read()
    tensors, meta = safetensors.loads(data)
    if meta.get("format") != "wasmrec":
        raise ValueError(f"not a wasmrec model: __metadata__ format is {meta.get('format')!r}")
    if meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"model format version {meta.get('version')!r} is not {FORMAT_VERSION}")
    items = json.loads(meta["items"])
    if len(items) != int(meta["n_items"]):
        raise ValueError("metadata items and n_items disagree")
    users = json.loads(meta["users"]) if "users" in meta else []
    features = json.loads(meta["features"]) if "features" in meta else []
    return ModelFile(meta["model"], json.loads(meta["params"]), items, tensors, users, features, meta)


def dumps(mf):
    """ModelFile -> bytes our engine loads (wr_model_load)."""
    meta = {k: v for k, v in mf.meta.items() if k not in ("format", "version", "model", "params", "n_items", "items", "users", "n_users", "features", "n_features")}
    meta.update({"format": "wasmrec", "version": FORMAT_VERSION, "model": mf.model,
                 "params": json.dumps(mf.params, separators=(",", ":")), "n_items": str(len(mf.items)),
                 "items": json.dumps([str(i) for i in mf.items], separators=(",", ":"), ensure_ascii=False)})
    if mf.users:
        meta["users"] = json.dumps([str(u) for u in mf.users], separators=(",", ":"), ensure_ascii=False)
        meta["n_users"] = str(len(mf.users))
    if mf.features:
        meta["features"] = json.dumps(mf.features, separators=(",", ":"), ensure_ascii=False)
        meta["n_features"] = str(len(mf.features))
    tensors = dict(mf.tensors)
    if mf.counts is not None:
        tensors = {"item_counts": mf.counts.float(), **{k: v for k, v in tensors.items() if k != "item_counts"}}
    return safetensors.dumps(tensors, meta)


def write(mf, path):
    """Atomically, as our engine writes its files: a temporary file, then a rename."""
    import os
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(dumps(mf))
    os.replace(tmp, path)
