"""Our data files, leave-one-out split and evaluation, in Python: the same users, items and event
order as src/data (users and items numbered by first appearance, events grouped per user and
sorted by time, stable), the same leave-one-out protocol as src/eval/loo.c (users with 3 or more
events: the last event is the test target, the one before the validation target; the others
train on everything), the same metrics (HR, NDCG, MRR at k, full ranking, ties counting against
the target; the sampled-100 protocol with our random numbers, so its candidates are ours), and
the same exclude-seen rule (auto: history items are excluded when under 1% of the training
events repeat an item already in that user's history)."""
import csv
import io
import math
import struct

import torch

USER_COLS = ["user", "user_id", "userid", "session", "session_id", "sessionid", "visitor", "visitorid"]
ITEM_COLS = ["item", "item_id", "itemid", "aid", "movie_id", "movieid", "product_id", "productid"]
TS_COLS = ["timestamp", "ts", "time", "unix_time"]
RATING_COLS = ["rating", "label", "score", "click", "clicked"]
REPEAT_SHARE_AUTO = 0.01
SAMPLED_MAX_USERS = 10000


class Data:
    """users, items: id lists; seqs: per user the 0-based items in time order; ratings: per user
    the events' ratings in the same order (movielens, or a csv "rating" column), or None; source,
    format."""

    def __init__(self, users, items, seqs, source, fmt, ratings=None):
        self.users, self.items, self.seqs, self.source, self.format = users, items, seqs, source, fmt
        self.ratings = ratings
        self.n_events = sum(len(s) for s in seqs)


def detect(text):
    first = next((l for l in text.splitlines() if l.strip()), "")
    if "::" in first or first.count("\t") == 3:
        return "movielens"
    if "," in first and any(c.strip().lower() in USER_COLS + ITEM_COLS for c in first.split(",")):
        return "csv"
    return "seq"


def load(path, fmt="auto"):
    text = open(path, encoding="utf-8").read()
    if fmt == "auto":
        fmt = detect(text)
    events, rated = [], False  # (user, item, ts, line, rating)
    if fmt == "movielens":
        for n, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            f = line.split("::") if "::" in line else line.split("\t")
            if len(f) != 4:
                raise ValueError(f"{path}:{n + 1}: expected 4 fields (user, item, rating, timestamp), found {len(f)}")
            events.append((f[0].strip(), f[1].strip(), int(f[3]), n, float(f[2])))
        rated = True
    elif fmt == "seq":
        for n, line in enumerate(text.splitlines()):
            f = line.split()
            if not f:
                continue
            if len(f) < 2:
                raise ValueError(f"{path}:{n + 1}: expected \"user item\"")
            events.append((f[0], f[1], 0, n, 0.0))
    elif fmt == "csv":
        rows = csv.reader(io.StringIO(text))
        header = [h.strip().lower() for h in next(rows)]
        pick = lambda names: next((header.index(c) for c in names if c in header), -1)
        uc, ic, tc, rc = pick(USER_COLS), pick(ITEM_COLS), pick(TS_COLS), pick(["rating"])
        rated = rc >= 0
        if uc < 0 or ic < 0:
            raise ValueError(f"{path}: the header has no user/session or item column")
        for n, r in enumerate(rows):
            if not r or not "".join(r).strip():
                continue
            ts = 0
            if tc >= 0 and r[tc].strip():
                ts = int(float(r[tc]))
            events.append((r[uc].strip(), r[ic].strip(), ts, n, float(r[rc]) if rated else 0.0))
    else:
        raise ValueError(f"format {fmt!r}: this script reads seq, csv and movielens")
    uidx, iidx = {}, {}
    for u, i, *_ in events:
        uidx.setdefault(u, len(uidx))
        iidx.setdefault(i, len(iidx))
    events.sort(key=lambda e: (uidx[e[0]], e[2]))  # stable: file order on equal times
    seqs, ratings = [[] for _ in uidx], [[] for _ in uidx]
    for u, i, _, _, r in events:
        seqs[uidx[u]].append(iidx[i])
        ratings[uidx[u]].append(r)
    return Data(list(uidx), list(iidx), seqs, path, fmt, ratings if rated else None)


def loo_train(data):
    """The leave-one-out training sequences (users with fewer than 3 events keep all)."""
    return [s[:-2] if len(s) >= 3 else list(s) for s in data.seqs]


