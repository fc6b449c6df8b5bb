#!/usr/bin/env node
// movielens_like.mjs: synthetic interaction files SHAPED like two small public data sets, for
// choosing defaults without the real files (no dependencies, seeded, deterministic).
//
//   node bench/quality/movielens_like.mjs [--shape ml|amazon] [--users N] [--items N] [--seed S] [--out FILE]
//        [--users-out FILE] [--items-out FILE]     (ml: side files shaped like u.user and u.item)
//
// --shape ml (default): like MovieLens-100k's u.data, tab separated "user item rating timestamp",
//   943 users x 1682 items, ~100k ratings. Each user rates an item at most once; 20 to 737
//   ratings per user (log-normal, median ~65); Zipf-like item popularity; timestamps increase per
//   user, in rating sessions spread over seven months; ratings 1-5. Seed 42: 99,703 ratings of
//   1,678 items, median 67 per user (mean 106), 28 per item (most rated: 713 users).
// --shape amazon: like the SASRec authors' Amazon Games file (seq format, "user item" lines in
//   time order): 9430 users (10x ML; the real file has ~31k) with short sequences (5 to 30,
//   mostly 5-20) over 8000 items, then a 5-core filter (every user and item kept has >= 5
//   events, as in that preprocessing), with stronger item-to-item complementarity (platforms,
//   accessories, "bought together" partners). Seed 42: 8,705 users, 4,087 items, 76,114 events.
//
// The sequential structure is weak but real, and the same kind in both shapes. Items have a
// primary genre (19, skewed frequencies) and sometimes a second one, a release year (an "era";
// amazon: a platform and a type instead of the year), a Zipf popularity, and a release time: some
// appear during the window and are popular for a while after. A few items form series (2-4
// parts) that are watched in order. Each user has genre tastes that drift slowly (a Dirichlet
// draw, pulled toward a new draw now and then). The next item comes from one of:
//   - series: the next part of a series seen in the last few items (when there is one);
//   - neighbour: an item close to one of the last five items (most weight on the last): same
//     genre and within 3 years (ml), or a complement on the same platform, often one of the
//     anchor's few "bought together" partners (amazon);
//   - taste: a genre drawn from the user's current taste, then an item of it by popularity;
//   - popular: any item by its popularity at that time.
// Every draw weighs candidates by popularity at the current time and skips items the user has
// already rated or that are not released yet. Nothing here is tuned to any model's benefit: the
// mixture weights are plausible round numbers, fixed before any model was run on the output.
// Summary statistics go to stderr.
//
// Side files (ml only, drawn after the ratings from a second seeded stream, so the ratings file
// is the same with or without them): u.item's "id|title|date|video date|url|19 genre flags" with
// the item's genres and release year, and u.user's "id|age|gender|occupation|zip" where age,
// gender and occupation lean on the user's initial genre tastes (as real demographics do) and
// the zip is noise. Ratings depend on the user's taste for the item's genre, a user x genre cross
// that an additive model (LR on these features) cannot express and FM's pairwise terms can.
import { writeFileSync } from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((a, x, i, all) => (x.startsWith('--') ? [...a, [x.slice(2), all[i + 1]]] : a), []));
const shape = args.shape || 'ml';
if (shape !== 'ml' && shape !== 'amazon') throw new Error(`--shape must be ml or amazon, got ${shape}`);
const AMZ = shape === 'amazon';
const nUsers = +(args.users || (AMZ ? 9430 : 943));
const nItems = +(args.items || (AMZ ? 8000 : 1682));
let seed = +(args.seed || 42) >>> 0;

