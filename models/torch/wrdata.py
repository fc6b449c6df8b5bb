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
TITLE_COLS, CAT_COLS = ["title", "name", "item_name"], ["category", "genre", "genres", "cat"]
REPEAT_SHARE_AUTO = 0.01
SAMPLED_MAX_USERS = 10000


class Data:
    """users, items: id lists; seqs: per user the 0-based items in time order; ratings: per user
    the events' ratings in the same order (movielens, or a csv "rating" column), or None; source,
    format."""

    def __init__(self, users, items, seqs, source, fmt, ratings=None, ts=None, rating_col="", context=None, ctx_rows=None, crow=None):
        self.users, self.items, self.seqs, self.source, self.format = users, items, seqs, source, fmt
        self.ratings = ratings
        self.ts = ts if ts is not None else [[0] * len(s) for s in seqs]  # per user, the events' timestamps
        self.rating_col = rating_col if ratings is not None else ""  # the rating/label column's name
        self.labels, self.label_expr = None, ""  # per user the events' 0/1 labels (label()), or None
        self.context = list(context or [])  # a CSV's context columns, encoded as ctx.<column> features by encode_context
        self.ctx_rows = ctx_rows  # the context table: per event in file order its cells (context's order), or None
        self.crow = crow  # per user each event's row of the context table (as ts), or None
        self.features = None  # Features: the context's and the side tables' (encode_context, load_side)
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
    events, rated, rating_col, context = [], False, "rating", []  # (user, item, ts, line, rating)
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
        uc, ic, tc = pick(USER_COLS), pick(ITEM_COLS), pick(TS_COLS)
        rc = next((k for k, h in enumerate(header) if h in RATING_COLS), -1)  # the first rating or label column, as ours
        rated = rc >= 0
        rating_col = next(csv.reader(io.StringIO(text)))[rc].strip() if rated else ""
        if uc < 0 or ic < 0:
            raise ValueError(f"{path}: the header has no user/session or item column")
        # the other columns, as parse_csv.c names them context: the first title and category
        # columns are metadata, a second outcome column is no context
        meta = [next((k for k, h in enumerate(header) if h in names), -1) for names in (TITLE_COLS, CAT_COLS)]
        names = [h.strip(_WS)[:31] for h in next(csv.reader(io.StringIO(text)))]  # as written, not lowercased
        ccols = [k for k, h in enumerate(header) if h and k not in (uc, ic, tc, rc, *meta) and h not in RATING_COLS]
        context = [names[k] for k in ccols]
        for n, r in enumerate(rows):
            if not r or not "".join(r).strip():
                continue
            ts = 0
            if tc >= 0 and r[tc].strip():
                ts = int(float(r[tc]))
            events.append((r[uc].strip(), r[ic].strip(), ts, n, float(r[rc]) if rated else 0.0,
                           [_trim_id(r[k]) if k < len(r) else "" for k in ccols]))
    else:
        raise ValueError(f"format {fmt!r}: this script reads seq, csv and movielens")
    uidx, iidx = {}, {}
    for u, i, *_ in events:
        uidx.setdefault(u, len(uidx))
        iidx.setdefault(i, len(iidx))
    ctx_rows = [e[5] for e in events] if context else None  # the context table's rows: the events in file order
    order = sorted(range(len(events)), key=lambda k: (uidx[events[k][0]], events[k][2]))  # stable: file order on equal times
    seqs, ratings, ts, crow = [[] for _ in uidx], [[] for _ in uidx], [[] for _ in uidx], [[] for _ in uidx]
    for k in order:
        u, i, t, _, r = events[k][:5]
        seqs[uidx[u]].append(iidx[i])
        ratings[uidx[u]].append(f32(r))
        ts[uidx[u]].append(t)
        crow[uidx[u]].append(k)
    return Data(list(uidx), list(iidx), seqs, path, fmt, ratings if rated else None, ts, rating_col, context, ctx_rows,
                crow if context else None)


def _trim_id(s):
    """wr__trim_id: blanks off, then one pair of enclosing quotes and the blanks inside them."""
    s = s.strip(_WS)
    return s[1:-1].strip(_WS) if len(s) >= 2 and s[0] == '"' and s[-1] == '"' else s


