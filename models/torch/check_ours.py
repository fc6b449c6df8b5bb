#!/usr/bin/env python3
"""The other direction: files our engine trains load in the PyTorch twins and give our scores.
For each family it trains a small model with build/wasmrec (a few epochs on a small demo store,
with side features for the models that read them), asks `wasmrec recommend --k <all items>
--exclude-seen no --json` for a few histories and users, scores the same queries with the twin
(twins.load) and prints one JSON row per model: the largest absolute and relative differences
(ours prints 6 significant digits, so ~1e-6 relative is agreement). Needs torch; not part of
`make test`.

usage: /usr/bin/python3 models/torch/check_ours.py [--cli build/wasmrec] [--models sasrec,mf,...] [--keep DIR]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import twins  # noqa: E402

SETS = {  # small and quick: what matters is that the weights are trained, not how well
    "sasrec": ["dim=16", "epochs=2", "heads=2"], "bert4rec": ["dim=16", "epochs=2", "max_len=10"],
    "gru4rec": ["dim=16", "epochs=2"], "mf": ["dim=8", "epochs=3"], "gmf": ["dim=8", "epochs=2"],
    "mlp": ["dim=8", "epochs=2", "layers=2"], "neumf": ["dim=8", "epochs=2", "layers=2"],
    "twotower": ["dim=8", "hidden=16", "epochs=2"], "lr": ["epochs=2"], "fm": ["dim=8", "epochs=2"],
    "ffm": ["dim=4", "epochs=2"], "deepfm": ["dim=4", "hidden=16", "epochs=2"],
}
FEATURES = {"twotower", "lr", "fm", "ffm", "deepfm"}


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default="build/wasmrec")
    ap.add_argument("--models", default=",".join(SETS))
    ap.add_argument("--keep")
    a = ap.parse_args()
    torch.set_num_threads(1)
    work = a.keep or tempfile.mkdtemp(prefix="wasmrec-check-")
    os.makedirs(work, exist_ok=True)
    data, users, items = (os.path.join(work, f) for f in ("store.csv", "sessions.csv", "items.csv"))
    run([a.cli, "gen", "--out", data, "--sessions", "300", "--items", "60", "--users-out", users, "--items-out", items])
    rows = []
    for model in a.models.split(","):
        out = os.path.join(work, f"{model}.safetensors")
        cmd = [a.cli, "train", "--data", data, "--model", model, "--out", out]
        for s in SETS[model]:
            cmd += ["--set", s]
        if model in FEATURES:
            cmd += ["--users", users, "--items", items]
        run(cmd)
        module, mf = twins.load_file(out)
        module.eval()
        item_ids = mf.items
        hists = [[0, 1, 2], [5], list(range(3, 12)), [7, 7, 3]]
        qs = [(h, -1) for h in hists]
        if mf.users:
            qs = [([], u) for u in (0, 1, len(mf.users) // 2, len(mf.users) - 1)] + ([(h, -1) for h in hists] if model in ("mf", "twotower") else [])
            if model == "twotower":
                qs += [(hists[2], 3)]
        worst_abs = worst_rel = 0.0
        for h, u in qs:
            cmd = [a.cli, "recommend", "--model", out, "--history", ",".join(item_ids[i] for i in h), "--k", str(len(item_ids)),
                   "--exclude-seen", "no", "--json"]
            if u >= 0:
                cmd += ["--user", mf.users[u]]
            got = json.loads(run(cmd))["items"]
            ours = torch.tensor([r["score"] for r in got], dtype=torch.float64)
            idx = torch.tensor([item_ids.index(r["item"]) for r in got])
            with torch.no_grad():
                theirs = twins.score(module, [h], [u])[0].double()[idx]
            d = (ours - theirs).abs()
            worst_abs = max(worst_abs, d.max().item())
            worst_rel = max(worst_rel, (d / theirs.abs().clamp(min=1e-3)).max().item())
        rows.append({"model": model, "queries": len(qs), "items": len(item_ids), "max_abs": float(f"{worst_abs:.3g}"),
                     "max_rel": float(f"{worst_rel:.3g}")})
        print(json.dumps(rows[-1]), flush=True)
    bad = [r["model"] for r in rows if r["max_rel"] > 1e-4]
    print(json.dumps({"check": "ours_in_torch", "models": len(rows), "disagree": bad}))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
