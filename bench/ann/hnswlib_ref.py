"""hnswlib_ref.py: the hnswlib side of bench/ann (Debian's python3-hnswlib, one thread).
    /usr/bin/python3 bench/ann/hnswlib_ref.py BASE QUERIES N NQ DIM METRIC M EFC EF_LIST TRUTH
Builds with the same M and ef_construction, then for each ef_search in EF_LIST (comma separated)
times the queries one knn_query call each (as a page would ask one at a time; the fastest of
3 passes) and measures
recall@10 against TRUTH (int32 NQ x 10 from ann_bench). One JSON object on stdout."""
import json
import resource
import sys
import time

import hnswlib
import numpy as np

REPS = 5  # queries/s: the fastest of 5 timed passes, as ours


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1048576


def main():
    base, queries, n, nq, dim, metric, m, efc, ef_list, truth = sys.argv[1:11]
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
    rss1 = rss_mb()
    sweep = []
    for ef in [int(e) for e in ef_list.split(",")]:
        idx.set_ef(ef)
        labels = np.empty((nq, 10), dtype=np.int64)
        best = float("inf")
        for rep in range(1 + REPS):  # a warm-up pass, then the fastest of REPS
            t0 = time.perf_counter()
            for i in range(nq):
                labels[i] = idx.knn_query(q[i], k=10, num_threads=1)[0][0]
            if rep > 0:
                best = min(best, time.perf_counter() - t0)
        qps = nq / best
        hit = sum(len(set(labels[i]) & set(gt[i])) for i in range(nq))
        rec = hit / (nq * 10)
        print(f"hnswlib: ef {ef}: recall@10 {rec:.4f}, {qps:.0f} queries/s", file=sys.stderr)
        sweep.append({"ef": ef, "recall@10": round(rec, 4), "qps": round(qps, 1)})
    print(json.dumps({"build": "hnswlib " + hnswlib.__name__, "version": getattr(hnswlib, "__version__", "0.6.2 (Debian)"),
                      "build_s": round(build_s, 3), "rss_build_mb": round(rss1 - rss0, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "sweep": sweep}))


main()
