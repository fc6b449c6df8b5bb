"""hnswlib_ref.py: the hnswlib side of bench/ann (Debian's python3-hnswlib, one thread).
    /usr/bin/python3 bench/ann/hnswlib_ref.py BASE QUERIES N NQ DIM METRIC M EFC TRUTH
Builds with the same M and ef_construction and prints one JSON line of build figures, then
answers bench/ann/compare.mjs on stdin ("pass EF": every query, one knn_query call each, as a page
would ask one at a time: recall@10 against TRUTH, CPU and wall seconds; "quit") as ann_bench.c
serve does."""
import json
import sys
import time

import hnswlib
import numpy as np


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1048576


def main():
    base, queries, n, nq, dim, metric, m, efc, truth = sys.argv[1:10]
    n, nq, dim, m, efc = int(n), int(nq), int(dim), int(m), int(efc)
    x = np.fromfile(base, dtype=np.float32, count=n * dim).reshape(n, dim)
    q = np.fromfile(queries, dtype=np.float32, count=nq * dim).reshape(nq, dim)
    gt = np.fromfile(truth, dtype=np.int32, count=nq * 10).reshape(nq, 10)
    idx = hnswlib.Index(space=metric, dim=dim)
    rss0 = rss_mb()
    t0 = time.perf_counter()
    idx.init_index(max_elements=n, M=m, ef_construction=efc, random_seed=1)
    idx.set_num_threads(1)
    print(f"hnswlib: build of {n} x {dim} (M {m}, ef_construction {efc}, one thread)", file=sys.stderr)
    idx.add_items(x, np.arange(n), num_threads=1)
    build_s = time.perf_counter() - t0
    print(json.dumps({"ready": True, "build": "hnswlib", "version": "0.6.2 (Debian python3-hnswlib)",
                      "build_s": round(build_s, 3), "rss_build_mb": round(rss_mb() - rss0, 1)}), flush=True)
    labels = np.empty((nq, 10), dtype=np.int64)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] != "pass":
            break
        ef = int(cmd[1])
        idx.set_ef(ef)
        c0, t0 = time.process_time(), time.perf_counter()
        for i in range(nq):
            labels[i] = idx.knn_query(q[i], k=10, num_threads=1)[0][0]
        cpu_s, wall_s = time.process_time() - c0, time.perf_counter() - t0
        hit = sum(len(set(labels[i]) & set(gt[i])) for i in range(nq))
        print(json.dumps({"ef": ef, "queries": nq, "recall@10": round(hit / (nq * 10), 4), "cpu_s": cpu_s, "wall_s": wall_s}), flush=True)


main()