def repeat_share(seqs):
    events = repeats = 0
    for s in seqs:
        seen = set()
        for i in s:
            repeats += i in seen
            seen.add(i)
        events += len(s)
    return repeats / events if events else 0.0


def resolve_seen(mode, share):
    """-> (exclude?, reason), as wr__resolve_seen."""
    if mode != "auto":
        return mode == "yes", f"history items {'excluded' if mode == 'yes' else 'kept'}, as asked"
    ex = share < REPEAT_SHARE_AUTO
    return ex, (f"auto: {100 * share:.2f}% of the events of the training data repeat an item already in that user's history "
                f"({'under' if ex else 'at least'} 1%), so history items are {'excluded' if ex else 'kept'}")


class Rng:
    """Our xoshiro256** seeded by splitmix64 (src/core/rng.c), for the sampled protocol."""
    M = (1 << 64) - 1

    def __init__(self, seed):
        x, self.s = seed & self.M, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & self.M
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
            self.s.append(z ^ (z >> 31))

    def u64(self):
        s, M = self.s, self.M
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = (self.u64() >> 32) * n
        low = m & 0xFFFFFFFF
        if low < n:
            threshold = ((1 << 32) - n) % n
            while low < threshold:
                m = (self.u64() >> 32) * n
                low = m & 0xFFFFFFFF
        return m >> 32


def f32(x):
    """x rounded to float32 (round to nearest even, as a C cast). One +, -, * or / of two float32
    values in double and then rounded is the float32 result (53 >= 2 x 24 + 2 bits)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def wr_log(x):
    """wr__log (src/core/rng.c): libm-free log in double, the same operations in the same order."""
    m, e = math.frexp(x)
    if m < 0.70710678118654752:
        m *= 2.0
        e -= 1
    t = (m - 1.0) / (m + 1.0)
    t2, term, s = t * t, t, 0.0
    for k in range(1, 40, 2):
        s += term / k
        term *= t2
    return 2.0 * s + e * 0.69314718055994530942


_EXP = dict(lo=f32(-104.0), hi=f32(89.0), log2e=f32(1.44269504088896341), magic=f32(12582912.0), ln2_hi=f32(0.693359375),
            ln2_lo=f32(-2.12194440e-4), p=[f32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
                                                            1.6666665459e-1, 5.0000001201e-1)])


def wr_expf(x):
    """wr_expf (src/kernels/kernels.c) in float32 steps: the same bits."""
    c = _EXP
    x = f32(x)
    x = c["lo"] if x < c["lo"] else x
    x = c["hi"] if c["hi"] < x else x
    t = f32(f32(x * c["log2e"]) + c["magic"])
    n = int(t - c["magic"])  # t - magic is exact: an integer
    nf = f32(t - c["magic"])
    r = f32(x - f32(nf * c["ln2_hi"]))
    r = f32(r - f32(nf * c["ln2_lo"]))
    p = c["p"][0]
    for k in c["p"][1:]:
        p = f32(f32(p * r) + k)
    p = f32(f32(p * f32(r * r)) + r)
    p = f32(p + 1.0)
    n1 = n >> 1  # C's ~(~n >> 1) for n < 0 is floor division by 2, as Python's >>
    n2 = n - n1
    return f32(f32(p * 2.0 ** n1) * 2.0 ** n2)


class Sampler:
    """wr_sampler (src/models/batch.c): items (1-based) drawn from popularity^alpha (alpha 0:
    uniform) of the training sequences, with our float32 cumulative table and guide table, so that
    Rng(seed) draws the same items as our engine's generator in the same state."""

    def __init__(self, seqs, n_items, alpha):
        V, pop = n_items, [0.0] * n_items
        for s in seqs:
            for i in s:
                pop[i] += 1.0
        total, cum = 0.0, []
        for i in range(V):
            total += 1.0 if alpha == 0 else (wr_expf(f32(alpha * wr_log(pop[i]))) if pop[i] > 0 else 0.0)
            cum.append(f32(total))
        self.cum = [f32(c / total) if total > 0 else f32(f32(i + 1) / V) for i, c in enumerate(cum)]
        self.V, self.guide, i = V, [], 0
        for j in range(V):
            while i < V - 1 and self.cum[i] <= j / V:
                i += 1
            self.guide.append(i)

    def draw(self, rng):
        u = f32((rng.u64() >> 40) * (1.0 / 16777216.0))
        j = int(u * self.V)
        i = self.guide[j if j < self.V else self.V - 1]
        while i > 0 and self.cum[i - 1] > u:
            i -= 1
        while i < self.V - 1 and self.cum[i] <= u:
            i += 1
        return i + 1

    def prob(self, item):
        i = item - 1
        return f32(self.cum[i] - (self.cum[i - 1] if i > 0 else 0.0))


