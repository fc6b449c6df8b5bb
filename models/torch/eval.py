#!/usr/bin/env python3
"""Leave-one-out evaluation of a model file in PyTorch (its twin, models/torch/twins.py), with the
protocol and report of our `eval --json`: full ranking and sampled-100 (our random numbers) under
"test" and "test_sampled100". Any of our trainable models' files, ours or written by train.py:
the same figures as `build/wasmrec eval` on them, within float noise.

usage: /usr/bin/python3 models/torch/eval.py --model FILE --data FILE [--format auto|seq|csv|movielens]
       [--k 10] [--seed 42] [--exclude-seen auto|yes|no]"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import twins  # noqa: E402
import wrdata  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--format", default="auto", choices=["auto", "seq", "csv", "movielens"])
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--exclude-seen", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    module, mf = twins.load_file(a.model)
    module.eval()
    data = wrdata.load(a.data, a.format)
    # the data's items and users in the model's ids (unknown ones dropped from histories, as ours)
    imap = {x: i for i, x in enumerate(mf.items)}
    umap = {x: i for i, x in enumerate(mf.users)}
    to_model = [imap.get(x, -1) for x in data.items]
    users = [umap.get(x, -1) for x in data.users]
    mapped = wrdata.Data(data.users, mf.items, [[to_model[i] for i in s] for s in data.seqs], data.source, data.format)
    share = float(mf.meta["repeat_share"]) if "repeat_share" in mf.meta else wrdata.repeat_share([s[:-1] for s in mapped.seqs])
    exclude, reason = wrdata.resolve_seen(a.exclude_seen, share)
    if any(i < 0 for s in mapped.seqs for i in s):
        sys.exit("eval.py: the data has items the model does not know (this script evaluates on the model's own items)")
    fn = lambda hists, us: twins.score(module, hists, [users[u] for u in us])
    full, samp, cov = wrdata.evaluate(fn, mapped, "test", a.k, exclude, 100, a.seed, with_users=True)
    print(json.dumps({"model": mf.model, "evaluated_by": "models/torch/eval.py", "eval": "loo",
                      "protocol": {"exclude_seen": exclude, "exclude_seen_mode": a.exclude_seen, "exclude_seen_reason": reason},
                      "test": full.json(cov), "test_sampled100": samp.json()}, separators=(",", ":")))


if __name__ == "__main__":
    main()