def time_context(data, spec):
    """wr_data_time_context: the UTC hour ("0".."23") and weekday ("Mon".."Sun") of each event's
    timestamp (milliseconds when the latest is past 10^11) as context columns hour, weekday, after
    the CSV's own (a table of the events in time order per user when it has none)."""
    want = []
    for w in (spec or "").split(","):
        w = w.strip(_WS)
        if w and w not in ("hour", "weekday"):
            raise ValueError(f"time context \"{spec[:60]}\": \"{w[:30]}\" is not hour or weekday")
        if w and w not in want:
            want.append(w)
    want = [w for w in ("hour", "weekday") if w in want]
    if not want:
        return
    flat = [t for q in data.ts for t in q]
    if max(flat, default=0) <= 0:
        raise ValueError(f"time context: the data has no timestamps (the {data.format} format has none, or every one is 0)")
    for w in want:
        if w in data.context:
            raise ValueError(f"time context: the data already has a column named {w}")
    unit = 1000 if max(flat) > 100000000000 else 1
    if data.ctx_rows is None:  # a row per event, in the data's order
        data.ctx_rows, data.crow, e = [[] for _ in flat], [], 0
        for q in data.seqs:
            data.crow.append(list(range(e, e + len(q))))
            e += len(q)
    ts_of = [None] * len(data.ctx_rows)
    for u, rows in enumerate(data.crow):
        for t, r in enumerate(rows):
            ts_of[r] = data.ts[u][t]
    days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    for r, cells in enumerate(data.ctx_rows):
        secs = None if ts_of[r] is None else int(ts_of[r] / unit)  # C's division truncates
        for w in want:
            if secs is None:
                cells.append("")
                continue
            d = secs // 86400
            cells.append(str((secs - d * 86400) // 3600) if w == "hour" else days[d % 7])
    data.time_columns = getattr(data, "time_columns", []) + want
    data.context += want


def encode_context(data, kinds=None):
    """wr__encode_context: the context table into data.features (before any side table, so its
    keys and fields come first), each column as a side table's (categorical, multi, numeric in
    10 quantile buckets over the table's rows; kinds {"ctx.device": ...} overrides) but a
    categorical column with more than 100 distinct values on over half the events, left out
    unless its kind is set. -> the note ours prints ("context: ..."), or ""."""
    if data.ctx_rows is None:
        return ""
    F = data.features = Features()
    timed = set(getattr(data, "time_columns", []))
    rows = [[str(k)] + cells for k, cells in enumerate(data.ctx_rows)]
    kept, out = _encode(F, 2, "ctx", data.context, [0] * len(data.context), rows, list(range(len(rows))), kinds or {},
                        [c in timed for c in data.context])
    note = ", ".join(f"{data.context[c]} ({'numeric, bucketed' if k == 'n' else 'multi-valued' if k == 'm' else 'categorical'})" for c, k in kept)
    note = (f"context: {note}" if note else "") + ("; " if note and out else "") + (
        "left out: " + ", ".join(f"{data.context[c]} (a different value on {100.0 * nd / max(len(rows), 1):.0f}% of the events; "
                                 f"ctx.{data.context[c]}=categorical keeps it)" for c, nd in out) if out else "")
    return note


def event_context(data, u, t):
    """The feature ids (data.features keys) of user u's event t's context, or []."""
    F = data.features
    if data.crow is None or F is None or F.start[2] is None:
        return []
    r = data.crow[u][t]
    return F.feat[2][F.start[2][r]:F.start[2][r + 1]]


def has_context(data):
    return data.crow is not None and data.features is not None and data.features.start[2] is not None


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


def evaluate(score_fn, data, split="test", k=10, exclude_seen=False, sampled=0, seed=42, batch=256, with_users=False, context=False):
    """Leave-one-out over data (users with >= 3 events): score_fn(histories) -> (Q, V) scores
    (with_users: score_fn(histories, data user indices); context, for a model that reads the
    data's context: score_fn(histories, users, each query's context: its target event's feature
    ids), as loo.c). Returns (full Metrics, sampled Metrics or None, coverage)."""
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
            if context:
                sc = score_fn(hists, us, [event_context(data, u, len(data.seqs[u]) - offset) for u in us]).float()
            else:
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


# ---- labels, drops and the held-out-events protocols (src/data/filter.c, src/eval/split.c, queries.c) ----

PART_TRAIN, PART_VALID, PART_TEST = 0, 1, 2
PROTOCOLS = ("loo", "random", "temporal", "cold-users", "cold-items")
_OPS = [(">=", lambda x, v: x >= v), (">", lambda x, v: x > v), ("<=", lambda x, v: x <= v), ("<", lambda x, v: x < v),
        ("==", lambda x, v: x == v), ("!=", lambda x, v: x != v)]


def parse_condition(data, what, expr):
    """"<column><op><number>" on the data's rating column (by its name or as "rating"), as
    parse_condition in filter.c: -> a predicate on a float32 rating."""
    s = expr.lstrip(" ")
    n = 0
    while n < len(s) and (s[n].isascii() and (s[n].isalnum() or s[n] == "_")):
        n += 1
    name, rest = s[:n], s[n:].lstrip(" ")
    op = next(((o, f) for o, f in _OPS if rest.startswith(o)), None)
    if not n or op is None:
        raise ValueError(f"{what} \"{expr}\": expected <column><op><number>, like \"rating>=4\" (operators >=, >, <=, <, ==, !=)")
    if data.ratings is None:
        raise ValueError(f"{what} \"{expr}\": the data has no rating or label column (MovieLens has one; in CSV a column named "
                         f"rating, label, score, click or clicked)")
    if name.lower() not in (data.rating_col.lower(), "rating"):
        raise ValueError(f"{what} \"{expr}\": unknown column \"{name}\" (the data's rating column is \"{data.rating_col}\")")
    try:
        value = f32(float(rest[len(op[0]):].strip()))
    except ValueError:
        raise ValueError(f"{what} \"{expr}\": \"{rest[len(op[0]):].strip()}\" is not a number") from None
    return lambda x: op[1](x, value)


def drop(data, expr):
    """wr_data_drop: removes the events whose rating matches (users and items stay numbered as
    loaded). -> how many were dropped."""
    holds, before = parse_condition(data, "drop", expr), data.n_events
    for u in range(len(data.seqs)):
        keep = [k for k, r in enumerate(data.ratings[u]) if not holds(r)]
        data.seqs[u] = [data.seqs[u][k] for k in keep]
        data.ts[u] = [data.ts[u][k] for k in keep]
        data.ratings[u] = [data.ratings[u][k] for k in keep]
        if data.crow is not None:
            data.crow[u] = [data.crow[u][k] for k in keep]
        if data.labels is not None:
            data.labels[u] = [data.labels[u][k] for k in keep]
    data.n_events = sum(len(s) for s in data.seqs)
    if not data.n_events:
        raise ValueError(f"drop \"{expr}\": every event matches, none is left")
    return before - data.n_events


def label(data, expr):
    """wr_data_label: a 0/1 label per event from the rating column. -> the positives."""
    holds = parse_condition(data, "label", expr)
    data.labels = [[int(holds(r)) for r in rs] for rs in data.ratings]
    data.label_expr = expr
    return sum(map(sum, data.labels))


def _shuffled(n, seed):
    """split.c's shuffle: Fisher-Yates from the end with our generator."""
    r, order = Rng(seed), list(range(n))
    for i in range(n - 1, 0, -1):
        j = r.below(i + 1) if i + 1 <= 0xFFFFFFFF else r.u64() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def _by_time(data):
    ts = [t for q in data.ts for t in q]
    return sorted(range(len(ts)), key=ts.__getitem__)  # stable: ties keep the user order


def parse_fractions(text):
    if not text:
        return [0.8, 0.1, 0.1]
    f = text.split(",")
    try:
        frac = [float(x) for x in f]
        ok = len(f) == 3 and all(0 <= x <= 1 for x in frac)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"--split \"{text}\": expected three fractions train,valid,test like 0.8,0.1,0.1")
    s = frac[0] + frac[1] + frac[2]
    if s < 0.999 or s > 1.001 or frac[0] <= 0 or frac[2] <= 0:
        raise ValueError(f"--split \"{text}\": the fractions must add up to 1, with a training and a test part (they add up to {s:g})")
    return frac


def split(data, kind, fractions=None, seed=42):
    """wr_split_new: -> parts, per user the part (PART_TRAIN, PART_VALID, PART_TEST) of each event,
    the same bits as ours: random shuffles the events (in user, time order) with our generator,
    temporal sorts them by time (stable), cold-users/cold-items shuffle the users/items; then the
    first frac[0] of the order train, the next frac[1] validation, the rest test."""
    frac = parse_fractions(fractions)
    if kind == "loo":
        if fractions:
            raise ValueError("--split is for random, temporal, cold-users and cold-items; loo holds out each user's last two events")
        return [[PART_TRAIN] * (len(s) - 2) + [PART_VALID, PART_TEST] if len(s) >= 3 else [PART_TRAIN] * len(s) for s in data.seqs]
    if kind not in PROTOCOLS:
        raise ValueError(f"unknown evaluation protocol \"{kind}\"; the protocols are {', '.join(PROTOCOLS)}")
    n = data.n_events
    units = len(data.users) if kind == "cold-users" else len(data.items) if kind == "cold-items" else n
    order = _by_time(data) if kind == "temporal" else _shuffled(units, seed)
    a, b = int(frac[0] * units + 0.5), int((frac[0] + frac[1]) * units + 0.5)
    unit_part = [0] * units
    for k, x in enumerate(order):
        unit_part[x] = PART_TRAIN if k < a else PART_VALID if k < b else PART_TEST
    parts, e = [], 0
    for u, q in enumerate(data.seqs):
        if kind == "cold-users":
            parts.append([unit_part[u]] * len(q))
        elif kind == "cold-items":
            parts.append([unit_part[i] for i in q])
        else:
            parts.append(unit_part[e:e + len(q)])
        e += len(q)
    counts = [sum(p.count(x) for p in parts) for x in range(3)]
    if not counts[PART_TRAIN]:
        raise ValueError(f"{kind} split: no training events")
    if not counts[PART_TEST]:
        raise ValueError(f"{kind} split: no test events (the data has {n})")
    return parts


def hold_out(data, kind, parts, seed, share=0.1):
    """wr__split_hold_out: for a split without a validation part, share of its training units
    (events; temporal: the latest training events; cold-users/cold-items: whole users/items)
    moved to validation, shuffled from seed ^ 0x5eed5eed. None when nothing or everything would be."""
    n = data.n_events
    units = len(data.users) if kind == "cold-users" else len(data.items) if kind == "cold-items" else n
    unit_of = []
    for u, q in enumerate(data.seqs):
        unit_of += [u] * len(q) if kind == "cold-users" else list(q) if kind == "cold-items" else [None] * len(q)
    if kind not in ("cold-users", "cold-items"):
        unit_of = list(range(n))
    flat = [x for p in parts for x in p]
    train_unit = [0] * units
    for e in range(n):
        if flat[e] == PART_TRAIN:
            train_unit[unit_of[e]] = 1
    if kind == "temporal":
        order = [e for e in reversed(_by_time(data)) if train_unit[e]]
    else:
        order = [x for x in _shuffled(units, seed ^ 0x5eed5eed) if train_unit[x]]
    take = int(share * len(order) + 0.5)
    held = set(order[:take])
    out = [x if not (x == PART_TRAIN and unit_of[e] in held) else PART_VALID for e, x in enumerate(flat)]
    if PART_VALID not in out or PART_TRAIN not in out:
        return None
    res, e = [], 0
    for q in data.seqs:
        res.append(out[e:e + len(q)])
        e += len(q)
    return res


def train_positions(data, parts, positives_only):
    """Per user the positions (in data.seqs[u]) of the events train_events keeps."""
    return [[k for k, x in enumerate(parts[u]) if x == PART_TRAIN and not (positives_only and data.labels is not None and not data.labels[u][k])]
            for u in range(len(data.seqs))]


def train_events(data, parts, positives_only):
    """wr__split_train_seqs: per user the training part's events (positives only when labelled
    and asked) -> (items, labels or None, ratings or None), lists per user in time order."""
    items, labels, ratings = [], [] if data.labels is not None else None, [] if data.ratings is not None else None
    for u, (q, keep) in enumerate(zip(data.seqs, train_positions(data, parts, positives_only))):
        items.append([q[k] for k in keep])
        if labels is not None:
            labels.append([data.labels[u][k] for k in keep])
        if ratings is not None:
            ratings.append([data.ratings[u][k] for k in keep])
    return items, labels, ratings


def auc(scores, labels):
    """wr__auc: Mann-Whitney over the scores (float32), ties sharing their mean rank; None when
    one class is missing."""
    n, pos = len(scores), sum(1 for y in labels if y)
    if pos == 0 or pos == n:
        return None
    order = sorted(range(n), key=scores.__getitem__)
    ranks, i = 0.0, 0
    while i < n:
        j = i
        while j + 1 < n and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mean_rank = (i + j) / 2.0 + 1.0
        for t in range(i, j + 1):
            ranks += mean_rank if labels[order[t]] else 0
        i = j + 1
    npos, nneg = float(pos), float(n - pos)
    return (ranks - npos * (npos + 1) / 2) / (npos * nneg)


def sigmoid_logloss(s, y):
    p = 1.0 / (1.0 + wr_expf(-s))
    p = min(max(p, 1e-7), 1 - 1e-7)
    return -(wr_log(p) if y else wr_log(1 - p))


PREDICTS_SCORE, PREDICTS_PROB, PREDICTS_RATING = 0, 1, 2


def _set_metrics(m, ranks, k):
    """wr__metrics_add_set: one query's relevant set (ranks; one: as a single target) into m."""
    if len(ranks) == 1:
        r = ranks[0]
        m["users"] += 1
        if r < k:
            nd = 0.69314718055994530942 / wr_log(r + 2.0)
            m["hr"], m["recall"], m["ndcg"], m["mrr"], m["ndcg2"] = m["hr"] + 1, m["recall"] + 1, m["ndcg"] + nd, m["mrr"] + 1.0 / (r + 1.0), m["ndcg2"] + nd * nd
        return
    hits = [r for r in ranks if r < k]
    dcg = sum(0.69314718055994530942 / wr_log(r + 2.0) for r in hits)
    ideal = min(len(ranks), k)
    idcg = sum(0.69314718055994530942 / wr_log(j + 2.0) for j in range(ideal))
    nd = dcg / idcg if idcg > 0 else 0.0
    m["users"] += 1
    m["hr"] += bool(hits)
    m["ndcg"] += nd
    m["mrr"] += 1.0 / (min(hits) + 1.0) if hits else 0.0
    m["recall"] += len(hits) / ideal if ideal else 0.0
    m["ndcg2"] += nd * nd


def _rank(s, skip, target):
    """wr__rank_conservative: the candidates (not skipped) other than target at or above its score."""
    return int(((s >= s[target]) & ~skip).sum()) - (0 if skip[target] else 1)


def _cold_baselines(data, parts, kind):
    """queries.c's cold-start baselines from the training part's positives: (popularity (V),
    group(u or item scores) or None). cold-users: an item's share among the users with each of u's
    features, summed over them (float32), or popularity when none counts; cold-items: each cold
    item's mean over its features of the warm items' mean popularity (None: no such features)."""
    V, F, lab = len(data.items), data.features, data.labels
    pop = torch.zeros(V)
    ev = [(u, q[t]) for u, q in enumerate(data.seqs) for t in range(len(q)) if parts[u][t] == PART_TRAIN and (lab is None or lab[u][t])]
    for _, i in ev:
        pop[i] += 1
    if F is None or F.start[0 if kind == "cold-users" else 1] is None or not F.keys:
        return pop, None
    st, ft, nk = F.start[0], F.feat[0], len(F.keys)
    if kind == "cold-users":
        if nk * V > 1 << 26:
            return pop, None
        cnt, tot = torch.zeros(nk, V), torch.zeros(nk)
        for u, i in ev:
            for f in ft[st[u]:st[u + 1]]:
                cnt[f, i] += 1
                tot[f] += 1

        def group(u):
            out, nf = torch.zeros(V), 0
            for f in ft[st[u]:st[u + 1]]:
                if tot[f] > 0:
                    out, nf = out + (1.0 / tot[f]) * cnt[f], nf + 1
            return out if nf else pop
        return pop, group
    st, ft = F.start[1], F.feat[1]
    warm = [False] * V
    for u, q in enumerate(data.seqs):
        for t, i in enumerate(q):
            warm[i] |= parts[u][t] == PART_TRAIN
    sm, cn = [0.0] * nk, [0.0] * nk
    for i in range(V):
        if warm[i]:
            for f in ft[st[i]:st[i + 1]]:
                sm[f], cn[f] = sm[f] + float(pop[i]), cn[f] + 1
    out = torch.zeros(V)
    for i in range(V):
        if not warm[i]:
            a = [sm[f] / cn[f] for f in ft[st[i]:st[i + 1]] if cn[f] > 0]
            out[i] = f32(sum(a) / len(a)) if a else 0.0
    return pop, lambda u: out


def evaluate_split(score_fn, data, parts, part, k=10, exclude_seen=False, predicts=PREDICTS_SCORE, batch=256, context=False, kind="random"):
    """wr__eval_split for random and temporal splits: a query per user with events in part (its
    user, its training history in time order, positives only when labelled), scored once against
    every item (score_fn(histories, users) -> (Q, V)); each of its part's events is a ranking
    target when positive or unlabelled (full ranking, ties against it, history items skipped with
    exclude_seen but a repeated target kept) and a pointwise prediction (the target's score) for
    AUC, GAUC (per-user AUC over users with both classes, weighted by their labelled events),
    logloss (predicts PROB: the scores are logits) and RMSE/MAE (predicts RATING). -> (the dict our
    report prints under "test"/"valid", the unrounded AUC, RMSE and NDCG@k that early stopping reads).
    context (a model that reads the data's context): each held-out event is a query of its own, in
    its context (score_fn(histories, users, contexts: lists of feature ids)), as ours. kind
    cold-users: a query per held-out user (no history, no context), its distinct positive items one
    relevant set (NDCG@k, Recall@k over it), with the baselines pop and pop_group; cold-items: the
    candidates are the items with no training event, the baseline pop_group."""
    lab, V = data.labels, len(data.items)
    cold, coldi = kind == "cold-users", kind == "cold-items"
    context = context and not cold
    if cold or coldi:
        pop, group = _cold_baselines(data, parts, kind)
        bm = {b: {"users": 0, "hr": 0.0, "ndcg": 0.0, "mrr": 0.0, "ndcg2": 0.0, "recall": 0.0} for b in ("pop", "pop_group")}
    warm = torch.zeros(V, dtype=torch.bool)
    if coldi:  # the warm items are no candidates
        for u, q in enumerate(data.seqs):
            for t, i in enumerate(q):
                warm[i] |= parts[u][t] == PART_TRAIN
    spans = [(u, [t for t, x in enumerate(parts[u]) if x == part]) for u in range(len(data.seqs))]
    spans = [(u, [t]) for u, ts in spans for t in ts] if context else [(u, ts) for u, ts in spans if ts]
    m = {"users": 0, "hr": 0.0, "ndcg": 0.0, "mrr": 0.0, "ndcg2": 0.0, "recall": 0.0}
    tscore, tlabel, tuser, ll, se, ae, rated = [], [], [], 0.0, 0.0, 0.0, 0
    for b0 in range(0, len(spans), batch):
        span = spans[b0:b0 + batch]
        us = [u for u, _ in span]
        hists = [[i for t, i in enumerate(data.seqs[u]) if parts[u][t] == PART_TRAIN and (lab is None or lab[u][t])] for u in us]
        with torch.no_grad():
            sc = (score_fn(hists, us, [event_context(data, u, ts[0]) for u, ts in span]) if context else score_fn(hists, us)).float()
        for q, (u, ts) in enumerate(span):
            s, h = sc[q], hists[q]
            skip = warm.clone()
            if exclude_seen and h and not coldi:
                skip[torch.as_tensor(h)] = True
            sl = s.tolist()
            if cold:  # the user's distinct held-out positive items: one relevant set
                rel = list(dict.fromkeys(data.seqs[u][t] for t in ts if lab is None or lab[u][t]))
                if rel:
                    _set_metrics(m, [_rank(s, skip, i) for i in rel], k)
                    _set_metrics(bm["pop"], [_rank(pop, skip, i) for i in rel], k)
                    if group is not None:
                        g = group(u)
                        _set_metrics(bm["pop_group"], [_rank(g, skip, i) for i in rel], k)
            for t in ts:
                target = data.seqs[u][t]
                st = sl[target]
                if st != st:
                    raise ValueError(f"the model produced a NaN score (item {target}): training diverged")
                if coldi and group is not None and (lab is None or lab[u][t]):
                    _set_metrics(bm["pop_group"], [_rank(group(u), skip, target)], k)
                if not cold and (lab is None or lab[u][t]):
                    _set_metrics(m, [_rank(s, skip, target)], k)
                if lab is not None:
                    tscore.append(st), tlabel.append(lab[u][t]), tuser.append(u)
                    if predicts == PREDICTS_PROB:
                        ll += sigmoid_logloss(st, lab[u][t])
                if data.ratings is not None and predicts == PREDICTS_RATING:
                    err = st - data.ratings[u][t]
                    se, ae, rated = se + err * err, ae + abs(err), rated + 1
    nan = float("nan")
    a = g = logloss = nan
    if tscore:
        a = auc(tscore, tlabel)
        a = nan if a is None else a
        if predicts == PREDICTS_PROB:
            logloss = ll / len(tscore)
        s_, w, i = 0.0, 0.0, 0
        while i < len(tscore):
            j = i
            while j < len(tscore) and tuser[j] == tuser[i]:
                j += 1
            x = auc(tscore[i:j], tlabel[i:j])
            if x is not None:
                s_, w = s_ + x * (j - i), w + (j - i)
            i = j
        if w > 0:
            g = s_ / w
    n = m["users"] or 1
    raw = {"AUC": a, "RMSE": math.sqrt(se / rated) if rated else nan, f"NDCG@{k}": m["ndcg"] / n}
    num = lambda x: None if x != x else r6(x)
    lo, hi = ci95(m["ndcg"], m["ndcg2"], m["users"])
    out = {"queries": m["users"], f"HR@{k}": r6(m["hr"] / n), f"NDCG@{k}": r6(m["ndcg"] / n), f"MRR@{k}": r6(m["mrr"] / n),
           "ci95": {f"NDCG@{k}": [lo, hi]}}
    if cold:
        b = lambda x: {f"NDCG@{k}": r6(x["ndcg"] / (x["users"] or 1)), f"Recall@{k}": r6(x["recall"] / (x["users"] or 1))}
        out[f"Recall@{k}"] = r6(m["recall"] / n)
        out["baselines"] = {"pop": b(bm["pop"]), "pop_group": b(bm["pop_group"]) if group is not None else None}
    if coldi:
        x = bm["pop_group"]
        out["baselines"] = {"pop_group": {f"HR@{k}": r6(x["hr"] / (x["users"] or 1)), f"NDCG@{k}": r6(x["ndcg"] / (x["users"] or 1))}
                            if group is not None else None}
    return dict(out, **{"labelled": len(tscore), "AUC": num(a), "GAUC": num(g), "logloss": num(logloss),
            "rated": rated, "RMSE": num(math.sqrt(se / rated)) if rated else None, "MAE": num(ae / rated) if rated else None,
            "unknown_items": 0}), raw


# ---- side tables (src/data/side.c) ----

ML_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
             "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]
_WS = " \t\r\n\v\f"


class Features:
    """wr_features: keys (every feature value "user.age=q3", numbered as ours: the user table's
    first, entity by entity, column by column), value_field (each key's column: the user table's
    columns first, then the item table's), fields ("user.age", ...), kinds ('c', 'm', 'n' per
    field), per side (0 users, 1 items) start (n + 1) and feat (the key ids), or None when that
    side has no table."""

    def __init__(self):
        self.keys, self.index, self.value_field, self.fields, self.kinds = [], {}, [], [], []
        self.start, self.feat, self.matched = [None, None, None], [None, None, None], [0, 0, 0]  # users, items, the context's rows
        self.cuts = {}  # numeric fields: their 9 bucket edges (a model file's "buckets")
        self.src = ["", "", "data"]  # each side's file, for messages


def _parse_num(s):
    try:
        v = float(s.lstrip(_WS)) if s and not s[-1] in _WS else None  # strtod: leading blanks only
    except ValueError:
        return None
    return v if v is not None and math.isfinite(v) else None


def _side_table(path, users):
    """-> (column names, multi flags, rows [id, cells...]) as parse_movielens / wr__parse_csv_table."""
    raw = open(path, "rb").read()
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    text = raw.decode("utf-8")
    lines = text.split("\n")
    first = next((l for l in lines if l.strip(_WS)), None)
    if first is None:
        raise ValueError(f"{path}: the file is empty")
    nd, np_ = len(first.split("::")), len(first.split("|"))
    if (users and (nd == 5 or np_ == 5)) or (not users and (nd == 3 or np_ == 24)):
        dat = nd == 5 if users else nd == 3
        names, multi = (["age", "gender", "occupation", "zip"], [0] * 4) if users else (["genre", "year"], [1, 0])
        rows, want = [], 5 if users else 3 if dat else 24
        for n, line in enumerate(lines):
            if not line.strip(_WS):
                continue
            f = [x.strip(_WS) for x in line.split("::" if dat else "|")]
            if len(f) != want:
                raise ValueError(f"{path}:{n + 1}: expected {want} '{'::' if dat else '|'}'-separated fields, found {len(f)}")
            if not f[0]:
                raise ValueError(f"{path}:{n + 1}: field 1 (id): empty id")
            if users:
                rows.append([f[0]] + ([f[2], f[1], f[3], f[4]] if dat else f[1:5]))
                continue
            if dat:
                genres, t = f[2][:255], f[1]
                year = t[-5:-1] if len(t) >= 6 and t[-6] == "(" and t[-1] == ")" else ""
            else:
                gs = []
                for g in range(19):
                    if f[5 + g] == "1":
                        gs.append(ML_GENRES[g])
                    elif f[5 + g] != "0":
                        raise ValueError(f"{path}:{n + 1}: field {6 + g} (genre {ML_GENRES[g]}): expected 0 or 1")
                genres, year = "|".join(gs), f[2][-4:] if len(f[2]) >= 4 else ""
            rows.append([f[0], genres, year])
        return names, multi, rows
    # CSV/TSV with a header naming the id column
    tabs = commas = semis = 0
    inq = False
    for ch in first:
        if ch == '"':
            inq = not inq
        elif not inq:
            tabs, commas, semis = tabs + (ch == "\t"), commas + (ch == ","), semis + (ch == ";")
    delim = "\t" if tabs and tabs >= commas and tabs >= semis else ";" if semis > commas else ","
    body = text[text.index(first):]
    reader = csv.reader(io.StringIO(body), delimiter=delim, skipinitialspace=True)
    header = [h.strip(_WS) for h in next(reader)]
    idcols = USER_COLS if users else ITEM_COLS
    idcol = next((k for k, h in enumerate(header) if h.lower() in idcols or h.lower() == "id"), -1)
    if idcol < 0:
        raise ValueError(f"{path}: the header has no {'user' if users else 'item'} id column")
    cols = [k for k in range(len(header)) if k != idcol]
    names = [header[k][:31] for k in cols]
    rows = []
    for r in reader:
        if not r or not "".join(r).strip(_WS):
            continue
        rid = r[idcol].strip(_WS) if idcol < len(r) else ""
        if len(rid) >= 2 and rid[0] == '"' and rid[-1] == '"':
            rid = rid[1:-1].strip(_WS)
        rows.append([rid] + [r[k].rstrip("\r") if k < len(r) else "" for k in cols])
    return names, [0] * len(names), rows


def load_side(data, side, path, kinds=None):
    """wr_data_load_side: a side table (0 users, 1 items) into data.features, as encode() in
    side.c: per column its kind (multi: MovieLens genres or any value with '|'; numeric: every
    value a number with more than 20 distinct ones, 10 quantile buckets over the table's rows
    "q0".."q9"; else categorical; kinds {"user.age": "categorical"|"multi"|"numeric"} overrides),
    each entity's features in column order, keys numbered as they first appear."""
    F = data.features if getattr(data, "features", None) is not None else Features()
    data.features = F
    names, multi, rows = _side_table(path, side == 0)
    F.src[side] = path
    if not names:
        raise ValueError(f"{path}: no feature columns besides the id")
    prefix = "item" if side else "user"
    ids = data.items if side else data.users
    pos = {x: k for k, x in enumerate(ids)}
    row_of, matched = [-1] * len(ids), 0
    for r, row in enumerate(rows):
        e = pos.get(row[0], -1)
        if e >= 0 and row_of[e] < 0:
            row_of[e], matched = r, matched + 1
    _encode(F, side, prefix, names, multi, rows, row_of, kinds or {})
    F.matched[side] = matched
    return matched


def _encode(F, side, prefix, names, multi, rows, row_of, kinds, categorical=None):
    """encode() in side.c: the columns' kinds, then each entity's (row_of[e]: its row of rows, or
    -1) features into F.start[side], F.feat[side]. Context (side 2): a detected categorical column
    with more than 100 distinct values on over half the rows is left out. -> ([(column, kind)]
    kept, [(column, distinct values)] left out)."""
    base = len(F.fields)
    ckind, cuts, fid, kept, out = [], [], [], [], []
    for c, name in enumerate(names):
        field = f"{prefix}.{name}"
        forced = {"categorical": "c", "multi": "m", "numeric": "n"}.get(kinds.get(field, ""), "")
        numeric, vals, any_bar = (forced == "n") if forced else not multi[c] and not (categorical and categorical[c]), [], False
        for row in rows:
            v = row[c + 1]
            any_bar |= "|" in v
            if not v or not numeric:
                continue
            x = _parse_num(v)
            if x is not None:
                vals.append(x)
            elif forced:
                who = f"line {row[0]}" if side == 2 else f"{prefix} \"{row[0]}\""
                raise ValueError(f"{F.src[side]}: {who}, column {name}: \"{v[:40]}\" is not a number (its kind is set to numeric: {field}=numeric)")
            else:
                numeric = False
        distinct, edges = 0, None
        if numeric and vals:
            vals.sort()
            distinct = sum(1 for k in range(len(vals)) if k == 0 or vals[k] != vals[k - 1])
            edges = [vals[(q + 1) * len(vals) // 10] for q in range(9)]
        ckind.append(forced or ("m" if multi[c] or any_bar else "n" if numeric and distinct > 20 else "c"))
        cuts.append(edges)
        fid.append(base + len(kept))
        if side == 2 and not forced and ckind[-1] == "c":
            nd = len({row[c + 1] for row in rows})
            if nd > 100 and 2 * nd > len(rows):
                fid[-1] = -1
                out.append((c, nd))
                continue
        kept.append((c, ckind[-1]))
        if ckind[-1] == "n":
            F.cuts[field] = edges
        F.fields.append(field)
        F.kinds.append(ckind[-1])
    start, feat = [0] * (len(row_of) + 1), []
    for e in range(len(row_of)):
        start[e] = len(feat)
        if row_of[e] < 0:
            continue
        row = rows[row_of[e]]
        for c in range(len(names)):
            v, f = row[c + 1], fid[c]
            if f < 0:
                continue
            for q in (v.split("|") if ckind[c] == "m" else [v]) if v else []:
                q = q.strip(_WS)
                if not q:
                    continue
                if ckind[c] == "n":
                    x, b = _parse_num(q), 0
                    if x is not None:
                        while b < 9 and x >= cuts[c][b]:
                            b += 1
                    key = f"{F.fields[f]}=q{b}"
                else:
                    key = f"{F.fields[f]}={q}"
                if key not in F.index:
                    F.index[key] = len(F.keys)
                    F.keys.append(key)
                    F.value_field.append(f)
                feat.append(F.index[key])
    start[len(row_of)] = len(feat)
    F.start[side], F.feat[side] = start, feat
    return kept, out