class Metrics:
    def __init__(self, k):
        self.k, self.users, self.hr, self.ndcg, self.mrr, self.ndcg2, self.mrr2 = k, 0, 0.0, 0.0, 0.0, 0.0, 0.0

    def add(self, rank):
        self.users += 1
        if rank is None or rank < 0 or rank >= self.k:
            return
        nd, rr = math.log(2) / math.log(rank + 2.0), 1.0 / (rank + 1.0)
        self.hr += 1
        self.ndcg += nd
        self.mrr += rr
        self.ndcg2 += nd * nd
        self.mrr2 += rr * rr

    def json(self, coverage=None):
        u, k = self.users or 1, self.k
        out = {"users": self.users, f"HR@{k}": r6(self.hr / u), f"NDCG@{k}": r6(self.ndcg / u), f"MRR@{k}": r6(self.mrr / u)}
        if coverage is not None:
            out[f"Recall@{k}"], out[f"coverage@{k}"] = r6(self.hr / u), r6(coverage)
        out["ci95"] = {f"HR@{k}": ci95(self.hr, self.hr, self.users), f"NDCG@{k}": ci95(self.ndcg, self.ndcg2, self.users),
                       f"MRR@{k}": ci95(self.mrr, self.mrr2, self.users)}
        return out


def r6(x):
    return float(f"{x:.6g}")


def ci95(s, s2, n):
    mean, half = (s / n if n else 0.0), 0.0
    if n > 1:
        var = (s2 - n * mean * mean) / (n - 1)
        half = 1.959963984540054 * math.sqrt(var / n if var > 0 else 0)
    return [r6(max(mean - half, 0)), r6(min(mean + half, 1))]


def evaluate(score_fn, data, split="test", k=10, exclude_seen=False, sampled=0, seed=42, batch=256, with_users=False):
    """Leave-one-out over data (users with >= 3 events): score_fn(histories) -> (Q, V) scores
    (with_users: score_fn(histories, data user indices)). Returns (full Metrics, sampled Metrics
    or None, coverage)."""
    offset = 1 if split == "test" else 2
    V = len(data.items)
    elig = [u for u, s in enumerate(data.seqs) if len(s) >= 3]
    in_sample = set()
    rng = Rng(seed)
    if sampled:
        order = list(elig)
        take = min(len(order), SAMPLED_MAX_USERS)
        for i in range(take):  # partial Fisher-Yates, as ours
            j = i + rng.below(len(order) - i)
            order[i], order[j] = order[j], order[i]
            in_sample.add(order[i])
    full, samp, hit = Metrics(k), Metrics(k), torch.zeros(V, dtype=torch.bool)
    for b0 in range(0, len(elig), batch):
        us = elig[b0:b0 + batch]
        hists = [data.seqs[u][:len(data.seqs[u]) - offset] for u in us]
        with torch.no_grad():
            sc = (score_fn(hists, us) if with_users else score_fn(hists)).float()
        if torch.isnan(sc).any():
            raise ValueError("the model produced a NaN score: training diverged")
        for q, u in enumerate(us):
            s, h = sc[q], hists[q]
            target = data.seqs[u][len(data.seqs[u]) - offset]
            skip = torch.zeros(V, dtype=torch.bool)
            if exclude_seen and h:
                skip[torch.as_tensor(h)] = True
            skip[target] = False
            t = s[target]
            rank = int(((s >= t) & ~skip).sum()) - 1  # the others at or above the target
            full.add(rank)
            top = s.masked_fill(skip, float("-inf")).topk(min(k, V)).indices
            hit[top[s[top] > float("-inf")]] = True
            if sampled and u in in_sample:
                touched = set(data.seqs[u])
                cand = [i for i in range(V) if i not in touched]
                take, rk = min(len(cand), sampled), 0
                for i in range(take):
                    j = i + rng.below(len(cand) - i)
                    cand[i], cand[j] = cand[j], cand[i]
                    rk += bool(s[cand[i]] >= t)
                samp.add(rk)
    return full, (samp if sampled else None), float(hit.float().mean()) if V else 0.0