// ---- seeded randomness (mulberry32) -------------------------------------------------------------
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const below = (n) => Math.floor(rand() * n);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const expo = (mean) => -mean * Math.log(1 - rand());
const gamma = (a) => { // Marsaglia-Tsang, a < 1 boosted
  if (a < 1) return gamma(a + 1) * Math.pow(rand(), 1 / a);
  const d = a - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x, v;
    do { x = normal(); v = 1 + c * x; } while (v <= 0);
    v = v * v * v;
    if (Math.log(1 - rand()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
};
const dirichlet = (alpha, k) => { const g = Array.from({ length: k }, () => gamma(alpha)); const s = g.reduce((a, b) => a + b); return g.map((x) => x / s); };
const pickIndex = (w) => { let s = 0; for (const x of w) s += x; let r = rand() * s; for (let i = 0; i < w.length; i++) if ((r -= w[i]) < 0) return i; return w.length - 1; };

// ---- the catalogue ------------------------------------------------------------------------------
const G = 19; // genres, Zipf-ish shares (Drama, Comedy, Action, ... Film-Noir)
const genreShare = Array.from({ length: G }, (_, g) => 1 / (g + 1.5));
const DAY = 86400, T0 = 874724710; // 1997-09-20, as u.data's first day
const WINDOW = (AMZ ? 730 : 212) * DAY; // ML-100k spans seven months; Amazon years
const PLATFORMS = 12; // amazon: platforms with Zipf shares; types: 0 hardware, 1 accessory, 2 game
const items = [];
const rank = Array.from({ length: nItems }, (_, i) => i);
for (let i = nItems - 1; i > 0; i--) { const j = below(i + 1); [rank[i], rank[j]] = [rank[j], rank[i]]; }
for (let i = 0; i < nItems; i++) {
  const it = { genre: pickIndex(genreShare), genre2: -1, pop: 1 / Math.pow(rank[i] + 20, AMZ ? 1.0 : 1.4), quality: normal(),
    year: 0, platform: 0, type: 2, release: T0 - DAY, next: -1, partners: [] };
  if (rand() < 0.5) it.genre2 = pickIndex(genreShare);
  if (AMZ) {
    it.platform = pickIndex(Array.from({ length: PLATFORMS }, (_, p) => 1 / (p + 1)));
    it.type = rand() < 0.02 ? 0 : rand() < 0.25 ? 1 : 2;
    if (rand() < 0.6) it.release = T0 + rand() * WINDOW; // a steady stream of new releases
  } else {
    it.year = Math.max(1922, 1998 - Math.floor(expo(9)));
    if (it.year >= 1997) it.release = T0 + (rand() * 1.3 - 0.3) * WINDOW; // new films arrive during the window
  }
  items.push(it);
}
// Lists to draw from: by genre (ml: sorted by year), by platform and type (amazon).
const byKey = new Map();
const add = (k, i) => { if (!byKey.has(k)) byKey.set(k, []); byKey.get(k).push(i); };
items.forEach((it, i) => {
  for (const g of [it.genre, it.genre2]) if (g >= 0) add(`g${g}`, i);
  if (AMZ) { add(`p${it.platform}t${it.type}`, i); if (it.type === 2) add(`p${it.platform}g${it.genre}`, i); }
});
if (!AMZ) for (let g = 0; g < G; g++) (byKey.get(`g${g}`) || []).sort((a, b) => items[a].year - items[b].year || a - b);
// Series: 2-4 items of one genre (amazon: and platform) chained in release order; ~8% of items.
for (let i = 0; i < nItems; i++) {
  if (rand() >= 0.03 || items[i].next >= 0) continue;
  const key = AMZ ? `p${items[i].platform}g${items[i].genre}` : `g${items[i].genre}`;
  const pool = (byKey.get(key) || []).filter((j) => j !== i && items[j].next < 0 && !items[j].inSeries && (AMZ || items[j].year >= items[i].year));
  let cur = i, parts = 1 + below(3);
  items[i].inSeries = true;
  while (parts-- > 0 && pool.length) {
    const j = pool.splice(below(Math.min(pool.length, 20)), 1)[0];
    items[cur].next = j;
    items[j].inSeries = true;
    items[j].release = Math.max(items[j].release, items[cur].release + expo(30) * DAY);
    cur = j;
  }
}
// Amazon: each item's few "bought together" partners, from its complements on its platform.
if (AMZ) items.forEach((it) => {
  const comp = it.type === 0 ? ['t1', 't2', 't2'] : it.type === 1 ? ['t1', 't2'] : ['t1', `g${it.genre}`, `g${it.genre}`];
  for (let k = 0; k < 4; k++) {
    const pool = byKey.get(`p${it.platform}${comp[below(comp.length)]}`) || [];
    if (pool.length) it.partners.push(pool[below(Math.min(pool.length, 200))]);
  }
});

// Popularity at time t: the base popularity, boosted for a while after an item's release.
const weightAt = (i, t, seen) => {
  const it = items[i];
  if (seen.has(i) || t < it.release) return 0;
  return it.pop * (1 + 4 * Math.exp(-(t - it.release) / (45 * DAY)));
};
const draw = (list, t, seen) => {
  if (!list || !list.length) return -1;
  let s = 0;
  const w = new Float64Array(list.length);
  for (let k = 0; k < list.length; k++) s += w[k] = weightAt(list[k], t, seen);
  if (s <= 0) return -1;
  let r = rand() * s;
  for (let k = 0; k < list.length; k++) if ((r -= w[k]) < 0) return list[k];
  return list[list.length - 1];
};
const allItems = rank.map((_, i) => i);
const yearWindow = (g, year) => { // ml: the genre's items within 3 years of `year`
  const l = byKey.get(`g${g}`) || [];
  let lo = 0, hi = l.length;
  while (lo < hi) { const m = (lo + hi) >> 1; items[l[m]].year < year - 3 ? (lo = m + 1) : (hi = m); }
  let end = lo;
  while (end < l.length && items[l[end]].year <= year + 3) end++;
  return l.slice(lo, end);
};

// ---- the users ----------------------------------------------------------------------------------
const rows = [], taste0 = [];
for (let u = 0; u < nUsers; u++) {
  const n = AMZ ? Math.min(30, Math.max(5, Math.round(7.5 * Math.exp(0.55 * normal()))))
    : Math.min(737, Math.max(20, Math.round(68 * Math.exp(0.95 * normal()))));
  let taste = dirichlet(0.3, G).map((x, g) => 0.7 * x + 0.3 * genreShare[g] / genreShare.reduce((a, b) => a + b));
  let target = taste;
  taste0.push(taste);
  const platforms = AMZ ? [pickIndex(Array.from({ length: PLATFORMS }, (_, p) => 1 / (p + 1))), below(PLATFORMS)] : [];
  // time: a start in the window, rating sessions of a few minutes, days apart
  let t = T0 + rand() * rand() * WINDOW * 0.8;
  const gaps = Array.from({ length: n }, () => (rand() < (AMZ ? 0.3 : 0.9) ? 20 + expo(120) : expo(AMZ ? 40 : 6) * DAY));
  const span = gaps.reduce((a, b) => a + b), room = T0 + WINDOW - t;
  const scale = span > room ? room / span : 1;
  const seen = new Set(), hist = [];
  for (let e = 0; e < n; e++) {
    t += Math.max(1, gaps[e] * scale);
    if (rand() < 0.02) target = dirichlet(0.3, G); // a new interest now and then
    taste = taste.map((x, g) => 0.98 * x + 0.02 * target[g]); // drifting slowly toward it
    let item = -1;
    const series = hist.slice(-3).map((i) => items[i].next).filter((j) => j >= 0 && !seen.has(j) && t >= items[j].release);
    const r = rand();
    if (series.length && r < 0.5) item = series[below(series.length)];
    else if (hist.length && r < (AMZ ? 0.55 : 0.4)) {
      const back = Math.min(hist.length, 5), a = hist[hist.length - 1 - pickIndex([0.4, 0.25, 0.15, 0.1, 0.1].slice(0, back))];
      const it = items[a];
      if (AMZ) {
        const partner = it.partners.filter((j) => !seen.has(j) && t >= items[j].release);
        if (partner.length && rand() < 0.6) item = partner[below(partner.length)];
        else item = draw(byKey.get(`p${it.platform}t${rand() < 0.3 ? 1 : 2}`), t, seen);
      } else item = draw(yearWindow(rand() < 0.7 || it.genre2 < 0 ? it.genre : it.genre2, it.year), t, seen);
    } else if (r < 0.8) {
      const g = pickIndex(taste);
      item = draw(AMZ ? byKey.get(`p${platforms[rand() < 0.8 ? 0 : 1]}g${g}`) : byKey.get(`g${g}`), t, seen);
    }
    if (item < 0) item = draw(allItems, t, seen);
    if (item < 0) break;
    seen.add(item);
    hist.push(item);
    const fit = taste[items[item].genre] * G - 1;
    const rating = Math.min(5, Math.max(1, Math.round(3.55 + 0.5 * items[item].quality + 0.3 * Math.tanh(fit) + 0.95 * normal())));
    rows.push([u, item, rating, Math.round(t)]);
  }
}

// ---- Amazon: 5-core filter (users and items with >= 5 events), as the SASRec preprocessing ------
let kept = rows;
if (AMZ) for (;;) {
  const cu = new Map(), ci = new Map();
  for (const [u, i] of kept) { cu.set(u, (cu.get(u) || 0) + 1); ci.set(i, (ci.get(i) || 0) + 1); }
  const next = kept.filter(([u, i]) => cu.get(u) >= 5 && ci.get(i) >= 5);
  if (next.length === kept.length) break;
  kept = next;
}
// Dense 1-based ids: users in order, items by their index (random with respect to popularity).
const uid = new Map(), iid = new Map(), icount = new Map();
for (const [u, i] of kept) {
  if (!uid.has(u)) uid.set(u, uid.size + 1);
  icount.set(i, (icount.get(i) || 0) + 1);
}
[...icount.keys()].sort((a, b) => a - b).forEach((i) => iid.set(i, iid.size + 1));
const perUser = new Map();
for (const [u] of kept) perUser.set(u, (perUser.get(u) || 0) + 1);
const lens = [...perUser.values()].sort((a, b) => a - b), counts = [...icount.values()].sort((a, b) => b - a);
const out = AMZ ? kept.map(([u, i]) => `${uid.get(u)} ${iid.get(i)}`) : kept.map(([u, i, r, t]) => `${uid.get(u)}\t${iid.get(i)}\t${r}\t${t}`);
const text = out.join('\n') + '\n';
if (args.out) writeFileSync(args.out, text); else process.stdout.write(text);
if (!AMZ && (args['users-out'] || args['items-out'])) {
  seed = (+(args.seed || 42) ^ 0x5eed5eed) >>> 0; // the side stream: the ratings above are unchanged
  const GN = ['unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
    'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];
  const shown = (g) => (g + 8) % G; // the generator's genre g as a MovieLens genre: the most common is Drama
  if (args['items-out']) {
    const lines = [];
    for (const [i, id] of [...iid.entries()].sort((a, b) => a[1] - b[1])) {
      const it = items[i], flags = Array(G).fill(0);
      flags[shown(it.genre)] = 1;
      if (it.genre2 >= 0) flags[shown(it.genre2)] = 1;
      lines.push(`${id}|Movie ${id} (${it.year})|01-Jan-${it.year}||http://example.org/${id}|${flags.join('|')}`);
    }
    writeFileSync(args['items-out'], lines.join('\n') + '\n');
  }
  if (args['users-out']) {
    const OCC = ['student', 'educator', 'engineer', 'programmer', 'other', 'administrator', 'writer', 'librarian', 'technician',
      'executive', 'healthcare', 'artist', 'entertainment', 'marketing', 'scientist', 'retired', 'lawyer', 'none', 'salesman', 'doctor', 'homemaker'];
    const lines = [];
    for (const [u, id] of [...uid.entries()].sort((a, b) => a[1] - b[1])) {
      const tw = (names) => names.reduce((s, n) => s + taste0[u].reduce((a, x, g) => a + (GN[shown(g)] === n ? x : 0), 0), 0);
      const male = tw(['Action', 'Sci-Fi', 'War', 'Thriller', 'Western', 'Horror']) - tw(['Romance', 'Musical', "Children's", 'Drama']);
      const gender = rand() < 0.5 + 0.6 * Math.tanh(2 * male) * 0.5 ? 'M' : 'F';
      const age = Math.max(7, Math.min(73, Math.round(24 + 40 * tw(['Drama', 'Documentary', 'Film-Noir', 'War', 'Western']) + 8 * normal())));
      const occ = age < 23 && rand() < 0.7 ? 'student' : age > 60 && rand() < 0.6 ? 'retired' : OCC[1 + below(OCC.length - 1)];
      lines.push(`${id}|${age}|${gender}|${occ}|${String(10000 + below(89999))}`);
    }
    writeFileSync(args['users-out'], lines.join('\n') + '\n');
  }
}
console.error(JSON.stringify({ shape, seed: +(args.seed || 42), users: uid.size, items: iid.size, events: kept.length,
  length: { min: lens[0], median: lens[lens.length >> 1], mean: +(kept.length / lens.length).toFixed(1), max: lens[lens.length - 1] },
  item_events: { max: counts[0], median: counts[counts.length >> 1], singletons: counts.filter((c) => c === 1).length },
  ratings: AMZ ? undefined : [1, 2, 3, 4, 5].map((r) => +(kept.filter((x) => x[2] === r).length / kept.length).toFixed(3)) }));
